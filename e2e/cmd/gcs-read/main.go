// Command gcs-read reads a Cloud Storage object with Application Default
// Credentials (GOOGLE_APPLICATION_CREDENTIALS, an external_account credential
// configuration in the e2e suite) through golang.org/x/oauth2/google, and
// prints its content. It runs inside the e2e pods as a Go workload would.
//
// Usage: gcs-read gs://BUCKET/OBJECT
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2/google"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gcs-read:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 || !strings.HasPrefix(args[0], "gs://") {
		return fmt.Errorf("usage: gcs-read gs://BUCKET/OBJECT")
	}
	bucket, object, ok := strings.Cut(strings.TrimPrefix(args[0], "gs://"), "/")
	if !ok || object == "" {
		return fmt.Errorf("usage: gcs-read gs://BUCKET/OBJECT")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	creds, err := google.FindDefaultCredentials(ctx, "https://www.googleapis.com/auth/devstorage.read_only")
	if err != nil {
		return fmt.Errorf("find default credentials: %w", err)
	}
	token, err := creds.TokenSource.Token()
	if err != nil {
		return fmt.Errorf("get access token: %w", err)
	}
	u := fmt.Sprintf("https://storage.googleapis.com/storage/v1/b/%s/o/%s?alt=media", url.PathEscape(bucket), url.PathEscape(object))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	token.SetAuthHeader(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err = errors.Join(err, resp.Body.Close()); err != nil {
		return fmt.Errorf("read %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Printf("%s\n", body)
	return nil
}
