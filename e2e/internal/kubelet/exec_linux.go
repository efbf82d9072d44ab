package kubelet

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// PodExec is the "pod-exec" sub-command: already inside a private mount
// namespace, it reads a Plan from stdin, puts a tmpfs over /run (so
// /var/run/... paths never touch the host), bind-mounts the hosts file over
// /etc/hosts and each volume at its mount path (read-only when the mount
// says so), and replaces itself with the command.
func PodExec(stdin io.Reader) error {
	var plan Plan
	if err := json.NewDecoder(stdin).Decode(&plan); err != nil {
		return fmt.Errorf("decode plan: %w", err)
	}
	if err := syscall.Mount("tmpfs", "/run", "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=755"); err != nil {
		return fmt.Errorf("mount tmpfs on /run: %w", err)
	}
	if plan.HostsFile != "" {
		if err := bind(plan.HostsFile, "/etc/hosts", true); err != nil {
			return err
		}
	}
	for _, m := range plan.Mounts {
		target := m.Target
		resolved, err := filepath.EvalSymlinks(filepath.Dir(target))
		if err == nil {
			target = filepath.Join(resolved, filepath.Base(target))
		} else if strings.HasPrefix(target, "/var/run/") {
			target = "/run/" + strings.TrimPrefix(target, "/var/run/")
		}
		if _, err := os.Stat(target); err != nil {
			if !strings.HasPrefix(target, "/run/") {
				return fmt.Errorf("mount path %s does not exist and is outside /run: the harness will not create it on the host", m.Target)
			}
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("create mount point %s: %w", target, err)
			}
		}
		if err := bind(m.Source, target, m.ReadOnly); err != nil {
			return err
		}
	}
	env := plan.Env
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	bin := plan.Argv[0]
	if !strings.Contains(bin, "/") {
		found := ""
		for _, dir := range filepath.SplitList(path) {
			candidate := filepath.Join(dir, bin)
			if st, err := os.Stat(candidate); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				found = candidate
				break
			}
		}
		if found == "" {
			return fmt.Errorf("%s: %w", bin, exec.ErrNotFound)
		}
		bin = found
	}
	wd := plan.WorkingDir
	if wd == "" {
		wd = "/"
	}
	if err := os.Chdir(wd); err != nil {
		return fmt.Errorf("chdir %s: %w", wd, err)
	}
	if err := syscall.Exec(bin, plan.Argv, env); err != nil {
		return fmt.Errorf("exec %s: %w", bin, err)
	}
	return nil
}

func bind(source, target string, readOnly bool) error {
	if err := syscall.Mount(source, target, "", syscall.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind-mount %s on %s: %w", source, target, err)
	}
	if readOnly {
		if err := syscall.Mount("", target, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("remount %s read-only: %w", target, err)
		}
	}
	return nil
}
