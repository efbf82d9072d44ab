package trust

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf16"

	sigsyaml "sigs.k8s.io/yaml"
)

// RenderKRM writes the trust as Kubernetes objects for teams that manage cloud
// IAM from a cluster: ACK (iam.services.k8s.aws) OpenIDConnectProvider and
// Role for AWS, Config Connector (iam.cnrm.cloud.google.com)
// IAMWorkloadIdentityPool, IAMWorkloadIdentityPoolProvider and IAMPolicyMember
// for GCP, Azure Service Operator (managedidentity.azure.com)
// FederatedIdentityCredential for Azure. Objects carry no namespace: apply
// them where the controller manages the account, project or identity. An
// object with a value YAML's encoder would change is written in JSON's
// syntax, which YAML reads as the same object.
func RenderKRM(w io.Writer, t *Trust) error {
	out := &krmOutput{names: newNameTable(63, "-")}
	if err := eachPresentCloud(t, func(c cloud) error { return c.krm(out, t) }); err != nil {
		return err
	}
	var b strings.Builder
	writeComments(&b, generatedBy("krm"))
	writeComments(&b, out.notes...)
	for i, o := range out.objects {
		if i > 0 {
			b.WriteString("---\n")
		}
		writeComments(&b, o.comments...)
		data, err := marshalFaithfully(o)
		if err != nil {
			return fmt.Errorf("write %s %s: %w", o.Kind, o.Metadata.Name, err)
		}
		b.Write(data)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write KRM: %w", err)
	}
	return nil
}

// ErrNotFaithfulInYAML is wrapped by the error about an object that neither
// the YAML encoder nor the JSON fallback writes so that it reads back the
// same. It is a guard: every value a string can hold has a way through.
var ErrNotFaithfulInYAML = errors.New("an object does not read back the same from YAML")

// marshalFaithfully writes o as YAML that reads back as exactly o. The YAML
// encoder folds some line breaks (U+0085) into spaces and refuses control
// characters, so an object with such a value is written in JSON's syntax
// instead, which YAML reads too, with every unprintable rune escaped.
func marshalFaithfully(o krmObject) ([]byte, error) {
	want, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	if data, err := sigsyaml.Marshal(o); err == nil && readsBackAs(data, want) {
		return data, nil
	}
	indented, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return nil, err
	}
	data := append(escapeUnprintable(indented), '\n')
	if !readsBackAs(data, want) {
		return nil, ErrNotFaithfulInYAML
	}
	return data, nil
}

// readsBackAs reports whether the YAML in data says what the JSON in want
// says.
func readsBackAs(data, want []byte) bool {
	got, err := sigsyaml.YAMLToJSON(data)
	if err != nil {
		return false
	}
	var wantValue, gotValue any
	if json.Unmarshal(want, &wantValue) != nil || json.Unmarshal(got, &gotValue) != nil {
		return false
	}
	return reflect.DeepEqual(wantValue, gotValue)
}

// escapeUnprintable writes every unprintable rune of a JSON document, other
// than the line breaks between its tokens, as a \u escape. encoding/json
// escapes only C0 controls and U+2028/U+2029; outside strings JSON has no
// other unprintable rune, so each one it leaves is inside a string, where the
// escape means the same to JSON and to YAML.
func escapeUnprintable(doc []byte) []byte {
	var b bytes.Buffer
	for _, r := range string(doc) {
		switch {
		case r == '\n' || unicode.IsPrint(r):
			b.WriteRune(r)
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.Bytes()
}

// krmOutput collects the objects of every cloud, the notes written above them
// all, and the object names given out so far.
type krmOutput struct {
	objects []krmObject
	notes   []string
	names   *nameTable
}

// add appends an object named after the readable words, unique among the
// objects of its kind's group (id says which one it is), with the comment
// lines above it, and returns the name.
func (o *krmOutput) add(apiVersion, kind, id string, readable []string, spec any, comments ...string) string {
	name := o.names.name(kind+"/"+id, readable...)
	o.objects = append(o.objects, krmObject{
		APIVersion: apiVersion, Kind: kind,
		Metadata: krmObjectMeta{Name: name},
		Spec:     spec,
		comments: comments,
	})
	return name
}

func (o *krmOutput) note(line string) {
	o.notes = append(o.notes, line)
}

// krmObject is one Kubernetes object of the KRM output; Spec is a struct per
// kind whose JSON names are the CRD's field names. (The YAML encoder sorts
// keys, so output order is alphabetical.)
type krmObject struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	Metadata   krmObjectMeta `json:"metadata"`
	Spec       any           `json:"spec"`
	comments   []string      // written above the object
}

type krmObjectMeta struct {
	Name string `json:"name"`
}
