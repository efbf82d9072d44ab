package v1alpha1

import (
	"slices"
	"strings"
	"testing"
)

func TestReadPodControl(t *testing.T) {
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		want        PodControl
		wantErr     string
	}{
		{"none", nil, PodControl{Inject: true}, ""},
		{"opted out", map[string]string{InjectAnnotation: "false"}, PodControl{}, ""},
		{"skipped containers, trimmed", map[string]string{SkipContainersAnnotation: "istio-proxy, log"}, PodControl{Inject: true, SkipContainers: []string{"istio-proxy", "log"}}, ""},
		{"token expiration", map[string]string{TokenExpirationAnnotation: "7200"}, PodControl{Inject: true, TokenExpirationSeconds: 7200}, ""},
		{"inject neither true nor false", map[string]string{InjectAnnotation: "no"}, PodControl{}, `want "true" or "false"`},
		{"token expiration with a unit", map[string]string{TokenExpirationAnnotation: "1h"}, PodControl{}, `is "1h"; want a whole number of seconds`},
		{"token expiration signed", map[string]string{TokenExpirationAnnotation: "+3600"}, PodControl{}, "whole number of seconds"},
		{"token expiration zero", map[string]string{TokenExpirationAnnotation: "0"}, PodControl{}, "whole number of seconds"},
		{"token expiration past an int64", map[string]string{TokenExpirationAnnotation: "99999999999999999999"}, PodControl{}, "whole number of seconds"},
		{"token expiration with a line separator", map[string]string{TokenExpirationAnnotation: "3600\u2028x"}, PodControl{}, `"3600\u2028x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadPodControl(tc.annotations)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ReadPodControl = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Inject != tc.want.Inject || !slices.Equal(got.SkipContainers, tc.want.SkipContainers) || got.TokenExpirationSeconds != tc.want.TokenExpirationSeconds {
				t.Errorf("ReadPodControl = %+v, want %+v", got, tc.want)
			}
		})
	}
}
