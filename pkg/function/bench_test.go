package function

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/crosscloud-dev/cross-cloud-access/internal/benchdata"
)

// benchInput is a ResourceList of n Deployments, every other one running as
// the spec's ServiceAccount, each with its own envFrom ConfigMap (so the
// envFrom index grows with n as well).
func benchInput(b *testing.B, n int) []byte {
	b.Helper()
	var items strings.Builder
	for i := 0; i < n; i++ {
		account := "app"
		if i%2 == 1 {
			account = "other"
		}
		fmt.Fprintf(&items, `---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings-%[1]d, namespace: apps}
data: {LOG_LEVEL: info}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-%[1]d
  namespace: apps
  labels: {app: api-%[1]d}
spec:
  selector: {matchLabels: {app: api-%[1]d}}
  template:
    metadata: {labels: {app: api-%[1]d}}
    spec:
      serviceAccountName: %[2]s
      initContainers:
      - {name: proxy, image: proxy:1, restartPolicy: Always}
      containers:
      - name: app
        image: app:1
        env: [{name: PORT, value: "8080"}]
        envFrom: [{configMapRef: {name: settings-%[1]d}}]
        volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, emptyDir: {}}]
`, i, account)
	}
	rl, err := resourceList([]byte(benchdata.Spec), []byte(items.String()))
	if err != nil {
		b.Fatal(err)
	}
	return rl
}

// BenchmarkFunction runs the whole function, ResourceList in and out, on 100,
// 1,000 and 10,000 workloads. ns/workload and B/workload should stay flat as
// n grows: anything else is a scan of all items per item.
func BenchmarkFunction(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			input := benchInput(b, n)
			b.SetBytes(int64(len(input)))
			b.ReportAllocs()
			for b.Loop() {
				err := framework.Execute(Processor{}, &kio.ByteReadWriter{Reader: bytes.NewReader(input), Writer: io.Discard, KeepReaderAnnotations: true})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/workload")
		})
	}
}
