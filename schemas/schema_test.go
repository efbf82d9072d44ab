package schemas_test

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscloud-dev/cross-cloud-access/schemas"
	"github.com/crosscloud-dev/cross-cloud-access/schemas/reflect"
)

// The checked-in schema must be what the Go types reflect to today.
func TestSchemaIsNotStale(t *testing.T) {
	want, err := reflect.CrossCloudAccess()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(schemas.FileName)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s is stale; run `make generate` (-reflected +checked in):\n%s", schemas.FileName, diff)
	}
	if string(got) != string(schemas.CrossCloudAccessV1alpha1) {
		t.Error("the embedded schema differs from the file")
	}
}
