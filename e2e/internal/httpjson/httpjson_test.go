package httpjson

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteSendsTheDocumentWithItsStatus(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, t.Logf, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
	if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" || rec.Body.String() != "{\"error\":\"invalid_grant\"}\n" {
		t.Errorf("got %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
}

func TestWriteLogsWhatItCannotEncode(t *testing.T) {
	rec := httptest.NewRecorder()
	var logged []string
	Write(rec, func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }, http.StatusOK, map[string]any{"f": func() {}})
	if rec.Code != http.StatusInternalServerError || len(logged) != 1 {
		t.Errorf("status %d, logged %q", rec.Code, logged)
	}
}

// failingWriter is a client that went away.
type failingWriter struct{ *httptest.ResponseRecorder }

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("connection reset") }

func TestWriteLogsAFailedSend(t *testing.T) {
	var logged []string
	Write(failingWriter{httptest.NewRecorder()}, func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }, http.StatusOK, "ok")
	if len(logged) != 1 || logged[0] != "send JSON answer: connection reset" {
		t.Errorf("logged %q", logged)
	}
}
