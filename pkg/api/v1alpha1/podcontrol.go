package v1alpha1

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/kname"
)

// Annotations a pod template carries to control what is done to it, as the
// clouds' webhooks offer. They are honoured at build time and by the
// admission policy.
const (
	// InjectAnnotation "false" leaves the pod template alone.
	InjectAnnotation = "crosscloud.dev/inject"
	// SkipContainersAnnotation "a,b" leaves those containers alone.
	SkipContainersAnnotation = "crosscloud.dev/skip-containers"
	// TokenExpirationAnnotation "N" makes the tokens the function projects
	// into the pod expire after N seconds instead of the spec's
	// tokenExpirationSeconds; each cloud's plan bounds N.
	TokenExpirationAnnotation = "crosscloud.dev/token-expiration-seconds"
)

// TokenExpirationPattern is how TokenExpirationAnnotation is written:
// decimal digits without a sign or a leading zero, short enough to read as
// an int64. The admission policy reads it with the same pattern (RE2).
const TokenExpirationPattern = `^[1-9][0-9]{0,9}$`

var seconds = regexp.MustCompile(TokenExpirationPattern)

// PodControl is a pod template's own choice, read from its annotations.
type PodControl struct {
	// Inject is false when the template opted out.
	Inject bool
	// SkipContainers are the containers it keeps out.
	SkipContainers []string
	// TokenExpirationSeconds is its own token expiration; 0 keeps the
	// spec's.
	TokenExpirationSeconds int64
}

// ReadPodControl reads the annotations; a value that is neither of the
// documented forms is an error naming the annotation and what is valid,
// since guessing would wire a pod its owner meant to keep out.
func ReadPodControl(annotations map[string]string) (PodControl, error) {
	c := PodControl{Inject: true}
	if v, ok := annotations[InjectAnnotation]; ok {
		switch v {
		case "true":
		case "false":
			c.Inject = false
		default:
			return c, fmt.Errorf("annotation %s is %q; want \"true\" or \"false\"", InjectAnnotation, v)
		}
	}
	if v, ok := annotations[SkipContainersAnnotation]; ok {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if !kname.IsLabel(name) {
				return c, fmt.Errorf("annotation %s lists %q; want container names separated by commas, such as \"istio-proxy,log-shipper\"", SkipContainersAnnotation, name)
			}
			c.SkipContainers = append(c.SkipContainers, name)
		}
	}
	if v, ok := annotations[TokenExpirationAnnotation]; ok {
		if !seconds.MatchString(v) {
			return c, fmt.Errorf("annotation %s is %s; want a whole number of seconds such as \"3600\"", TokenExpirationAnnotation, strconv.QuoteToASCII(v))
		}
		// Ten digits at most always parse.
		c.TokenExpirationSeconds, _ = strconv.ParseInt(v, 10, 64)
	}
	return c, nil
}
