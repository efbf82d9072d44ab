package v1alpha1

import (
	"fmt"
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
)

// PodControl is a pod template's own choice, read from its annotations.
type PodControl struct {
	// Inject is false when the template opted out.
	Inject bool
	// SkipContainers are the containers it keeps out.
	SkipContainers []string
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
	return c, nil
}
