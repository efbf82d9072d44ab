// Package argocd renders an application for the Argo CD config management
// plugin (examples/argocd-cmp) without running anything a repository names.
//
// Anyone who can push to a repository that Argo CD syncs controls its
// kustomizations. `kustomize build --enable-alpha-plugins --enable-exec` would
// run any exec function such a kustomization declares (`path: ./x.sh`) in the
// repo-server's sidecar. Generate instead runs `kustomize build` with no flags,
// which allows kustomize's built-in transformers only and fails on any exec or
// container function or external plugin, in the app's kustomization and in
// every base below it; then it runs the function in process over the result.
package argocd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
)

// kustomizationFileNames are the names kustomize looks for, in its order.
var kustomizationFileNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// specFields are the fields of a kustomization whose file entries may name a
// spec: resources (the spec as an object of the app) and transformers and
// generators (the spec as an exec function, as kustomize itself runs it).
var specFields = []string{"resources", "transformers", "generators"}

// ErrFunctionRefused is wrapped when a kustomization of the app declares a
// KRM function or plugin that the plugin will not run.
var ErrFunctionRefused = errors.New("refusing to render: a kustomization of this app declares a KRM function or plugin")

// ErrNoManifests is wrapped when the app renders to nothing: Argo CD would
// take that as "the app has no resources" and, with pruning, delete them.
var ErrNoManifests = errors.New("the app rendered no manifests")

// ErrNoSpec is wrapped when the app folder holds no CrossCloudAccess spec.
var ErrNoSpec = errors.New("no CrossCloudAccess spec in the app folder")

// Generator renders one app folder.
type Generator struct {
	// Kustomize is the kustomize binary; empty: "kustomize" on PATH.
	Kustomize string
}

// Generate renders the app in dir: the spec files of the folder (every
// *.yaml or *.yml file holding CrossCloudAccess objects only) are taken out
// of the kustomization, the rest is built by kustomize with its built-ins
// only, and the function applies the specs to the result. When the
// kustomization lists a spec file, it is rewritten for the build and put
// back afterwards (the CMP server hands every command a fresh copy of the
// repository anyway). Results of the function are written to diagnostics.
func (g Generator) Generate(dir string, diagnostics *bytes.Buffer) ([]byte, error) {
	kustomizationPath, err := findKustomization(dir)
	if err != nil {
		return nil, err
	}
	specFiles, specs, err := readSpecFiles(dir, filepath.Base(kustomizationPath))
	if err != nil {
		return nil, err
	}
	restore, err := unlistSpecFiles(kustomizationPath, specFiles)
	if err != nil {
		return nil, err
	}
	built, err := g.build(dir)
	if restoreErr := restore(); restoreErr != nil && err == nil {
		err = restoreErr
	}
	if err != nil {
		return nil, err
	}
	items, err := kio.FromBytes(built)
	if err != nil {
		return nil, fmt.Errorf("reading kustomize's output: %w", err)
	}
	if len(specs) == 0 && !slices.ContainsFunc(items, isSpec) {
		return nil, fmt.Errorf("%w: put the spec in a file of its own beside %s (list it under resources: or transformers:, or not at all)",
			ErrNoSpec, filepath.Base(kustomizationPath))
	}
	// Every spec is an item, none the functionConfig: whoever can push to
	// the repository wrote them, and a spec among the items cannot widen
	// what the platform allows (spec.azure.authorityHost).
	out, results := function.Run(nil, append(items, specs...))
	for _, r := range results {
		fmt.Fprintln(diagnostics, r.String())
	}
	if results.ExitCode() != 0 {
		return nil, fmt.Errorf("%w: nothing rendered", function.ErrInvalid)
	}
	// The function keeps local-config specs (a kpt package would lose their
	// files otherwise); the cluster has no such kind.
	out = slices.DeleteFunc(out, isSpec)
	if len(out) == 0 {
		return nil, ErrNoManifests
	}
	var buf bytes.Buffer
	if err := (kio.ByteWriter{Writer: &buf}).Write(out); err != nil {
		return nil, fmt.Errorf("writing the manifests: %w", err)
	}
	return buf.Bytes(), nil
}

// build runs `kustomize build dir` with no flags: built-in transformers only.
func (g Generator) build(dir string) ([]byte, error) {
	bin := g.Kustomize
	if bin == "" {
		bin = "kustomize"
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "build", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	said := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(stderr.String()), "Error: "))
	if strings.Contains(said, "external plugins disabled") {
		// kustomize's own check covers nested and remote bases, which a scan
		// of this folder would not see.
		return nil, fmt.Errorf("%w; this plugin runs kustomize's built-in transformers only, never an executable or image that a repository names. "+
			"List the CrossCloudAccess spec under resources: or transformers: of the app's own kustomization and remove other functions (kustomize: %s)",
			ErrFunctionRefused, said)
	}
	if said == "" {
		said = err.Error()
	}
	return nil, fmt.Errorf("kustomize build: %s", said)
}

// isSpec reports whether n is a CrossCloudAccess of the served version; only
// a map is asked, since kyaml's getters panic on a list of odd length.
func isSpec(n *yaml.RNode) bool {
	return n.YNode() != nil && n.YNode().Kind == yaml.MappingNode &&
		n.GetKind() == v1alpha1.Kind && n.GetApiVersion() == v1alpha1.APIVersion
}

// findKustomization returns the path of dir's kustomization file.
func findKustomization(dir string) (string, error) {
	for _, name := range kustomizationFileNames {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no kustomization in %s: want one of %s", dir, strings.Join(kustomizationFileNames, ", "))
}

// readSpecFiles returns the names of the files of dir that hold only
// CrossCloudAccess objects, and those objects. Files that are not YAML
// streams are kustomize's business, not ours.
func readSpecFiles(dir, kustomization string) ([]string, []*yaml.RNode, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the app folder: %w", err)
	}
	var names []string
	var specs []*yaml.RNode
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || name == kustomization || (!strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml")) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", name, err)
		}
		nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
		if err != nil || len(nodes) == 0 || !allSpecs(nodes) {
			continue
		}
		names = append(names, name)
		specs = append(specs, nodes...)
	}
	return names, specs, nil
}

func allSpecs(nodes []*yaml.RNode) bool {
	for _, n := range nodes {
		if !isSpec(n) {
			return false
		}
	}
	return true
}

// unlistSpecFiles removes the entries naming spec files from the
// kustomization's resources, transformers and generators: as a transformer
// kustomize would refuse the spec (it is an exec function), and as a
// resource it would be built once more besides the copy read here. The
// returned function puts the kustomization back as it was.
func unlistSpecFiles(path string, specFiles []string) (func() error, error) {
	unchanged := func() error { return nil }
	if len(specFiles) == 0 {
		return unchanged, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the kustomization: %w", err)
	}
	k, err := yaml.Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("reading the kustomization %s: %w", filepath.Base(path), err)
	}
	changed := false
	for _, field := range specFields {
		list := k.Field(field)
		if list == nil || list.Value.YNode().Kind != yaml.SequenceNode {
			continue
		}
		seq := list.Value.YNode()
		kept := seq.Content[:0]
		for _, entry := range seq.Content {
			if entry.Kind == yaml.ScalarNode && slices.Contains(specFiles, filepath.Clean(entry.Value)) {
				changed = true
				continue
			}
			kept = append(kept, entry)
		}
		seq.Content = kept
	}
	if !changed {
		return unchanged, nil
	}
	out, err := k.String()
	if err != nil {
		return nil, fmt.Errorf("encoding the kustomization: %w", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading the kustomization: %w", err)
	}
	if err := os.WriteFile(path, []byte(out), info.Mode().Perm()); err != nil {
		return nil, fmt.Errorf("writing the kustomization: %w", err)
	}
	return func() error {
		if err := os.WriteFile(path, data, info.Mode().Perm()); err != nil {
			return fmt.Errorf("putting the kustomization back: %w", err)
		}
		return nil
	}, nil
}
