package trust

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// RenderJSON writes the trust document as indented JSON: the shape the e2e
// harness and other tools read.
func RenderJSON(w io.Writer, t *Trust) error {
	data, err := encodeJSON(t)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("write trust JSON: %w", err)
	}
	return nil
}

// encodeJSON is the one JSON encoding of every format, so that a policy
// reads the same in the JSON document, a shell argument and a KRM field:
// two-space indent, a final newline, and "&", "<" and ">" left as they are,
// because people read conditions and URLs too.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T as JSON: %w", v, err)
	}
	return buf.Bytes(), nil
}

// oneLineJSON is encodeJSON on one line, for a command-line argument.
func oneLineJSON(v any) (string, error) {
	data, err := encodeJSON(v)
	if err != nil {
		return "", err
	}
	var line bytes.Buffer
	if err := json.Compact(&line, data); err != nil {
		return "", fmt.Errorf("compact %T JSON: %w", v, err)
	}
	return line.String(), nil
}
