package resourcelist

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/internal/benchdata"
)

// streamSameAsKyaml reads data as standalone mode and kyaml read it, and
// holds WriteStream to kio.ByteWriter's bytes and errors.
func streamSameAsKyaml(t *testing.T, data []byte) {
	t.Helper()
	for _, reader := range []kio.ByteReader{
		{OmitReaderAnnotations: true},
		{PreserveSeqIndent: true},
		{},
	} {
		read := func() []*yaml.RNode {
			r := reader
			r.Reader = bytes.NewReader(data)
			nodes, err := r.Read()
			if err != nil {
				return nil
			}
			return nodes
		}
		want, got := read(), read()
		if want == nil {
			return
		}
		var wantOut, gotOut bytes.Buffer
		wantErr := func() (err error) {
			defer catch(&err)
			return kio.ByteWriter{Writer: &wantOut}.Write(want)
		}()
		gotErr := func() (err error) {
			defer catch(&err)
			return WriteStream(&gotOut, got, nil)
		}()
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Errorf("error %v; kyaml's is %v", gotErr, wantErr)
		}
		if !bytes.Equal(gotOut.Bytes(), wantOut.Bytes()) {
			t.Errorf("output differs from kyaml's at byte %d:\n%s", firstDifference(gotOut.Bytes(), wantOut.Bytes()), lineDiff(wantOut.String(), gotOut.String()))
		}
	}
}

func TestWriteStreamWritesWhatKyamlWrites(t *testing.T) {
	for path, data := range yamlFiles(t) {
		t.Run(path, func(t *testing.T) { streamSameAsKyaml(t, data) })
	}
	var tricky strings.Builder
	for i := range 5 * parallelFrom {
		tricky.WriteString("---\n" + trickyItems[i%len(trickyItems)])
	}
	for name, data := range map[string]string{
		"tricky":        tricky.String(),
		"benchmark":     benchdata.Items(200),
		"wide":          "a:\n  - b\n  - c: [d]\n---\nkind: x\nl:\n- y\n",
		"bare sequence": "- a\n- b\n---\nkind: x\n",
		"scalar":        "just a scalar\n---\nkind: x\n",
		"kept last":     "a: |+\n  kept\n\n",
		"wrapped key":   "bareSeqNodeWrappingKey: [a, b]\n---\nkind: x\n",
		"json":          "{\"a\": 1}\n",
		"json path":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    config.kubernetes.io/path: a.json\n",
		"document":      "# head\nkind: x\n---\nkind: y\n# foot\n",
		"index":         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    config.kubernetes.io/index: '3'\n    internal.config.kubernetes.io/seqindent: wide\n  name: a\nl:\n- b\n",
	} {
		t.Run(name, func(t *testing.T) { streamSameAsKyaml(t, []byte(data)) })
	}
}

// FuzzWriteStream holds WriteStream to kyaml's output on any stream.
func FuzzWriteStream(f *testing.F) {
	for _, data := range yamlFiles(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		streamSameAsKyaml(t, data)
	})
}
