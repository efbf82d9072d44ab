package trust

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kname"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/workload"
)

// ErrNoNamespace is wrapped when a spec names no namespace and nothing else
// says where its pods run: trust would otherwise pin a guess.
var ErrNoNamespace = errors.New("the ServiceAccount's namespace is not known")

// input is what trust reads: the specs, where each was read, and every
// other object, which may be a build's output (its stamps say which
// ServiceAccount each spec wired).
type input struct {
	specs []*v1alpha1.CrossCloudAccess
	// where names each spec for messages: file, document, name.
	where []string
	items []*yaml.RNode
}

// stamped is one pod template of the built output that a spec wired.
type stamped struct {
	// object names the workload for messages.
	object string
	// account is the ServiceAccount of the stamp's subject.
	account v1alpha1.ServiceAccount
	// namespaced says the workload carries its namespace: without one,
	// the stamp's namespace is the function's guess (kubectl's default).
	namespaced bool
}

// pinSubjects settles the ServiceAccount each spec's trust pins, and never
// guesses. The built output among the input wins: the stamps of the pod
// templates a spec wired name the subject the function resolved (after an
// overlay's namespace or name prefix), which is what the pods present. A spec
// the output says nothing of keeps the namespace it names, or takes
// namespace (--namespace); naming none, it is an error. messages gets a line
// for each spec whose subject the output changed.
func pinSubjects(in input, namespace string, messages io.Writer) ([]*v1alpha1.CrossCloudAccess, error) {
	var errs []error
	out := make([]*v1alpha1.CrossCloudAccess, len(in.specs))
	for i, spec := range in.specs {
		pinned := *spec
		sa := &pinned.Spec.ServiceAccount
		built, err := builtSubject(spec, in.items, namespace)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", in.where[i], err))
		case built != nil:
			if (sa.NamespaceGiven() && built.Namespace != sa.Namespace) || built.Name != sa.Name {
				fmt.Fprintf(messages, "%s: pins %s, which the built output wired (the spec names %s)\n",
					in.where[i], built.Subject(), sa.Subject())
			}
			sa.Namespace, sa.Name = built.Namespace, built.Name
		case sa.NamespaceGiven():
		case namespace != "":
			sa.Namespace = namespace
		default:
			errs = append(errs, fmt.Errorf("%s: spec.serviceAccount.namespace: %w: the spec names none (the function takes the one of the workloads) and the input holds no pod template it wired; "+
				"set it, pass --namespace NAMESPACE, or give trust the built output with the spec (kustomize build DIR | cross-cloud-access trust SPEC -), whose stamps say it",
				in.where[i], ErrNoNamespace))
		}
		out[i] = &pinned
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// builtSubject is the ServiceAccount that the pod templates of items stamped
// by spec run as, or nil when none is stamped by it. namespace is where
// objects without one are (--namespace): their stamps' namespace is the
// function's guess.
func builtSubject(spec *v1alpha1.CrossCloudAccess, items []*yaml.RNode, namespace string) (*v1alpha1.ServiceAccount, error) {
	found, err := stampedBy(spec, items)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	var subjects []string
	for _, s := range found {
		if !s.namespaced {
			if namespace == "" {
				return nil, fmt.Errorf("%w: %s, stamped by the spec, carries no namespace, so the namespace of its stamp (%s) is a guess; pass --namespace NAMESPACE, the one it is applied in",
					ErrNoNamespace, s.object, kname.Printable(s.account.Namespace, kname.IsLabel))
			}
			s.account.Namespace = namespace
		}
		if subject := s.account.Subject(); !slices.Contains(subjects, subject) {
			subjects = append(subjects, subject)
		}
	}
	if len(subjects) > 1 {
		return nil, fmt.Errorf("the built output has pod templates stamped by the spec for %d subjects (%s): one spec serves one ServiceAccount; run trust once per build",
			len(subjects), strings.Join(subjects, ", "))
	}
	account := found[0].account
	if !found[0].namespaced {
		account.Namespace = namespace
	}
	return &account, nil
}

// stampedBy lists the pod templates of items that carry spec's stamp.
func stampedBy(spec *v1alpha1.CrossCloudAccess, items []*yaml.RNode) ([]stamped, error) {
	locator := workload.PodTemplateLocator{Kinds: spec.Spec.Kinds()}
	var out []stamped
	for _, item := range items {
		w, ok, err := locator.Locate(item)
		if err != nil || !ok {
			continue // not a workload the function could have wired
		}
		for _, t := range w.Templates {
			stamp, found, err := t.ReadStamp()
			if err != nil {
				return nil, err
			}
			if !found || stamp.Spec != spec.StampName() {
				continue
			}
			// A stamp is text anyone can edit: only a subject of Kubernetes
			// names may reach a message or a trust.
			account, ok := v1alpha1.ParseSubject(stamp.Subject)
			if !ok || !kname.IsServiceAccount(account.Namespace, account.Name) {
				return nil, fmt.Errorf("%s: stamp subject %s is not a ServiceAccount's; build again with the function, or remove the %s stamp annotations",
					w, strconv.QuoteToASCII(stamp.Subject), v1alpha1.Group)
			}
			out = append(out, stamped{object: w.String(), account: account, namespaced: item.GetNamespace() != ""})
		}
	}
	return out, nil
}
