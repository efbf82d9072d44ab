package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/kustomize/kyaml/kio"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
	"github.com/crosscloud-dev/cross-cloud-access/internal/kubecheck"
)

// standaloneRoot holds the golden cases of standalone mode, as Helm runs
// it: a folder with spec.yaml, input.yaml (what Helm pipes in),
// expected.yaml (stdout) and, when the run says something, stderr.txt.
const standaloneRoot = "testdata/standalone"

func TestStandaloneGolden(t *testing.T) {
	for _, name := range golden.Cases(t, standaloneRoot, "input.yaml") {
		dir := filepath.Join(standaloneRoot, name)
		t.Run(name, func(t *testing.T) {
			input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			got := runStandalone(t, string(input), false, filepath.Join(dir, "spec.yaml"))
			if got.err != nil {
				t.Fatalf("%v\n%s", got.err, got.stderr)
			}
			golden.Compare(t, filepath.Join(dir, "expected.yaml"), []byte(got.stdout))
			golden.Compare(t, filepath.Join(dir, "stderr.txt"), []byte(got.stderr))
			nodes, err := kio.FromBytes([]byte(got.stdout))
			if err != nil {
				t.Fatalf("the output is not a YAML stream: %v", err)
			}
			for _, n := range nodes {
				if kubecheck.Known(n.GetApiVersion(), n.GetKind()) {
					if err := kubecheck.Strict(n.GetApiVersion(), n.GetKind(), []byte(n.MustString())); err != nil {
						t.Errorf("%s/%s: %v", n.GetKind(), n.GetName(), err)
					}
				}
			}
		})
	}
}

// documents splits a stream at its "---" lines, as the text it is, each
// document with the line break that ends it.
func documents(stream string) []string {
	var docs []string
	for _, doc := range strings.Split("\n"+stream, "\n---\n") {
		if doc = strings.TrimPrefix(doc, "\n"); strings.TrimSpace(doc) != "" {
			docs = append(docs, strings.TrimSuffix(doc, "\n")+"\n")
		}
	}
	return docs
}

// The objects the function leaves alone leave as they came, byte for byte;
// the one it wires keeps every value it does not own, as kubectl reads
// them: the folded livenessProbe script above all, which kyaml alone
// would write back with a line break more before each indented line.
func TestStandaloneKeepsWhatItDoesNotOwn(t *testing.T) {
	dir := filepath.Join(standaloneRoot, "folded-scalars-and-untouched-objects")
	input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := runStandalone(t, string(input), false, filepath.Join(dir, "spec.yaml"))
	if got.err != nil {
		t.Fatalf("%v\n%s", got.err, got.stderr)
	}
	in, out := documents(string(input)), documents(got.stdout)
	if len(in) != 3 {
		t.Fatalf("the case has %d documents; want 3", len(in))
	}
	for _, untouched := range in[1:] {
		found := false
		for _, doc := range out {
			found = found || doc == untouched
		}
		if !found {
			t.Errorf("an object the function does not change is not in the output as it came:\n%s", untouched)
		}
	}

	var before, after appsv1.DaemonSet
	if err := sigsyaml.Unmarshal([]byte(in[0]), &before); err != nil {
		t.Fatal(err)
	}
	for _, doc := range out {
		if strings.Contains(doc, "name: fluentd-gcp\n  namespace: kube-system") {
			if err := sigsyaml.Unmarshal([]byte(doc), &after); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(after.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("the wired DaemonSet is not in the output:\n%s", got.stdout)
	}
	if len(after.Spec.Template.Spec.Containers[0].Env) == 0 {
		t.Errorf("the DaemonSet of the spec's ServiceAccount is not wired:\n%s", got.stdout)
	}
	probe := func(ds appsv1.DaemonSet) any { return ds.Spec.Template.Spec.Containers[0].LivenessProbe }
	if diff := cmp.Diff(probe(before), probe(after)); diff != "" {
		t.Errorf("the wired DaemonSet's livenessProbe changed (-in +out):\n%s", diff)
	}

	// What kyaml alone writes, for the record: the value changes.
	var kyaml bytes.Buffer
	nodes, err := kio.FromBytes(input)
	if err != nil {
		t.Fatal(err)
	}
	if err := (kio.ByteWriter{Writer: &kyaml}).Write(nodes[:1]); err != nil {
		t.Fatal(err)
	}
	var rewritten appsv1.DaemonSet
	if err := sigsyaml.Unmarshal(kyaml.Bytes(), &rewritten); err != nil {
		t.Fatal(err)
	}
	if cmp.Equal(probe(before), probe(rewritten)) {
		t.Log("kyaml now writes folded scalars with more-indented lines back as they were; the restyling in pkg/resourcelist may go")
	}
}
