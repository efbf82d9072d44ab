// Package schemas holds the JSON Schema of the CrossCloudAccess API, reflected
// from the Go types in pkg/api by `go generate` and embedded so the function
// validates its config against exactly the file editors and CI use.
package schemas

import _ "embed"

//go:generate go run ./gen -out crosscloudaccess-v1alpha1.json

// CrossCloudAccessV1alpha1 is the schema of crosscloud.dev/v1alpha1 CrossCloudAccess.
//
//go:embed crosscloudaccess-v1alpha1.json
var CrossCloudAccessV1alpha1 []byte

// FileName is the checked-in schema's name inside schemas/.
const FileName = "crosscloudaccess-v1alpha1.json"
