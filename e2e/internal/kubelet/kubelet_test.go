package kubelet

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "x", "B": "y"}
	for in, want := range map[string]string{
		"$(A)/$(B)":  "x/y",
		"$$(A)":      "$(A)",
		"$(MISSING)": "$(MISSING)",
		"plain $":    "plain $",
	} {
		if got := expand(in, vars); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEnvironmentOrder(t *testing.T) {
	pod := &Pod{}
	pod.Metadata.Name, pod.Metadata.Namespace = "p", "ns"
	c := &Container{Env: []EnvVar{
		{Name: "SSL_CERT_FILE", Value: "/container/ca"},
		{Name: "DIR", Value: "/d"},
		{Name: "FILE", Value: "$(DIR)/f"},
	}}
	env, err := (&Kubelet{}).environment(context.Background(), pod, c, []string{"PATH=/bin", "SSL_CERT_FILE=/node/ca"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range env {
		for i := range kv {
			if kv[i] == '=' {
				got[kv[:i]] = kv[i+1:]
				break
			}
		}
	}
	if got["SSL_CERT_FILE"] != "/container/ca" || got["FILE"] != "/d/f" || got["PATH"] != "/bin" || got["HOSTNAME"] != "p" {
		t.Errorf("environment = %v", env)
	}
}

func TestWriteKeys(t *testing.T) {
	dir := t.TempDir()
	data := map[string][]byte{"a": []byte("1"), "b": []byte("2")}
	if err := writeKeys(dir, data, []KeyToPath{{Key: "b", Path: "sub/b.txt"}}, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "sub", "b.txt")); err != nil || string(b) != "2" {
		t.Errorf("sub/b.txt = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Error("key a written though items name only b")
	}
	if err := writeFile(dir, "../escape", nil, 0o644); err == nil {
		t.Error("path with .. accepted")
	}
}
