package workload

import (
	"errors"
	"fmt"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/kname"
)

// Location says where in which workload a problem is, so that a caller can
// turn it into a kpt Result with a resource reference and a field path.
type Location struct {
	Kind      string
	Namespace string // as written; "" when the object has none
	Name      string
	// Container is the container the problem is in; "" for pod-level fields.
	Container string
	// Field is the path from the object's root, e.g.
	// spec.template.spec.containers[name=app].env[name=AWS_ROLE_ARN].
	Field string
}

// String reads "Kind namespace/name, container "c": field.path"; parts that
// are not known (yet) are left out.
func (l Location) String() string {
	var parts []string
	if l.Kind != "" {
		parts = append(parts, describe(l.Kind, l.Namespace, l.Name))
	}
	if l.Container != "" {
		parts = append(parts, fmt.Sprintf("container %q", l.Container))
	}
	where := strings.Join(parts, ", ")
	switch {
	case where == "":
		return l.Field
	case l.Field == "":
		return where
	}
	return where + ": " + l.Field
}

// Conflict is a value the workload already has that differs from what the
// patch would write. The patch never overwrites it: the user decides.
type Conflict struct {
	Location
	// Message says what differs and what to do about it.
	Message string
}

// Error reads "where: what differs and what to do".
func (c *Conflict) Error() string { return c.Location.String() + ": " + c.Message }

// Malformed is input the patcher cannot read, e.g. a containers field that is
// a string or a container without a name.
type Malformed struct {
	Location
	Message string
}

// Error reads "where: what is wrong".
func (m *Malformed) Error() string { return m.Location.String() + ": " + m.Message }

// describe names a workload as "Kind namespace/name", or "Kind name" when the
// object has no namespace.
// A value that is not a Kubernetes name (an escape sequence, a line break)
// is quoted, so it cannot forge or hide the rest of the message.
func describe(kind, namespace, name string) string {
	kind, namespace, name = printable(kind, kname.IsLabelValue), printable(namespace, kname.IsLabel), printable(name, kname.IsSubdomain)
	if namespace == "" {
		return kind + " " + name
	}
	return kind + " " + namespace + "/" + name
}

// printable is s, quoted when it is not a valid name (see kname.Printable).
func printable(s string, valid func(string) bool) string { return kname.Printable(s, valid) }

// joinPath joins field path parts, skipping empty ones, so that paths below
// a Pod (whose template is the object root) do not start with a dot.
func joinPath(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ".")
}

// leafErrors lists the errors inside (possibly nested) errors.Join results, so
// that Apply returns one flat list a caller can walk.
func leafErrors(err error) []error {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var leaves []error
		for _, e := range joined.Unwrap() {
			leaves = append(leaves, leafErrors(e)...)
		}
		return leaves
	}
	return []error{err}
}

// attribute completes the errors of an edit, whose fields are relative to the
// node it edited, with the object, the container and the path of that node.
func (o object) attribute(err error, container, nodePath string) []error {
	var out []error
	for _, e := range leafErrors(err) {
		var loc *Location
		var conflict *Conflict
		var malformed *Malformed
		switch {
		case errors.As(e, &conflict):
			loc = &conflict.Location
		case errors.As(e, &malformed):
			loc = &malformed.Location
		default:
			out = append(out, fmt.Errorf("%s: %w", o, e))
			continue
		}
		loc.Kind, loc.Namespace, loc.Name = o.Kind, o.Namespace, o.Name
		if loc.Container == "" {
			loc.Container = container
		}
		loc.Field = joinPath(nodePath, loc.Field)
		out = append(out, e)
	}
	return out
}
