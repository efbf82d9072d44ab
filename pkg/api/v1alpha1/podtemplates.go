package v1alpha1

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/kinds"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kname"
)

var (
	kindName = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,62}$`)
	version  = regexp.MustCompile(`^v[0-9]+((alpha|beta)[0-9]+)?$`)
)

// Kinds is the table of kinds with pod templates for this spec: the
// built-in rows, then the ones spec.workloads.podTemplates declares. The
// spec must be checked; a row that does not parse is left out.
func (s *Spec) Kinds() kinds.Table {
	if s.Workloads == nil || len(s.Workloads.PodTemplates) == 0 {
		return kinds.Builtin
	}
	var more []kinds.Kind
	for _, p := range s.Workloads.PodTemplates {
		if k, err := p.row(); err == nil {
			more = append(more, k)
		}
	}
	return kinds.Builtin.With(more...)
}

// row is the declared kind as a row of the kinds table.
func (p PodTemplateKind) row() (kinds.Kind, error) {
	k := kinds.Kind{Group: p.Group, Kind: p.Kind}
	if p.APIVersion != "" {
		group, ver, grouped := strings.Cut(p.APIVersion, "/")
		if !grouped {
			group, ver = "", group
		}
		k.Group, k.Versions = group, []string{ver}
	}
	for _, text := range p.Paths {
		path, err := kinds.ParsePath(text)
		if err != nil {
			return kinds.Kind{}, err
		}
		k.Paths = append(k.Paths, path)
	}
	return k, nil
}

func (v *checker) podTemplates(list []PodTemplateKind) {
	for i, p := range list {
		at := fmt.Sprintf("spec.workloads.podTemplates[%d]", i)
		switch {
		case p.APIVersion == "" && p.Group == "":
			v.errorf(at, "names no API group; set apiVersion (group/version) or group (any version)")
		case p.APIVersion != "" && p.Group != "":
			v.errorf(at+".group", "is set with apiVersion; set one of them: apiVersion for one version, group for every version")
		case p.APIVersion != "":
			group, ver, grouped := strings.Cut(p.APIVersion, "/")
			if !grouped {
				ver = group
			}
			if grouped && !kname.IsSubdomain(group) || !version.MatchString(ver) {
				v.errorf(at+".apiVersion", "%q is not valid; want GROUP/VERSION such as example.com/v1", p.APIVersion)
			}
		default:
			v.required(at+".group", p.Group, kname.IsSubdomain, "an API group such as example.com")
		}
		v.required(at+".kind", p.Kind, kindName.MatchString, "a kind such as Trainer: a capital letter, then letters and digits")
		if len(p.Paths) == 0 {
			v.errorf(at+".paths", "is empty; want the paths of the kind's pod templates, such as spec.template")
		}
		for j, text := range p.Paths {
			if text == "" {
				v.errorf(fmt.Sprintf("%s.paths[%d]", at, j), "is empty; want the path of a pod template from the object's root, such as spec.template")
				continue
			}
			if _, err := kinds.ParsePath(text); err != nil {
				v.errorf(fmt.Sprintf("%s.paths[%d]", at, j), "%v", err)
			}
		}
		if row, err := p.row(); err == nil {
			for _, builtin := range kinds.Builtin {
				if builtin.Kind == row.Kind && builtin.Group == row.Group {
					v.errorf(at, "declares %s, which is built in; remove the entry", row)
					break
				}
			}
		}
	}
}
