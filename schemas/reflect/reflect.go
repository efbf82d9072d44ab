// Package reflect builds the JSON Schema of the API from its Go types; the
// generator writes it and a test checks the checked-in file is not stale.
package reflect

import (
	"encoding/json"
	"fmt"

	"github.com/invopop/jsonschema"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
)

// SchemaID is where the schema is published; editors resolve it from the
// yaml-language-server modeline in the examples.
const SchemaID = "https://raw.githubusercontent.com/crosscloud-dev/cross-cloud-access/main/schemas/crosscloudaccess-v1alpha1.json"

// CrossCloudAccess returns the indented schema, ending in a newline.
func CrossCloudAccess() ([]byte, error) {
	r := &jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true}
	s := r.Reflect(&v1alpha1.CrossCloudAccess{})
	s.ID = SchemaID
	s.Title = "CrossCloudAccess"
	s.Description = "Keyless access from one Kubernetes ServiceAccount to AWS, GCP and Azure (crosscloud.dev/v1alpha1)."
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshalling the CrossCloudAccess schema: %w", err)
	}
	return append(data, '\n'), nil
}
