// Package kubelet does the kubelet's part for one container of a pod that
// was applied to a real apiserver, since no kubelet runs in the e2e suite:
// it materialises the container's volumes (service account tokens from the
// TokenRequest API bound to the pod, with each projection's audience and
// expiration; ConfigMap, Secret and downward API files), resolves the
// container's environment, and runs a command with exactly that environment
// and those files at their exact mount paths inside a private mount
// namespace. Nothing in the pod's manifest is rewritten.
package kubelet

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/cluster"
)

// Pod is the part of a Pod object the harness reads.
type Pod struct {
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
		UID       string `json:"uid"`
	} `json:"metadata"`
	Spec struct {
		ServiceAccountName string      `json:"serviceAccountName"`
		NodeName           string      `json:"nodeName"`
		Containers         []Container `json:"containers"`
		InitContainers     []Container `json:"initContainers"`
		Volumes            []Volume    `json:"volumes"`
	} `json:"spec"`
}

// Container is the part of a container the harness reads.
type Container struct {
	Name         string        `json:"name"`
	Command      []string      `json:"command"`
	Args         []string      `json:"args"`
	WorkingDir   string        `json:"workingDir"`
	Env          []EnvVar      `json:"env"`
	EnvFrom      []EnvFrom     `json:"envFrom"`
	VolumeMounts []VolumeMount `json:"volumeMounts"`
}

// EnvVar is a container environment variable.
type EnvVar struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	ValueFrom *struct {
		FieldRef        *FieldRef `json:"fieldRef"`
		ConfigMapKeyRef *KeyRef   `json:"configMapKeyRef"`
		SecretKeyRef    *KeyRef   `json:"secretKeyRef"`
	} `json:"valueFrom"`
}

// EnvFrom is a container envFrom source.
type EnvFrom struct {
	Prefix       string  `json:"prefix"`
	ConfigMapRef *ObjRef `json:"configMapRef"`
	SecretRef    *ObjRef `json:"secretRef"`
}

// ObjRef names a ConfigMap or Secret.
type ObjRef struct {
	Name     string `json:"name"`
	Optional *bool  `json:"optional"`
}

// KeyRef names a key of a ConfigMap or Secret.
type KeyRef struct {
	Name     string `json:"name"`
	Key      string `json:"key"`
	Optional *bool  `json:"optional"`
}

// FieldRef is a downward API field reference.
type FieldRef struct {
	FieldPath string `json:"fieldPath"`
}

// VolumeMount mounts a volume into a container.
type VolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	SubPath   string `json:"subPath"`
	ReadOnly  bool   `json:"readOnly"`
}

// KeyToPath maps a key to a file.
type KeyToPath struct {
	Key  string `json:"key"`
	Path string `json:"path"`
	Mode *int32 `json:"mode"`
}

// Volume is a pod volume of a kind the harness can materialise.
type Volume struct {
	Name      string `json:"name"`
	Projected *struct {
		DefaultMode *int32             `json:"defaultMode"`
		Sources     []ProjectionSource `json:"sources"`
	} `json:"projected"`
	ConfigMap *struct {
		KeyProjection
		DefaultMode *int32 `json:"defaultMode"`
	} `json:"configMap"`
	Secret *struct {
		SecretName  string      `json:"secretName"`
		Items       []KeyToPath `json:"items"`
		DefaultMode *int32      `json:"defaultMode"`
		Optional    *bool       `json:"optional"`
	} `json:"secret"`
	DownwardAPI *DownwardAPIProjection `json:"downwardAPI"`
	EmptyDir    *struct{}              `json:"emptyDir"`
}

// ProjectionSource is one source of a projected volume.
type ProjectionSource struct {
	ServiceAccountToken *ServiceAccountTokenProjection `json:"serviceAccountToken"`
	ConfigMap           *KeyProjection                 `json:"configMap"`
	Secret              *KeyProjection                 `json:"secret"`
	DownwardAPI         *DownwardAPIProjection         `json:"downwardAPI"`
}

// KeyProjection is a ConfigMap or Secret whose keys become files: a
// projected volume's source, or (for a ConfigMap) the volume itself.
type KeyProjection struct {
	Name     string      `json:"name"`
	Items    []KeyToPath `json:"items"`
	Optional *bool       `json:"optional"`
}

// DownwardAPIProjection is a set of downward API files.
type DownwardAPIProjection struct {
	Items []DownwardItem `json:"items"`
}

// ServiceAccountTokenProjection is a projected service account token.
type ServiceAccountTokenProjection struct {
	Audience          string `json:"audience"`
	ExpirationSeconds *int64 `json:"expirationSeconds"`
	Path              string `json:"path"`
}

// DownwardItem is a downward API file.
type DownwardItem struct {
	Path     string    `json:"path"`
	FieldRef *FieldRef `json:"fieldRef"`
	Mode     *int32    `json:"mode"`
}

// Mount is a directory bind-mounted into the container's view.
type Mount struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly"`
}

// Plan is everything needed to run a command as the container: what to
// mount where, the environment, and the hosts file. It is handed to the
// process that enters the mount namespace.
type Plan struct {
	Mounts     []Mount  `json:"mounts"`
	Env        []string `json:"env"`
	HostsFile  string   `json:"hostsFile"`
	WorkingDir string   `json:"workingDir"`
	Argv       []string `json:"argv"`
}

// TokenHook may replace a token the apiserver issued before it is written
// (the suite uses it to present an expired token). It gets the volume name,
// the projection and the token.
type TokenHook func(volume string, projection ServiceAccountTokenProjection, token string) (string, error)

// Kubelet prepares containers of pods of one cluster.
type Kubelet struct {
	Cluster *cluster.Cluster
	// Dir holds the materialised volumes.
	Dir string
	// TokenHook, when set, sees every token before it is written.
	TokenHook TokenHook
}

// GetPod reads a pod as the apiserver stored it (defaults and admission
// changes included).
func (k *Kubelet) GetPod(ctx context.Context, namespace, name string) (*Pod, error) {
	var pod Pod
	if err := k.Cluster.Get(ctx, fmt.Sprintf("/api/v1/namespaces/%s/pods/%s", namespace, name), &pod); err != nil {
		return nil, fmt.Errorf("get pod %s/%s: %w", namespace, name, err)
	}
	return &pod, nil
}

// Prepare materialises the volumes of the named container of pod (the
// first container when name is empty) and resolves its environment.
// nodeEnv is the environment the node and image provide (PATH, HOME, CA
// bundles); the container's own env wins over it.
func (k *Kubelet) Prepare(ctx context.Context, pod *Pod, name string, nodeEnv []string, hostsFile string) (*Plan, error) {
	var c *Container
	for i := range pod.Spec.Containers {
		if name == "" || pod.Spec.Containers[i].Name == name {
			c = &pod.Spec.Containers[i]
			break
		}
	}
	if c == nil {
		return nil, fmt.Errorf("pod %s/%s has no container %q", pod.Metadata.Namespace, pod.Metadata.Name, name)
	}
	podDir := filepath.Join(k.Dir, pod.Metadata.Namespace+"_"+pod.Metadata.Name+"_"+c.Name)
	// Volumes are written afresh, as for a new pod.
	if err := os.RemoveAll(podDir); err != nil {
		return nil, fmt.Errorf("clear the volumes of an earlier run: %w", err)
	}
	plan := &Plan{HostsFile: hostsFile, WorkingDir: c.WorkingDir}
	volumes := map[string]Volume{}
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = v
	}
	materialised := map[string]string{}
	for _, vm := range c.VolumeMounts {
		if vm.SubPath != "" {
			return nil, fmt.Errorf("container %s mounts volume %s with subPath, which the harness does not support", c.Name, vm.Name)
		}
		dir, ok := materialised[vm.Name]
		if !ok {
			v, found := volumes[vm.Name]
			if !found {
				return nil, fmt.Errorf("container %s mounts volume %s, which the pod does not define", c.Name, vm.Name)
			}
			dir = filepath.Join(podDir, "volumes", vm.Name)
			if err := k.materialise(ctx, pod, v, dir); err != nil {
				return nil, fmt.Errorf("volume %s: %w", vm.Name, err)
			}
			materialised[vm.Name] = dir
		}
		plan.Mounts = append(plan.Mounts, Mount{Source: dir, Target: vm.MountPath, ReadOnly: vm.ReadOnly})
	}
	env, err := k.environment(ctx, pod, c, nodeEnv)
	if err != nil {
		return nil, err
	}
	plan.Env = env
	plan.Argv = append(append([]string(nil), c.Command...), c.Args...)
	return plan, nil
}

func (k *Kubelet) materialise(ctx context.Context, pod *Pod, v Volume, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	ns := pod.Metadata.Namespace
	switch {
	case v.EmptyDir != nil:
		return nil
	case v.ConfigMap != nil:
		return writeKeysOf(ctx, k.configMap, ns, v.ConfigMap.KeyProjection, dir, mode(v.ConfigMap.DefaultMode, 0o644))
	case v.Secret != nil:
		s := v.Secret
		return writeKeysOf(ctx, k.secret, ns, KeyProjection{Name: s.SecretName, Items: s.Items, Optional: s.Optional}, dir, mode(s.DefaultMode, 0o644))
	case v.DownwardAPI != nil:
		return writeDownward(dir, pod, v.DownwardAPI.Items, 0o644)
	case v.Projected != nil:
		defMode := mode(v.Projected.DefaultMode, 0o644)
		for _, s := range v.Projected.Sources {
			if err := k.project(ctx, pod, v.Name, s, dir, defMode); err != nil {
				return err
			}
		}
		return nil
	}
	return errors.New("volume of a kind the harness does not support")
}

// project writes one source of the projected volume named volume into dir.
func (k *Kubelet) project(ctx context.Context, pod *Pod, volume string, s ProjectionSource, dir string, m os.FileMode) error {
	ns := pod.Metadata.Namespace
	switch {
	case s.ServiceAccountToken != nil:
		return k.writeToken(ctx, pod, volume, *s.ServiceAccountToken, dir, m)
	case s.ConfigMap != nil:
		return writeKeysOf(ctx, k.configMap, ns, *s.ConfigMap, dir, m)
	case s.Secret != nil:
		return writeKeysOf(ctx, k.secret, ns, *s.Secret, dir, m)
	case s.DownwardAPI != nil:
		return writeDownward(dir, pod, s.DownwardAPI.Items, m)
	}
	return errors.New("projected source of a kind the harness does not support")
}

// writeToken asks the TokenRequest API for a token bound to pod with the
// projection's audience and expiration (an hour by default), passes it
// through the TokenHook, and writes it.
func (k *Kubelet) writeToken(ctx context.Context, pod *Pod, volume string, p ServiceAccountTokenProjection, dir string, m os.FileMode) error {
	var exp int64 = 3600
	if p.ExpirationSeconds != nil {
		exp = *p.ExpirationSeconds
	}
	token, err := k.Cluster.TokenRequest(ctx, pod.Metadata.Namespace, serviceAccountName(pod), p.Audience, exp, pod.Metadata.Name, pod.Metadata.UID)
	if err != nil {
		return err
	}
	if k.TokenHook != nil {
		if token, err = k.TokenHook(volume, p, token); err != nil {
			return err
		}
	}
	return writeFile(dir, p.Path, []byte(token), m)
}

// readKeys reads the keys of a ConfigMap or a Secret: Kubelet.configMap or
// Kubelet.secret.
type readKeys func(ctx context.Context, ns, name string, optional *bool) (map[string][]byte, error)

// writeKeysOf writes the keys of the object p names, read by read, as files
// in dir.
func writeKeysOf(ctx context.Context, read readKeys, ns string, p KeyProjection, dir string, m os.FileMode) error {
	data, err := read(ctx, ns, p.Name, p.Optional)
	if err != nil {
		return err
	}
	return writeKeys(dir, data, p.Items, m)
}

func serviceAccountName(pod *Pod) string {
	if pod.Spec.ServiceAccountName == "" {
		return "default"
	}
	return pod.Spec.ServiceAccountName
}

func mode(m *int32, def os.FileMode) os.FileMode {
	if m == nil {
		return def
	}
	return os.FileMode(*m)
}

func writeFile(dir, rel string, data []byte, m os.FileMode) error {
	if rel == "" || filepath.IsAbs(rel) || strings.Contains(rel, "..") {
		return fmt.Errorf("invalid volume file path %q", rel)
	}
	path := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, data, m); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Chmod(path, m)
}

func writeKeys(dir string, data map[string][]byte, items []KeyToPath, m os.FileMode) error {
	if len(items) == 0 {
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := writeFile(dir, k, data[k], m); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			return fmt.Errorf("key %q not found", it.Key)
		}
		if err := writeFile(dir, it.Path, v, mode(it.Mode, m)); err != nil {
			return err
		}
	}
	return nil
}

func writeDownward(dir string, pod *Pod, items []DownwardItem, m os.FileMode) error {
	for _, it := range items {
		if it.FieldRef == nil {
			return fmt.Errorf("downward API item %s: only fieldRef is supported", it.Path)
		}
		v, err := fieldValue(pod, it.FieldRef.FieldPath)
		if err != nil {
			return err
		}
		if err := writeFile(dir, it.Path, []byte(v), mode(it.Mode, m)); err != nil {
			return err
		}
	}
	return nil
}

func fieldValue(pod *Pod, path string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Metadata.Name, nil
	case "metadata.namespace":
		return pod.Metadata.Namespace, nil
	case "metadata.uid":
		return pod.Metadata.UID, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "status.podIP", "status.hostIP":
		return "127.0.0.1", nil
	}
	return "", fmt.Errorf("downward API field %q is not supported by the harness", path)
}

// get reads the ConfigMap or Secret (kind "configmap" or "secret") ns/name
// into into. found is false when it could not be read: err says why, or is
// nil when an optional reference names an object that does not exist, which
// the kubelet goes on without.
func (k *Kubelet) get(ctx context.Context, kind, ns, name string, optional *bool, into any) (found bool, err error) {
	if err := k.Cluster.Get(ctx, fmt.Sprintf("/api/v1/namespaces/%s/%ss/%s", ns, kind, name), into); err != nil {
		if optional != nil && *optional && errors.Is(err, cluster.ErrNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("%s %s/%s: %w", kind, ns, name, err)
	}
	return true, nil
}

func (k *Kubelet) configMap(ctx context.Context, ns, name string, optional *bool) (map[string][]byte, error) {
	var cm struct {
		Data       map[string]string `json:"data"`
		BinaryData map[string][]byte `json:"binaryData"`
	}
	if found, err := k.get(ctx, "configmap", ns, name, optional, &cm); !found {
		return nil, err
	}
	out := map[string][]byte{}
	for k, v := range cm.Data {
		out[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		out[k] = v
	}
	return out, nil
}

func (k *Kubelet) secret(ctx context.Context, ns, name string, optional *bool) (map[string][]byte, error) {
	var s struct {
		Data map[string]string `json:"data"`
	}
	if found, err := k.get(ctx, "secret", ns, name, optional, &s); !found {
		return nil, err
	}
	out := map[string][]byte{}
	for k, v := range s.Data {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("secret %s/%s key %s: %w", ns, name, k, err)
		}
		out[k] = b
	}
	return out, nil
}

// environment builds the container's environment the way the kubelet does:
// node/image environment, then envFrom, then env (with $(VAR) expansion).
func (k *Kubelet) environment(ctx context.Context, pod *Pod, c *Container, nodeEnv []string) ([]string, error) {
	vars := map[string]string{}
	var order []string
	set := func(name, value string) {
		if _, ok := vars[name]; !ok {
			order = append(order, name)
		}
		vars[name] = value
	}
	for _, kv := range nodeEnv {
		name, value, _ := strings.Cut(kv, "=")
		set(name, value)
	}
	set("HOSTNAME", pod.Metadata.Name)
	for _, ef := range c.EnvFrom {
		var data map[string][]byte
		var err error
		switch {
		case ef.ConfigMapRef != nil:
			data, err = k.configMap(ctx, pod.Metadata.Namespace, ef.ConfigMapRef.Name, ef.ConfigMapRef.Optional)
		case ef.SecretRef != nil:
			data, err = k.secret(ctx, pod.Metadata.Namespace, ef.SecretRef.Name, ef.SecretRef.Optional)
		}
		if err != nil {
			return nil, fmt.Errorf("envFrom of container %s: %w", c.Name, err)
		}
		keys := make([]string, 0, len(data))
		for key := range data {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			set(ef.Prefix+key, string(data[key]))
		}
	}
	for _, e := range c.Env {
		value, err := k.envValue(ctx, pod, e, vars)
		if err != nil {
			return nil, fmt.Errorf("env %s of container %s: %w", e.Name, c.Name, err)
		}
		set(e.Name, value)
	}
	out := make([]string, 0, len(order))
	for _, name := range order {
		out = append(out, name+"="+vars[name])
	}
	return out, nil
}

// envValue resolves one variable of a container's env; vars are the
// variables set before it, for $(VAR) expansion.
func (k *Kubelet) envValue(ctx context.Context, pod *Pod, e EnvVar, vars map[string]string) (string, error) {
	ns := pod.Metadata.Namespace
	switch {
	case e.ValueFrom == nil:
		return expand(e.Value, vars), nil
	case e.ValueFrom.FieldRef != nil:
		return fieldValue(pod, e.ValueFrom.FieldRef.FieldPath)
	case e.ValueFrom.ConfigMapKeyRef != nil:
		return keyValue(ctx, k.configMap, ns, *e.ValueFrom.ConfigMapKeyRef)
	case e.ValueFrom.SecretKeyRef != nil:
		return keyValue(ctx, k.secret, ns, *e.ValueFrom.SecretKeyRef)
	}
	return "", errors.New("unsupported valueFrom")
}

// keyValue returns the value of the key r names, read by read ("" when the
// key or an optional object is missing, as the kubelet sets it).
func keyValue(ctx context.Context, read readKeys, ns string, r KeyRef) (string, error) {
	data, err := read(ctx, ns, r.Name, r.Optional)
	if err != nil {
		return "", err
	}
	return string(data[r.Key]), nil
}

// expand replaces $(VAR) with earlier variables and $$ with $, as Kubernetes does.
func expand(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) {
			if s[i+1] == '$' {
				b.WriteByte('$')
				i++
				continue
			}
			if s[i+1] == '(' {
				if end := strings.IndexByte(s[i+2:], ')'); end >= 0 {
					name := s[i+2 : i+2+end]
					if v, ok := vars[name]; ok {
						b.WriteString(v)
						i += end + 2
						continue
					}
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Result is the outcome of a command run as a container.
type Result struct {
	Stdout   string
	Stderr   string
	ExitCode int
	Duration time.Duration
}

// Run runs argv (the container's own command when argv is empty) with plan
// inside a new private mount namespace, through `unshare -m --propagation
// private` re-executing self with the "pod-exec" sub-command.
func Run(ctx context.Context, self string, plan *Plan, argv []string, timeout time.Duration) (*Result, error) {
	p := *plan
	if len(argv) > 0 {
		p.Argv = argv
	}
	if len(p.Argv) == 0 {
		return nil, errors.New("no command to run: the container has none and none was given")
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "--mount", "--propagation", "private", "--", self, "pod-exec")
	cmd.Stdin = bytes.NewReader(data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	err = cmd.Run()
	res := &Result{Stdout: stdout.String(), Stderr: stderr.String(), Duration: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	default:
		return res, fmt.Errorf("run %v: %w", p.Argv, err)
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("run %v: timed out after %s", p.Argv, timeout)
	}
	return res, nil
}
