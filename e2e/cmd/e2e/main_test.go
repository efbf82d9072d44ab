package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// etcd built from tools/etcd lands in bin, not on PATH: the run must find it
// there (world.binary starts it from bin), or a machine without Debian's
// etcd-server package cannot run the suite at all.
func TestMissingToolsFindsEtcdInBin(t *testing.T) {
	bin := t.TempDir()
	t.Setenv("PATH", t.TempDir())
	want := "etcd (in " + bin + " or on PATH)"
	if got := missingTools(bin); !slices.Contains(got, want) {
		t.Fatalf("with no etcd anywhere, missing = %v; want it to name %q", got, want)
	}
	if err := os.WriteFile(filepath.Join(bin, "etcd"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := missingTools(bin); slices.Contains(got, want) {
		t.Errorf("with etcd in bin, missing = %v; want no etcd in it", got)
	}
}
