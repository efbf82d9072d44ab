package trust

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
)

// goldenFiles is the expected-output file of each format in a case folder.
var goldenFiles = map[string]string{
	"json":      "expected.json",
	"terraform": "expected.tf",
	"shell":     "expected.sh",
	"krm":       "expected.yaml",
}

// goldenCases lists the folders under testdata/ that hold an input.yaml.
func goldenCases(t *testing.T) []string {
	t.Helper()
	return golden.Cases(t, "testdata", "input.yaml")
}

// runTrust runs the command in-process and returns its stdout and stderr.
func runTrust(t *testing.T, stdin []byte, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := Command()
	var out, errOut bytes.Buffer
	cmd.SetIn(bytes.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestGoldenOutputOfEveryFormat(t *testing.T) {
	for _, name := range goldenCases(t) {
		for format, file := range goldenFiles {
			t.Run(name+"/"+format, func(t *testing.T) {
				stdout, stderr, err := runTrust(t, nil, "--format", format, filepath.Join("testdata", name, "input.yaml"))
				if err != nil {
					t.Fatalf("trust --format %s: %v\n%s", format, err, stderr)
				}
				golden.Compare(t, filepath.Join("testdata", name, file), []byte(stdout))
			})
		}
	}
}

func TestOutputIsTheSameWhateverTheSpecOrder(t *testing.T) {
	forward, _, err := runTrust(t, nil, filepath.Join("testdata", "multi-spec-merge", "input.yaml"), filepath.Join("testdata", "azure", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	backward, _, err := runTrust(t, nil, filepath.Join("testdata", "azure", "input.yaml"), filepath.Join("testdata", "multi-spec-merge", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(forward, backward); diff != "" {
		t.Errorf("file order changed the output (-forward +backward):\n%s", diff)
	}
}
