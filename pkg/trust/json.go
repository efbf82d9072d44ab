package trust

import (
	"encoding/json"
	"fmt"
	"io"
)

// RenderJSON writes the trust document as indented JSON: the shape the e2e
// harness and other tools read.
func RenderJSON(w io.Writer, t *Trust) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Conditions and URLs are read by people too; "&" should stay "&".
	enc.SetEscapeHTML(false)
	if err := enc.Encode(t); err != nil {
		return fmt.Errorf("write trust JSON: %w", err)
	}
	return nil
}
