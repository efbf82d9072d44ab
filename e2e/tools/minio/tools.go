//go:build tools

// Package tools pins github.com/minio/minio as a dependency of this module.
package tools

import _ "github.com/minio/minio"
