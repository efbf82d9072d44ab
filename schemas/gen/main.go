// Command gen writes the JSON Schema of the CrossCloudAccess API. References
// are expanded because kube-openapi, which validates function configs, panics
// on $ref.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/crosscloud-dev/cross-cloud-access/schemas/reflect"
)

func main() {
	out := flag.String("out", "", "file to write (default: stdout)")
	flag.Parse()
	data, err := reflect.CrossCloudAccess()
	if err == nil {
		if *out == "" {
			_, err = os.Stdout.Write(data)
		} else {
			err = os.WriteFile(*out, data, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
