package trust

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// RenderShell writes the trust as aws, gcloud and az commands, one per line
// and every argument shell-quoted, to run with credentials for the accounts
// and projects named in the comments. Commands that create something fail if
// it exists already; the comments say what to run instead.
func RenderShell(w io.Writer, t *Trust) error {
	s := &shellScript{}
	s.b.WriteString("#!/bin/sh\n")
	s.comment(generatedBy("shell"))
	if err := eachPresentCloud(t, func(c cloud) error { return c.shell(s, t) }); err != nil {
		return err
	}
	if _, err := io.WriteString(w, s.b.String()); err != nil {
		return fmt.Errorf("write shell commands: %w", err)
	}
	return nil
}

// shellScript is the script being written.
type shellScript struct {
	b strings.Builder
}

// section starts a group of lines: a blank line, then the comment lines.
func (s *shellScript) section(comments ...string) {
	s.b.WriteString("\n")
	s.comment(comments...)
}

func (s *shellScript) comment(lines ...string) {
	writeComments(&s.b, lines...)
}

// commentedCommand is a command to run instead of the one above it, written
// as a comment.
func (s *shellScript) commentedCommand(args ...string) {
	s.comment("  " + shellCommand(args...))
}

func (s *shellScript) command(args ...string) {
	s.b.WriteString(shellCommand(args...) + "\n")
}

// assign sets a shell variable to what the command prints.
func (s *shellScript) assign(variable string, args ...string) {
	s.b.WriteString(variable + "=$(" + shellCommand(args...) + ")\n")
}

// shellVariableMark starts an argument that names a shell variable set
// earlier in the script. No value from a spec holds a NUL byte, so a value can
// never be taken for a variable.
const shellVariableMark = "\x00"

// shellVariable is an argument that expands the named shell variable.
func shellVariable(name string) string { return shellVariableMark + name }

// shellCommand joins the arguments into one command line, each quoted.
func shellCommand(args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if name, ok := strings.CutPrefix(a, shellVariableMark); ok {
			quoted[i] = `"$` + name + `"`
			continue
		}
		if flag, value, ok := strings.Cut(a, "="); ok && shellFlag.MatchString(flag) {
			// --flag='value' reads better than '--flag=value'.
			quoted[i] = flag + "=" + shellQuote(value)
			continue
		}
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}

var shellFlag = regexp.MustCompile(`^--[a-z][a-z0-9-]*$`)

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote returns s as one shell word with exactly the value s: bare when
// nothing in it is special, else single-quoted, else (when s has a single
// quote but nothing that expands in double quotes) double-quoted, which reads
// better than closing the single quotes around each escaped one.
func shellQuote(s string) string {
	switch {
	case shellSafe.MatchString(s) && !strings.HasPrefix(s, "="):
		return s
	case !strings.Contains(s, "'"):
		return "'" + s + "'"
	case !strings.ContainsAny(s, "$`\"\\!"):
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
