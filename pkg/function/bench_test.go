package function

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/internal/benchdata"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/resourcelist"
)

// BenchmarkFunction runs the whole function as the binary does, ResourceList
// in and out (pkg/resourcelist), on 100,
// 1,000 and 10,000 workloads (internal/benchdata: every other one runs as
// the spec's ServiceAccount, each with its own envFrom ConfigMap, so the
// envFrom index grows with n as well). ns/workload and B/workload should stay
// flat as n grows: anything else is a scan of all items per item.
func BenchmarkFunction(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			input, err := benchdata.ResourceList(n)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(input)))
			b.ReportAllocs()
			for b.Loop() {
				err := resourcelist.Execute(Processor{}, bytes.NewReader(input), io.Discard)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/workload")
		})
	}
}
