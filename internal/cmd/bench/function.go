package main

import (
	"io"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
)

// runFunction is the binary's ResourceList path, in this process.
func runFunction(in io.Reader, out io.Writer) error {
	return framework.Execute(function.Processor{}, &kio.ByteReadWriter{Reader: in, Writer: out, KeepReaderAnnotations: true})
}
