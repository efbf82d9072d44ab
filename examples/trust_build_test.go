package examples

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// trust pins what the build wired, never a guess: on a spec that names no
// namespace it needs the built output (kustomize build | trust SPEC -), whose
// stamps name the subject after the overlay's namespace and suffix, or
// --namespace where the built objects carry no namespace either.
func TestTrustReadsTheSubjectFromTheBuiltOutput(t *testing.T) {
	for _, tc := range []struct {
		overlay string
		args    []string
		// want is in trust's output, or in its error when fails.
		want  string
		fails bool
	}{
		// namespace: shop-staging, a spec without a namespace.
		{overlay: "staging", want: `"system:serviceaccount:shop-staging:api"`},
		// nameSuffix -preview, no namespace anywhere (Argo CD's destination
		// chooses it): the stamp's namespace is a guess.
		{overlay: "preview", fails: true, want: "carries no namespace, so the namespace of its stamp (default) is a guess; pass --namespace"},
		{overlay: "preview", args: []string{"--namespace", "shop-preview"}, want: `"system:serviceaccount:shop-preview:api-preview"`},
		// The spec names the subject the overlay gives it.
		{overlay: "prod", want: `"system:serviceaccount:shop-prod:prod-api"`},
	} {
		t.Run(tc.overlay+strings.Join(tc.args, " "), func(t *testing.T) {
			dir := filepath.Join("base-and-overlays", tc.overlay)
			built, stderr, err := run(t, ".", "go", "tool", "kustomize", "build", "--enable-alpha-plugins", "--enable-exec", dir)
			if err != nil {
				t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderr)
			}
			var out, errb bytes.Buffer
			trust := exec.Command("cross-cloud-access", append([]string{"trust", "--format", "json", filepath.Join(dir, "cross-cloud-access.yaml"), "-"}, tc.args...)...)
			trust.Stdin = strings.NewReader(built)
			trust.Stdout, trust.Stderr = &out, &errb
			err = trust.Run()
			if tc.fails {
				if err == nil || out.Len() != 0 || !strings.Contains(errb.String(), tc.want) {
					t.Errorf("trust = %v; want an error saying %q, no output:\n%s%s", err, tc.want, out.String(), errb.String())
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), tc.want) {
				t.Errorf("trust = %v; want it to pin %s:\n%s%s", err, tc.want, out.String(), errb.String())
			}
		})
	}

	// The spec alone names no namespace: trust refuses it.
	spec := filepath.Join("base-and-overlays", "staging", "cross-cloud-access.yaml")
	stdout, stderr, err := run(t, ".", "cross-cloud-access", "trust", spec)
	if err == nil || stdout != "" || !strings.Contains(stderr, "pass --namespace NAMESPACE, or give trust the built output") {
		t.Errorf("trust on the namespace-less spec alone = %v; want a refusal naming the ways out:\n%s%s", err, stdout, stderr)
	}
}
