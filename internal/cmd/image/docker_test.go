package main

// A stand-in for the Docker CLI, so that the real kpt can run the image as
// it runs any `image:` function: no Docker engine (nor podman, nerdctl)
// runs on the machines this is tested on. The test binary acts as it when
// started under the name docker. It does what kpt asks of Docker, and
// refuses the rest (an exit code 125, as Docker's own):
//
//   - `docker version --format {{.Client.Version}}`: kpt's check;
//   - `docker run --rm -i --network none --user nobody
//     --security-opt=no-new-privileges --pull missing [-e K=V]... IMAGE`:
//     the image's files for this machine's platform, unpacked from an OCI
//     image layout, become the root (chroot) of the entrypoint, which runs
//     with the image's environment, as the --user looked up in the image's
//     /etc/passwd as Docker does (or the image's USER), in a network
//     namespace of its own for --network none. This needs root.
//
// It does not isolate processes, mounts or capabilities as a runtime does;
// the function needs none of that to run, and the test is about the image.

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// The stand-in's settings: the layout it holds, the one name that layout
// answers to (NAME:TAG), and a file to append each command line to.
const (
	fakeDockerLayoutEnv = "FAKE_DOCKER_LAYOUT"
	fakeDockerImageEnv  = "FAKE_DOCKER_IMAGE"
	fakeDockerLogEnv    = "FAKE_DOCKER_LOG"
)

// fakeDocker runs the stand-in on Docker's arguments and returns the exit
// code.
func fakeDocker(args []string) int {
	if log := os.Getenv(fakeDockerLogEnv); log != "" {
		if f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			fmt.Fprintln(f, strings.Join(args, " "))
			f.Close()
		}
	}
	var err error
	code := 125
	switch {
	case len(args) == 3 && args[0] == "version" && args[1] == "--format" && args[2] == "{{.Client.Version}}":
		fmt.Println("27.0.0")
		return 0
	case len(args) > 0 && args[0] == "run":
		code, err = fakeDockerRun(args[1:])
	default:
		err = fmt.Errorf("the Docker stand-in does not do %q", args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker:", err)
	}
	return code
}

func fakeDockerRun(args []string) (int, error) {
	network, user := "", ""
	var env []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		flag := args[0]
		args = args[1:]
		switch flag {
		case "--rm", "-i", "--security-opt=no-new-privileges":
			continue
		case "--network", "--user", "--pull", "-e":
		default:
			return 125, fmt.Errorf("run: the stand-in does not do %s", flag)
		}
		if len(args) == 0 {
			return 125, fmt.Errorf("run: %s needs a value", flag)
		}
		value := args[0]
		args = args[1:]
		switch flag {
		case "--network":
			if value != "none" && value != "host" {
				return 125, fmt.Errorf("run: --network %s: the stand-in does none or host", value)
			}
			network = value
		case "--user":
			user = value
		case "--pull":
			if value != "missing" && value != "never" {
				return 125, fmt.Errorf("run: --pull %s: the stand-in has no registry", value)
			}
		case "-e":
			env = append(env, value)
		}
	}
	if len(args) == 0 {
		return 125, errors.New("run: no image")
	}
	ref, extra := args[0], args[1:]
	if want := os.Getenv(fakeDockerImageEnv); ref != want {
		return 125, fmt.Errorf("Unable to find image '%s' locally: the stand-in holds %s only", ref, want)
	}
	root, err := os.MkdirTemp("", "fake-docker-root-")
	if err != nil {
		return 125, err
	}
	defer os.RemoveAll(root)
	config, err := unpackImage(os.Getenv(fakeDockerLayoutEnv), root)
	if err != nil {
		return 125, err
	}
	if user == "" {
		user = config.User
	}
	uid, gid, err := lookupUser(root, user)
	if err != nil {
		return 125, err
	}
	argv := append(append(append([]string(nil), config.Entrypoint...), config.Cmd...), extra...)
	if len(argv) == 0 {
		return 125, errors.New("run: the image has no entrypoint and no command")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append([]string(nil), config.Env...), env...)
	cmd.Dir = "/"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	if network == "none" {
		cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWNET
	}
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return exitErr.ExitCode(), nil
		}
		return 126, err
	}
	return 0, nil
}

// imageConfig is what the stand-in takes from an image's config.
type imageConfig struct {
	User            string
	Entrypoint, Cmd []string
	Env             []string
}

// unpackImage writes the files of the layout's image for this machine's
// platform under root: folders and regular files only, with their modes.
func unpackImage(dir, root string) (imageConfig, error) {
	l, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return imageConfig{}, err
	}
	top, err := l.IndexManifest()
	if err != nil {
		return imageConfig{}, err
	}
	if len(top.Manifests) != 1 {
		return imageConfig{}, fmt.Errorf("%s holds %d entries, want one index", dir, len(top.Manifests))
	}
	idx, err := l.ImageIndex(top.Manifests[0].Digest)
	if err != nil {
		return imageConfig{}, err
	}
	manifest, err := idx.IndexManifest()
	if err != nil {
		return imageConfig{}, err
	}
	for _, desc := range manifest.Manifests {
		if desc.Platform == nil || desc.Platform.OS != runtime.GOOS || desc.Platform.Architecture != runtime.GOARCH {
			continue
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			return imageConfig{}, err
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return imageConfig{}, err
		}
		files := mutate.Extract(img)
		defer files.Close()
		if err := untar(files, root); err != nil {
			return imageConfig{}, err
		}
		c := cfg.Config
		return imageConfig{User: c.User, Entrypoint: c.Entrypoint, Cmd: c.Cmd, Env: c.Env}, nil
	}
	return imageConfig{}, fmt.Errorf("no image for %s/%s in %s", runtime.GOOS, runtime.GOARCH, dir)
}

func untar(r io.Reader, root string) error {
	if err := os.Chmod(root, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(h.Name)
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("the layer's %q is outside the root", h.Name)
		}
		target := filepath.Join(root, filepath.FromSlash(name))
		mode := os.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, mode); err != nil {
				return err
			}
		case tar.TypeReg:
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("the layer's %s is of tar type %q: the stand-in unpacks folders and files only", h.Name, h.Typeflag)
		}
	}
}

// lookupUser resolves --user as Docker does: numeric UID[:GID] as it is, a
// name through the image's /etc/passwd (a missing file or name is an error).
func lookupUser(root, user string) (uid, gid uint32, err error) {
	name, group, hasGroup := strings.Cut(user, ":")
	if n, err := strconv.ParseUint(name, 10, 32); err == nil {
		uid = uint32(n)
	} else {
		data, err := os.ReadFile(filepath.Join(root, "etc", "passwd"))
		if err != nil {
			return 0, 0, fmt.Errorf("unable to find user %s: no matching entries in passwd file", name)
		}
		found := false
		for _, line := range strings.Split(string(data), "\n") {
			fields := strings.Split(line, ":")
			if len(fields) == 7 && fields[0] == name {
				u, uerr := strconv.ParseUint(fields[2], 10, 32)
				g, gerr := strconv.ParseUint(fields[3], 10, 32)
				if uerr != nil || gerr != nil {
					return 0, 0, fmt.Errorf("passwd line %q: ids are not numbers", line)
				}
				uid, gid, found = uint32(u), uint32(g), true
				break
			}
		}
		if !found {
			return 0, 0, fmt.Errorf("unable to find user %s: no matching entries in passwd file", name)
		}
	}
	if hasGroup {
		g, err := strconv.ParseUint(group, 10, 32)
		if err != nil {
			return 0, 0, fmt.Errorf("--user %s: the stand-in takes a numeric group only", user)
		}
		gid = uint32(g)
	}
	return uid, gid, nil
}
