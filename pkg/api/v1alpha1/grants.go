package v1alpha1

import "fmt"

// GrantLevel is how much of a bucket or container a grant gives, the same
// three words for every cloud; each cloud's grant says which actions or role
// each word means there.
type GrantLevel string

// Grant levels.
const (
	LevelRead      GrantLevel = "read"
	LevelWrite     GrantLevel = "write"
	LevelReadWrite GrantLevel = "readWrite"
)

// DefaultGrantLevel is the level of a grant that names none: the least.
const DefaultGrantLevel = LevelRead

// defaultLevel gives an empty level the least one.
func defaultLevel(l *GrantLevel) {
	if *l == "" {
		*l = DefaultGrantLevel
	}
}

// checkLevel reports a level that is none of the three.
func (v *checker) checkLevel(field string, l GrantLevel) {
	switch l {
	case LevelRead, LevelWrite, LevelReadWrite:
	default:
		v.errorf(field, "%q is not valid; want read, write or readWrite", l)
	}
}

// each calls check with the field path of every element of a list.
func each[T any](field string, list []T, check func(field string, item *T)) {
	for i := range list {
		check(fmt.Sprintf("%s[%d]", field, i), &list[i])
	}
}
