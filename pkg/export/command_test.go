package export

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func runExport(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := Command()
	cmd.SetArgs(args)
	cmd.SetErr(&stderr)
	cmd.SetOut(&stderr)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return stderr.String(), err
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// CI runs `export --check` to catch a committed Component that no longer
// matches the spec: it must fail then, pass when nothing changed, and never
// write.
func TestExportCheckFailsWhenTheCommittedComponentIsStale(t *testing.T) {
	caseDir := filepath.Join(repoRoot, "testdata", "generic-all-clouds-one-pod")
	work := t.TempDir()
	config := filepath.Join(work, "spec.yaml")
	specData, err := os.ReadFile(filepath.Join(caseDir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, config, string(specData))
	input := filepath.Join(caseDir, "input.yaml")
	out := filepath.Join(work, "component")
	if stderr, err := runExport(t, "--config", config, "--out", out, input); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}

	if stderr, err := runExport(t, "--config", config, "--out", out, "--check", input); err != nil {
		t.Fatalf("--check right after export: %v\n%s", err, stderr)
	}

	before := snapshot(t, out)
	changed := strings.Replace(string(specData), "111122223333", "444455556666", 1)
	if changed == string(specData) {
		t.Fatal("the case's spec has no account id to change")
	}
	write(t, config, changed)
	_, err = runExport(t, "--config", config, "--out", out, "--check", input)
	if !errors.Is(err, ErrStale) {
		t.Fatalf("--check after the spec changed: got %v, want ErrStale", err)
	}
	if !strings.Contains(err.Error(), "patches/") {
		t.Errorf("the error does not name the stale files: %v", err)
	}
	if after := snapshot(t, out); len(after) != len(before) {
		t.Errorf("--check wrote files")
	} else {
		for path, content := range before {
			if after[path] != content {
				t.Errorf("--check changed %s", path)
			}
		}
	}

	write(t, config, string(specData))
	extra := filepath.Join(out, "patches", "deployment-old.yaml")
	write(t, extra, Header+"kind: Deployment\n")
	_, err = runExport(t, "--config", config, "--out", out, "--check", input)
	if !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "deployment-old.yaml") {
		t.Errorf("--check with a patch export no longer writes: got %v", err)
	}
}

// A kustomization.yaml in --out that export did not write is the user's:
// export stops, says how to force it, and --force overwrites it.
func TestExportRefusesToOverwriteAKustomizationItDidNotWrite(t *testing.T) {
	caseDir := filepath.Join(repoRoot, "testdata", "generic-all-clouds-one-pod")
	config := filepath.Join(caseDir, "config.yaml")
	input := filepath.Join(caseDir, "input.yaml")
	out := filepath.Join(t.TempDir(), "overlay")
	own := "resources: [../base]\n"
	write(t, filepath.Join(out, "kustomization.yaml"), own)

	_, err := runExport(t, "--config", config, "--out", out, input)
	if !errors.Is(err, ErrNotGenerated) || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), "kustomization.yaml") {
		t.Fatalf("export over a hand-written kustomization.yaml: %v; want a refusal naming the file and --force", err)
	}
	files := snapshot(t, out)
	if len(files) != 1 || files[filepath.Join(out, "kustomization.yaml")] != own {
		t.Errorf("the refused export changed %s: %v", out, files)
	}

	if stderr, err := runExport(t, "--config", config, "--out", out, "--force", input); err != nil {
		t.Fatalf("export --force: %v\n%s", err, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "kustomization.yaml"))
	if err != nil || !strings.HasPrefix(string(data), Header) {
		t.Errorf("--force did not write kustomization.yaml: %v\n%s", err, data)
	}
}

// export --namespace is the flag the refusal names; with it the Component
// is written.
func TestExportNamespaceFlag(t *testing.T) {
	work := t.TempDir()
	config := filepath.Join(work, "spec.yaml")
	write(t, config, ordersSpec(""))
	base := filepath.Join(work, "base.yaml")
	write(t, base, namespacelessBase)
	out := filepath.Join(work, "component")
	stderr, err := runExport(t, "--config", config, "--out", out, base)
	if !errors.Is(err, ErrNamespaceNeeded) || !strings.Contains(err.Error(), "pass --namespace NAMESPACE") {
		t.Fatalf("export without --namespace = %v; want ErrNamespaceNeeded naming the flag\n%s", err, stderr)
	}
	if _, statErr := os.Stat(out); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("a refused export wrote %s", out)
	}
	if stderr, err := runExport(t, "--config", config, "--out", out, "--namespace", "orders", base); err != nil {
		t.Fatalf("export --namespace orders: %v\n%s", err, stderr)
	}
	files := snapshot(t, out)
	if len(files) == 0 || !strings.Contains(strings.Join(mapValues(files), ""), "system:serviceaccount:orders:api") {
		t.Errorf("the Component does not stamp orders: %v", files)
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// Resources are read as written: export never expands YAML aliases, which
// ten levels of ten (1.3 KB) would turn into ten billion nodes. Six levels
// (a million nodes expanded) in a ConfigMap the function leaves alone tell a
// reader that expands them by the memory it takes.
func TestExportDoesNotExpandAliases(t *testing.T) {
	work := t.TempDir()
	config := filepath.Join(work, "spec.yaml")
	write(t, config, string(placementSpec("apps")))
	var fan strings.Builder
	fan.WriteString("  fan0: &fan0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 6; i++ {
		fmt.Fprintf(&fan, "  fan%d: &fan%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*fan%d, ", i-1), 10), ", "))
	}
	input := filepath.Join(work, "input.yaml")
	write(t, input, placementDeployment("apps")+"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: fan, namespace: apps}\ndata:\n  plain: x\nx-fan:\n"+fan.String())
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if stderr, err := runExport(t, "--config", config, "--out", filepath.Join(work, "component"), input); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	runtime.ReadMemStats(&after)
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 64<<20 {
		t.Errorf("export allocated %d MB for a 1 KB input; it expanded the aliases", allocated>>20)
	}
}
