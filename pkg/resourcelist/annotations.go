package resourcelist

import (
	"fmt"
	"runtime"
	"strconv"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// preprocessAnnotations is kio.PreprocessResourcesForInternalAnnotationMigration,
// which framework.Execute runs on the items before the processor sees them,
// on several items at once: each item's work is its own.
func preprocessAnnotations(items []*yaml.RNode) (map[string]map[string]string, error) {
	annos := make([]map[string]string, len(items))
	err := forEachIndex(len(items), func(i int) error {
		item := items[i]
		if err := item.PipeE(yaml.SetAnnotation(kioutil.InternalAnnotationsMigrationResourceIDAnnotation, strconv.Itoa(i))); err != nil {
			return err
		}
		annos[i] = kioutil.GetInternalAnnotations(item)
		if err := kioutil.CopyLegacyAnnotations(item); err != nil {
			return err
		}
		meta, _ := item.GetMeta()
		return checkMismatchedAnnos(meta.Annotations)
	})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]map[string]string, len(items))
	for i, a := range annos {
		byID[strconv.Itoa(i)] = a
	}
	return byID, nil
}

// The annotations kyaml still reads and writes beside its internal ones,
// under the names it deprecates.
const (
	legacyPathAnnotation  = "config.kubernetes.io/path"
	legacyIndexAnnotation = "config.kubernetes.io/index"
	legacyIDAnnotation    = "config.k8s.io/id"
)

// checkMismatchedAnnos is kio's, which is not exported.
func checkMismatchedAnnos(annotations map[string]string) error {
	path := annotations[kioutil.PathAnnotation]
	index := annotations[kioutil.IndexAnnotation]
	id := annotations[kioutil.IdAnnotation]

	legacyPath := annotations[legacyPathAnnotation]
	legacyIndex := annotations[legacyIndexAnnotation]
	legacyID := annotations[legacyIDAnnotation]

	if path != "" && legacyPath != "" && path != legacyPath {
		return fmt.Errorf("resource input to function has mismatched legacy and internal path annotations")
	}
	if index != "" && legacyIndex != "" && index != legacyIndex {
		return fmt.Errorf("resource input to function has mismatched legacy and internal index annotations")
	}
	if id != "" && legacyID != "" && id != legacyID {
		return fmt.Errorf("resource input to function has mismatched legacy and internal id annotations")
	}
	return nil
}

// reconcileAnnotations is kio.ReconcileInternalAnnotations, which
// framework.Execute runs on the items after the processor, on a share of
// the items per CPU: it reads the original annotations and changes only the
// item it is on.
func reconcileAnnotations(items []*yaml.RNode, original map[string]map[string]string) error {
	return forEachShare(len(items), func(from, to int) error {
		return kio.ReconcileInternalAnnotations(items[from:to], original)
	})
}

// forEachIndex runs f on every index below n, in parallel on large inputs,
// and returns the error of the first index it failed on, as a loop would.
func forEachIndex(n int, f func(i int) error) error {
	return forEachShare(n, func(from, to int) error {
		for i := from; i < to; i++ {
			if err := f(i); err != nil {
				return err
			}
		}
		return nil
	})
}

// forEach runs f on every item in the same way.
func forEach(items []*yaml.RNode, f func(*yaml.RNode) error) error {
	return forEachIndex(len(items), func(i int) error { return f(items[i]) })
}

// forEachShare splits [0, n) into one run of indexes per CPU, runs f on
// each run and returns the error of the first run that failed. Small
// inputs are one run: goroutines would cost more than they save.
func forEachShare(n int, f func(from, to int) error) error {
	workers := runtime.GOMAXPROCS(0)
	if n < parallelFrom || workers == 1 {
		return f(0, n)
	}
	errs := make([]error, workers)
	per := (n + workers - 1) / workers
	var g group
	for w := range workers {
		g.Go(func() { errs[w] = f(min(w*per, n), min((w+1)*per, n)) })
	}
	g.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// group runs goroutines and waits for them; a panic in one panics the
// goroutine that waits, as it would have had the work been done there.
type group struct {
	wg       sync.WaitGroup
	mu       sync.Mutex
	panicked any
}

func (g *group) Go(f func()) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer func() {
			if v := recover(); v != nil {
				g.mu.Lock()
				if g.panicked == nil {
					g.panicked = v
				}
				g.mu.Unlock()
			}
		}()
		f()
	}()
}

func (g *group) Wait() {
	g.wg.Wait()
	if g.panicked != nil {
		panic(g.panicked)
	}
}
