package trust

import (
	"fmt"
	"io"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"
)

// RenderKRM writes the trust as Kubernetes objects for teams that manage cloud
// IAM from a cluster: ACK (iam.services.k8s.aws) OpenIDConnectProvider and
// Role for AWS, Config Connector (iam.cnrm.cloud.google.com)
// IAMWorkloadIdentityPool, IAMWorkloadIdentityPoolProvider and IAMPolicyMember
// for GCP, Azure Service Operator (managedidentity.azure.com)
// FederatedIdentityCredential for Azure. Objects carry no namespace: apply
// them where the controller manages the account, project or identity.
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
		data, err := sigsyaml.Marshal(o)
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
