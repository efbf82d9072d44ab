// Command bench measures the function binary on ResourceLists of 100, 1,000
// and 10,000 workloads (internal/benchdata), against two baselines in the
// same run: a kyaml function that changes nothing (internal/cmd/kyaml-identity)
// on the same input, and on the function's output. It reports wall time
// per workload (the median of several runs), CPU time, peak RSS (the
// child's maximum resident set, as /usr/bin/time reports it) and bytes
// allocated per workload (one run of the same code in a child process, from
// runtime.MemStats). It is a measurement (`make bench`), not a test:
// timings on a shared machine vary, so read the ratios of one run.
//
// Everything that takes memory runs in a child process (this program run
// again with -child): Linux starts a child's peak RSS at its parent's, so
// the parent must stay small for the children's peaks to be theirs.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/crosscloud-dev/cross-cloud-access/internal/benchdata"
)

func main() {
	sizes := flag.String("n", "100,1000,10000", "workload counts, comma-separated")
	function := flag.String("function", "bin/cross-cloud-access", "the cross-cloud-access binary")
	identity := flag.String("identity", "bin/kyaml-identity", "the kyaml identity function's binary")
	minRuns := flag.Int("runs", 3, "rounds at least (a round runs each binary once); more while the rounds take under three times -min-time")
	minTime := flag.Duration("min-time", 2*time.Second, "run each binary about this long in all (and at least -runs times)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the in-process function run at the largest -n here")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the in-process function run at the largest -n here")
	kyamlIO := flag.Bool("kyaml-io", false, "count the function's allocations with kyaml's reader and writer, as the binary did before pkg/resourcelist: for -function pointing at such a binary")
	child := flag.String("child", "", "internal: generate N (-n) into -path, or count the allocations of function, function-kyaml or identity on -path")
	path := flag.String("path", "", "internal: the child's file")
	flag.Parse()
	if *child != "" {
		if err := runChild(*child, *sizes, *path, *cpuProfile, *memProfile); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	var ns []int
	for _, field := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: -n: %q is not a workload count\n", field)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	b := bench{function: *function, identity: *identity, minRuns: *minRuns, minTime: *minTime, functionInProcess: "function"}
	if *kyamlIO {
		b.functionInProcess = "function-kyaml"
	}
	if err := b.run(ns, *cpuProfile, *memProfile); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	function, identity string
	minRuns            int
	minTime            time.Duration
	// functionInProcess is the child that counts the function's
	// allocations: function or function-kyaml.
	functionInProcess string
}

// measurement is one subject at one size.
type measurement struct {
	wall, cpu time.Duration // median per run
	rssKB     int64         // the largest peak RSS of the runs
	allocated uint64        // bytes allocated by one in-process run
	runs      int
}

func (b bench) run(ns []int, cpuProfile, memProfile string) error {
	dir, err := os.MkdirTemp("", "bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("%d CPUs; medians of at least %d runs and about %s per binary, the binaries in turn\n\n", runtime.NumCPU(), b.minRuns, b.minTime)
	fmt.Printf("%-9s %-17s %8s %8s %12s %11s %10s %10s %5s\n", "workloads", "subject", "in MB", "out MB", "ns/workload", "B/workload", "peak RSS", "CPU s/run", "runs")
	type row struct {
		n                     int
		function, idIn, idOut measurement
	}
	var rows []row
	for i, n := range ns {
		inPath := filepath.Join(dir, fmt.Sprintf("in-%d.yaml", n))
		outPath := filepath.Join(dir, fmt.Sprintf("out-%d.yaml", n))
		if _, err := self("generate", strconv.Itoa(n), inPath, "", ""); err != nil {
			return err
		}
		// The function's output, once, untimed: the second baseline's input.
		if err := runOnce(b.function, inPath, outPath); err != nil {
			return fmt.Errorf("%d workloads: %w", n, err)
		}
		inSize, outSize := size(inPath), size(outPath)
		r := row{n: n}
		last := i == len(ns)-1
		subjects := []struct {
			name, binary, path, inProcess string
			in, out                       int64
			m                             *measurement
		}{
			{"function", b.function, inPath, b.functionInProcess, inSize, outSize, &r.function},
			{"identity(input)", b.identity, inPath, "identity", inSize, inSize, &r.idIn},
			{"identity(output)", b.identity, outPath, "identity", outSize, outSize, &r.idOut},
		}
		// Rounds of the three in turn: a machine whose load changes
		// changes it for all three alike.
		var runs [3][]run
		start := time.Now()
		for round := 0; round < b.minRuns || time.Since(start) < 3*b.minTime; round++ {
			for j, s := range subjects {
				wall, cpu, rss, err := timed(s.binary, s.path)
				if err != nil {
					return fmt.Errorf("%d workloads, %s: %w", n, s.name, err)
				}
				runs[j] = append(runs[j], run{wall, cpu, rss})
			}
		}
		for j, s := range subjects {
			m := summary(runs[j])
			cpu, mem := "", ""
			if last && s.name == "function" {
				cpu, mem = cpuProfile, memProfile
			}
			out, err := self(s.inProcess, "", s.path, cpu, mem)
			if err != nil {
				return fmt.Errorf("%d workloads, %s in process: %w", n, s.name, err)
			}
			if m.allocated, err = strconv.ParseUint(strings.TrimSpace(out), 10, 64); err != nil {
				return fmt.Errorf("%d workloads, %s in process: %q: %w", n, s.name, out, err)
			}
			*s.m = m
			fmt.Printf("%-9d %-17s %8.1f %8.1f %12.0f %11.0f %7.0f MB %10.2f %5d\n", n, s.name,
				float64(s.in)/1e6, float64(s.out)/1e6,
				float64(m.wall.Nanoseconds())/float64(n), float64(m.allocated)/float64(n),
				float64(m.rssKB)/1024, m.cpu.Seconds(), m.runs)
		}
		rows = append(rows, r)
	}
	fmt.Printf("\n%-9s %22s %22s %22s %22s\n", "workloads", "time/identity(input)", "time/identity(output)", "RSS/identity(input)", "RSS/identity(output)")
	for _, r := range rows {
		fmt.Printf("%-9d %22.2f %22.2f %22.2f %22.2f\n", r.n,
			ratio(r.function.wall, r.idIn.wall), ratio(r.function.wall, r.idOut.wall),
			float64(r.function.rssKB)/float64(r.idIn.rssKB), float64(r.function.rssKB)/float64(r.idOut.rssKB))
	}
	for i := 1; i < len(rows); i++ {
		a, z := rows[i-1], rows[i]
		fmt.Printf("growth %d -> %d workloads (x%.0f): time x%.2f, RSS x%.2f\n", a.n, z.n, float64(z.n)/float64(a.n),
			ratio(z.function.wall, a.function.wall), float64(z.function.rssKB)/float64(a.function.rssKB))
	}
	return nil
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

// run is one run of a binary.
type run struct {
	wall, cpu time.Duration
	rssKB     int64
}

// summary is the median wall and CPU time of runs and their largest peak RSS.
func summary(runs []run) measurement {
	var walls, cpus []time.Duration
	var m measurement
	for _, r := range runs {
		walls, cpus = append(walls, r.wall), append(cpus, r.cpu)
		m.rssKB = max(m.rssKB, r.rssKB)
	}
	m.wall, m.cpu, m.runs = median(walls), median(cpus), len(runs)
	return m
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

func timed(binary, path string) (wall, cpu time.Duration, rssKB int64, err error) {
	in, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer in.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, 0, 0, err
	}
	defer null.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(binary)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, null, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, 0, fmt.Errorf("%s: %w\n%s", binary, err, stderr.String())
	}
	wall = time.Since(start)
	usage := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), usage.Maxrss, nil
}

func runOnce(binary, inPath, outPath string) error {
	in, err := os.Open(inPath)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(outPath)
	if err != nil {
		return err
	}
	defer out.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(binary)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", binary, err, stderr.String())
	}
	return nil
}

// self runs this program as a child, to do what takes memory.
func self(child, n, path, cpuProfile, memProfile string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	args := []string{"-child", child, "-path", path}
	if n != "" {
		args = append(args, "-n", n)
	}
	if cpuProfile != "" {
		args = append(args, "-cpuprofile", cpuProfile)
	}
	if memProfile != "" {
		args = append(args, "-memprofile", memProfile)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", exe, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

func size(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

// runChild is the child's work: writing the input of n workloads, or
// counting what one run of the function or the identity allocates.
func runChild(child, n, path, cpuProfile, memProfile string) error {
	switch child {
	case "generate":
		count, err := strconv.Atoi(n)
		if err != nil {
			return err
		}
		input, err := benchdata.ResourceList(count)
		if err != nil {
			return err
		}
		return os.WriteFile(path, input, 0o644)
	case "function", "function-kyaml", "identity":
		run := map[string]func(io.Reader, io.Writer) error{"function": runFunction, "function-kyaml": runFunctionKyaml, "identity": runIdentity}[child]
		input, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		allocated, err := allocated(input, run, cpuProfile, memProfile)
		if err != nil {
			return err
		}
		fmt.Println(allocated)
		return nil
	}
	return fmt.Errorf("-child %s: want generate, function, function-kyaml or identity", child)
}

// allocated is what one run of the subject's code allocates in this process.
func allocated(input []byte, run func(io.Reader, io.Writer) error, cpuProfile, memProfile string) (uint64, error) {
	if memProfile != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() { runtime.MemProfileRate = 512 << 10 }()
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 0, err
		}
		defer pprof.StopCPUProfile()
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := run(bytes.NewReader(input), io.Discard)
	runtime.ReadMemStats(&after)
	if err != nil {
		return 0, err
	}
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return 0, err
		}
	}
	return after.TotalAlloc - before.TotalAlloc, nil
}

func runIdentity(in io.Reader, out io.Writer) error {
	identity := framework.ResourceListProcessorFunc(func(*framework.ResourceList) error { return nil })
	return framework.Execute(identity, &kio.ByteReadWriter{Reader: in, Writer: out, KeepReaderAnnotations: true})
}
