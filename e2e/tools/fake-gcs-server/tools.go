//go:build tools

// Package tools pins github.com/fsouza/fake-gcs-server as a dependency of this module.
package tools

import _ "github.com/fsouza/fake-gcs-server"
