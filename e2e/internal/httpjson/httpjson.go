// Package httpjson writes the JSON answers of the suite's own HTTP servers
// (the Google and Azure stand-ins, the test OIDC issuer). A handler has no
// caller to return an error to, so what cannot be sent is logged instead.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// Logf reports what a handler cannot return: (*log.Logger).Printf in the
// servers, (*testing.T).Logf in tests.
type Logf func(format string, args ...any)

// Write answers with status and v as a JSON document. When v cannot be
// encoded the answer is a 500 instead; either failure, and a failure to
// send the answer (the client went away), goes to logf.
func Write(w http.ResponseWriter, logf Logf, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		logf("encode JSON answer: %v", err)
		http.Error(w, "cannot encode the answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if _, err := w.Write(append(body, '\n')); err != nil {
		logf("send JSON answer: %v", err)
	}
}
