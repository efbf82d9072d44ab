package main

import (
	"io"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/resourcelist"
)

// runFunction is the binary's ResourceList path, in this process.
func runFunction(in io.Reader, out io.Writer) error {
	return resourcelist.Execute(function.Processor{}, in, out)
}

// runFunctionKyaml is the function with kyaml's reader and writer, as
// command.Build runs it: the binary before pkg/resourcelist.
func runFunctionKyaml(in io.Reader, out io.Writer) error {
	return framework.Execute(function.Processor{}, &kio.ByteReadWriter{Reader: in, Writer: out, KeepReaderAnnotations: true})
}
