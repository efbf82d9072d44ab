// Package nofollow writes below a folder without following a symbolic link
// inside it: a folder a command writes into may hold links someone else
// planted (a checkout, a shared folder), and a write through one lands
// wherever the link points.
package nofollow

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrLink is wrapped when a symbolic link is where a file or folder is
// written.
var ErrLink = errors.New("a symbolic link")

// MkdirAll creates the folders of rel below root, one at a time with mode
// perm (under the umask). A link on the way is an error wrapping ErrLink,
// and anything else that is not a folder is an error: neither is followed.
func MkdirAll(root, rel string, perm fs.FileMode) error {
	if !filepath.IsLocal(rel) && rel != "." {
		return fmt.Errorf("%s is not a path inside %s", rel, root)
	}
	at := root
	for _, part := range strings.Split(filepath.Clean(rel), string(filepath.Separator)) {
		if part == "." {
			continue
		}
		at = filepath.Join(at, part)
		info, err := os.Lstat(at)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(at, perm); err != nil {
				return err
			}
		case err != nil:
			return err
		case info.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is %w, which is never followed: remove it", at, ErrLink)
		case !info.IsDir():
			return fmt.Errorf("%s is not a folder", at)
		}
	}
	return nil
}

// CreateTemp creates a new file in dir, which must not be a link, with a
// random name starting with prefix, as os.CreateTemp does: exclusively
// (O_EXCL), so that no file or link planted under a name it could choose
// is ever opened.
func CreateTemp(dir, prefix string) (*os.File, error) {
	if info, err := os.Lstat(dir); err != nil {
		return nil, err
	} else if info.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s is %w, which is never followed: remove it", dir, ErrLink)
	}
	return os.CreateTemp(dir, prefix)
}

// NotALink returns an error wrapping ErrLink when path is a symbolic link,
// and nil when it is anything else or does not exist.
func NotALink(path string) error {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case info.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is %w, which is never followed: remove it", path, ErrLink)
	}
	return nil
}
