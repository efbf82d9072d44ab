package export

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/internal/nofollow"
)

// ErrNotGenerated is wrapped when --out holds, where export would write, a
// file that export did not write.
var ErrNotGenerated = errors.New("export did not write it")

// ErrLink is wrapped when a symbolic link is where export would write: it
// never writes through one, which could put a file anywhere (a committed
// folder can hold links: git keeps them).
var ErrLink = nofollow.ErrLink

// ErrSpecialFile is wrapped when --out holds a named pipe, a socket or a
// device: the folder is replaced by a copy, and export copies only files,
// folders and symbolic links.
var ErrSpecialFile = errors.New("not a file, a folder or a symbolic link")

// Write replaces dir's generated files with files; see Writer.
func Write(dir string, files []File) error {
	return Writer{}.Write(dir, files)
}

// Writer writes a Component's folder.
type Writer struct {
	// Force overwrites files export did not write (those without Header),
	// and replaces a symbolic link where export writes a file (never
	// writing through it).
	Force bool
}

// keptModeBits are the bits of a folder's or file's mode that the copy
// keeps: permissions, setgid and sticky.
const keptModeBits = fs.ModePerm | fs.ModeSetgid | fs.ModeSticky

// Write replaces dir's generated files with files. It writes the whole
// folder anew beside dir and renames it into place, so a failed export leaves
// the old Component as it was. Files export did not write are carried over
// with their modes, and so are folders and symbolic links (copied as links);
// the folder keeps its own mode. One in the way of a file export writes is
// an error unless Force is set. Generated files export no longer writes
// (stale patches) are dropped. No symbolic link inside dir is ever followed,
// and a named pipe, socket or device in it stops the export.
func (w Writer) Write(dir string, files []File) (err error) {
	for _, f := range files {
		if !filepath.IsLocal(f.Path) {
			return fmt.Errorf("writing %q: not a path inside the Component's folder", f.Path)
		}
	}
	// Absolute, so that --out . has a parent to stage beside and a name to rename.
	dir, err = filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("finding %s: %w", dir, err)
	}
	old, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case err != nil:
		return fmt.Errorf("reading %s: %w", dir, err)
	case old.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("--out %s is %w: export replaces the folder, never what a link points to; give the folder itself", dir, ErrLink)
	case !old.IsDir():
		return fmt.Errorf("--out %s is not a folder", dir)
	}
	previous := map[string]fs.FileMode{}
	if old != nil {
		for _, f := range files {
			mode, err := w.checkTarget(dir, f.Path)
			if err != nil {
				return err
			}
			if mode != 0 {
				previous[filepath.Clean(f.Path)] = mode
			}
		}
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", parent, err)
	}
	staging, err := makeStaging(parent, "."+filepath.Base(dir)+".export-")
	if err != nil {
		return fmt.Errorf("creating a folder beside %s: %w", dir, err)
	}
	defer func() {
		if rmErr := os.RemoveAll(staging); rmErr != nil && err == nil {
			err = fmt.Errorf("removing %s: %w", staging, rmErr)
		}
	}()
	if old != nil {
		// Before anything is written in it: the folder never opens wider
		// than it was.
		if err := os.Chmod(staging, old.Mode()&keptModeBits); err != nil {
			return fmt.Errorf("opening %s: %w", staging, err)
		}
		replaced := map[string]bool{}
		for _, f := range files {
			replaced[filepath.Clean(f.Path)] = true
		}
		if err := carryOver(dir, staging, replaced); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := nofollow.MkdirAll(staging, filepath.Dir(f.Path), 0o755); err != nil {
			return fmt.Errorf("creating the folder of %s: %w", f.Path, err)
		}
		if err := writeNew(filepath.Join(staging, f.Path), []byte(f.Content), previous[filepath.Clean(f.Path)]); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
	}
	return swap(staging, dir)
}

// checkTarget checks the place of a file export writes at rel below dir:
// no symbolic link on the way (at the file itself, one Force replaces), no
// special file, and no file export did not write unless Force. It returns
// the mode of the file export replaces, 0 when there is none.
func (w Writer) checkTarget(dir, rel string) (fs.FileMode, error) {
	parts := strings.Split(filepath.Clean(rel), string(filepath.Separator))
	at := dir
	for i, part := range parts {
		at = filepath.Join(at, part)
		info, err := os.Lstat(at)
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("reading %s: %w", at, err)
		}
		last := i == len(parts)-1
		switch {
		case info.Mode()&fs.ModeSymlink != 0 && last && w.Force:
			return 0, nil
		case info.Mode()&fs.ModeSymlink != 0 && last:
			return 0, fmt.Errorf("refusing to overwrite %s: it is %w, and export never writes through one; remove the link, or pass --force to replace it with the file", at, ErrLink)
		case info.Mode()&fs.ModeSymlink != 0:
			return 0, fmt.Errorf("refusing to write %s: %s is %w, and export never writes through one; remove the link", filepath.Join(dir, rel), at, ErrLink)
		case !last && !info.IsDir():
			return 0, fmt.Errorf("refusing to write %s: %s is not a folder", filepath.Join(dir, rel), at)
		case last && info.IsDir():
			return 0, fmt.Errorf("refusing to overwrite %s: it is a folder", at)
		case last && !info.Mode().IsRegular():
			return 0, fmt.Errorf("refusing to overwrite %s: it is %w", at, ErrSpecialFile)
		}
		if !last {
			continue
		}
		data, err := os.ReadFile(at)
		if err != nil {
			return 0, fmt.Errorf("reading %s: %w", at, err)
		}
		if !strings.HasPrefix(string(data), Header) && !w.Force {
			return 0, fmt.Errorf("refusing to overwrite %s: %w (it does not start with %q); move it away, choose another --out, or pass --force to overwrite it",
				at, ErrNotGenerated, strings.TrimSpace(Header))
		}
		return info.Mode() & keptModeBits, nil
	}
	return 0, nil
}

// makeStaging creates a new folder in parent whose name starts with prefix,
// as os.MkdirTemp does, but with the mode a new folder gets under the
// process's umask rather than 0700: it becomes --out when --out is new.
func makeStaging(parent, prefix string) (string, error) {
	for range 100 {
		path := filepath.Join(parent, prefix+rand.Text())
		err := os.Mkdir(path, 0o755)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return path, err
	}
	return "", fmt.Errorf("no free name for a folder in %s", parent)
}

// writeNew writes a file that must not exist yet (O_EXCL: not even as a
// link, which it would otherwise follow). mode 0 is a new file's 0644 under
// the umask; any other is set exactly.
func writeNew(path string, data []byte, mode fs.FileMode) error {
	perm := mode
	if perm == 0 {
		perm = 0o644
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm&fs.ModePerm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil && mode != 0 {
		err = os.Chmod(path, mode)
	}
	return err
}

// carryOver copies into staging the files of dir that export did not write,
// except those in replaced, with their modes; folders with theirs, symbolic
// links as links (never followed). A special file is an error: a copy of it
// would be something else.
func carryOver(dir, staging string, replaced map[string]bool) error {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		target := filepath.Join(staging, rel)
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, 0o700); err != nil {
				return err
			}
			return os.Chmod(target, info.Mode()&keptModeBits)
		case replaced[rel]:
			return nil // written anew; checkTarget has judged what was there
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is %w (%s); move it out of the Component's folder", path, ErrSpecialFile, describeMode(info.Mode()))
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasPrefix(string(data), Header) {
			return nil // generated: written anew, or stale
		}
		return writeNew(target, data, info.Mode()&keptModeBits)
	})
	if err != nil {
		return fmt.Errorf("carrying over the files of %s: %w", dir, err)
	}
	return nil
}

// describeMode names a special file's type.
func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// swap puts the folder staging where dir is, keeping dir until it is done.
func swap(staging, dir string) error {
	old := staging + ".old"
	hadOld := true
	if err := os.Rename(dir, old); errors.Is(err, fs.ErrNotExist) {
		hadOld = false
	} else if err != nil {
		return fmt.Errorf("moving the old Component aside: %w", err)
	}
	if err := os.Rename(staging, dir); err != nil {
		if hadOld {
			err = errors.Join(err, os.Rename(old, dir))
		}
		return fmt.Errorf("moving the new Component into place: %w", err)
	}
	if hadOld {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("removing the old Component: %w", err)
		}
	}
	return nil
}

// ErrStale is returned, wrapped, by export --check when the committed
// Component is not what the spec and resources produce now.
var ErrStale = errors.New("the Component is stale")

// Diff names the files of dir that Write would change: files missing or with
// other content, links and special files where export writes a file, and
// generated patches Write would remove. An empty result means dir is up to
// date. It reads no file through a link.
func Diff(dir string, files []File) ([]string, error) {
	var stale []string
	want := map[string]bool{}
	for _, f := range files {
		want[filepath.ToSlash(f.Path)] = true
		data, err := readRegular(filepath.Join(dir, f.Path))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			stale = append(stale, f.Path+" (missing)")
		case errors.Is(err, ErrLink), errors.Is(err, ErrSpecialFile):
			stale = append(stale, f.Path+" ("+err.Error()+")")
		case err != nil:
			return nil, fmt.Errorf("reading %s: %w", f.Path, err)
		case string(data) != f.Content:
			stale = append(stale, f.Path)
		}
	}
	old, err := filepath.Glob(filepath.Join(dir, "patches", "*.yaml"))
	if err != nil {
		return nil, err
	}
	for _, path := range old {
		rel := "patches/" + filepath.Base(path)
		if want[rel] {
			continue
		}
		data, err := readRegular(path)
		if err == nil && strings.HasPrefix(string(data), Header) {
			stale = append(stale, rel+" (no longer generated)")
		}
	}
	return stale, nil
}

// readRegular reads a regular file; a link or a special file is an error
// (ErrLink, ErrSpecialFile) and is not opened: a named pipe would block.
func readRegular(path string) ([]byte, error) {
	info, err := os.Lstat(path)
	switch {
	case err != nil:
		return nil, err
	case info.Mode()&fs.ModeSymlink != 0:
		return nil, ErrLink
	case !info.Mode().IsRegular():
		return nil, ErrSpecialFile
	}
	return os.ReadFile(path)
}
