package doctor

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/trust"
)

// Env is what the command takes from its surroundings; tests replace it.
type Env struct {
	// Now is the clock the expiry check reads.
	Now func() time.Time
	// HTTPClient is the client that fetches the issuer's documents with
	// --online; allowPrivate is --allow-private-issuer.
	HTTPClient func(allowPrivate bool) *http.Client
	// Kubectl runs kubectl with the given arguments and returns its stdout.
	Kubectl func(ctx context.Context, args ...string) ([]byte, error)
}

// DefaultEnv is the real clock, NewHTTPClient and the kubectl on PATH.
func DefaultEnv() Env {
	return Env{Now: time.Now, HTTPClient: NewHTTPClient, Kubectl: runKubectl}
}

func runKubectl(ctx context.Context, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "kubectl", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Command is `cross-cloud-access doctor` with the real environment.
func Command() *cobra.Command { return NewCommand(DefaultEnv()) }

// NewCommand is `cross-cloud-access doctor` in env.
func NewCommand(env Env) *cobra.Command {
	var o struct {
		tokens       []string
		kubectl      bool
		trust        string
		online       bool
		allowPrivate bool
		clouds       []string
	}
	cmd := &cobra.Command{
		Use:   "doctor (--token FILE... | --kubectl) [--trust FILE] [--online] [--cloud aws,gcp,azure] SPEC...",
		Short: "Say why a cloud accepts or refuses a ServiceAccount's token",
		Long: `Checks a service account token against the CrossCloudAccess specs (FILE, "-"
is stdin) and prints one line per check of each cloud target: ok, FAIL with
the fix, or skip. The checks: the token's issuer, audience, subject and
expiry; with --trust, that the trust the cloud holds pins exactly this
issuer, subject and audience; with --online, that the spec's issuer publishes
its discovery document and keys over HTTPS and they verify the token's
signature. --online never connects to the token's iss, nor to a loopback,
link-local or private address unless --allow-private-issuer.
Exits 1 when any check fails.

--token FILE (repeatable, "-" is stdin) gives tokens; each target takes the one
that carries its audience (else the first). --kubectl requests one per target
with kubectl create token SA -n NS --audience AUD.`,
		Args:         cobra.MinimumNArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(o.tokens) == 0 && !o.kubectl {
				return fmt.Errorf("give --token FILE (kubectl create token SA --audience AUD > FILE) or --kubectl")
			}
			if len(o.tokens) > 0 && o.kubectl {
				return fmt.Errorf("give either --token or --kubectl, not both")
			}
			if o.trust == "-" && slices.Contains(o.tokens, "-") {
				return fmt.Errorf("--trust and --token cannot both read stdin (-); give one of them as a file")
			}
			for _, c := range o.clouds {
				if c != "aws" && c != "gcp" && c != "azure" {
					return fmt.Errorf("--cloud %s is not known; want aws, gcp or azure", q(c))
				}
			}
			specs, err := trust.ReadSpecs(cmd.InOrStdin(), cmd.ErrOrStderr(), args)
			if err != nil {
				return err
			}
			ts, err := targets(specs, o.clouds)
			if err != nil {
				return err
			}
			var given *givenTrust
			if o.trust != "" {
				data, err := readFile(cmd.InOrStdin(), o.trust)
				if err != nil {
					return fmt.Errorf("--trust: %w", err)
				}
				if given, err = parseTrust(data); err != nil {
					return fmt.Errorf("--trust %s: %w", q(o.trust), err)
				}
			}
			var tokens []string
			for _, file := range o.tokens {
				data, err := readFile(cmd.InOrStdin(), file)
				if err != nil {
					return fmt.Errorf("--token: %w", err)
				}
				tokens = append(tokens, string(data))
			}
			r := run{env: env, ctx: cmd.Context(), tokens: tokens, kubectl: o.kubectl, trust: given}
			if o.online {
				if err := installFallbackRoots(); err != nil {
					return fmt.Errorf("--online: %w", err)
				}
				r.fetch = &fetcher{ctx: cmd.Context(), client: env.HTTPClient(o.allowPrivate), cache: map[string]*published{}}
			}
			var out bytes.Buffer
			var results []Result
			for _, t := range ts {
				results = append(results, r.check(t)...)
			}
			failed, err := Print(&out, results)
			if err != nil {
				return err
			}
			if _, err := cmd.OutOrStdout().Write(out.Bytes()); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			if failed > 0 {
				return fmt.Errorf("%w: %d of %d", ErrChecksFailed, failed, len(results))
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&o.tokens, "token", nil, `file holding a service account token ("-" is stdin); repeatable`)
	cmd.Flags().BoolVar(&o.kubectl, "kubectl", false, "request each target's token with kubectl create token (current kubeconfig context)")
	cmd.Flags().StringVar(&o.trust, "trust", "", "trust JSON of `cross-cloud-access trust --format json`, or what was exported from the cloud")
	cmd.Flags().BoolVar(&o.online, "online", false, "fetch the spec's issuer's discovery document and JWKS and verify the token's signature")
	cmd.Flags().BoolVar(&o.allowPrivate, "allow-private-issuer", false, "with --online, also fetch from loopback, link-local and private addresses (a lab cluster's issuer)")
	cmd.Flags().StringSliceVar(&o.clouds, "cloud", nil, "check only these clouds (aws, gcp, azure)")
	return cmd
}

func readFile(stdin io.Reader, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(stdin, 1<<20))
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// run is one doctor invocation's inputs.
type run struct {
	env     Env
	ctx     context.Context
	tokens  []string
	kubectl bool
	trust   *givenTrust
	fetch   *fetcher
}

// check runs every check of one target, in the order they are printed.
func (r *run) check(t target) []Result {
	if t.skip != "" {
		return []Result{{Target: t.name, Check: CheckTarget, Status: Skip, Detail: t.skip}}
	}
	raw, err := r.tokenFor(t)
	if err != nil {
		return []Result{{Target: t.name, Check: CheckToken, Status: Fail, Detail: err.Error(), Fix: "check the kubeconfig context and that the ServiceAccount exists"}}
	}
	tok, err := parseToken(raw)
	if err != nil {
		return []Result{{Target: t.name, Check: CheckToken, Status: Fail, Detail: err.Error(),
			Fix: "give the token itself (kubectl create token SA --audience AUD, or the pod's projected token file)"}}
	}
	out := claimChecks(t, tok, r.env.Now())
	out = append(out, trustCheck(t, r.trust))
	if r.fetch != nil {
		out = append(out, onlineChecks(t, tok, r.fetch)...)
	}
	return out
}

// tokenFor is the token of --kubectl for the target, or the given token that
// carries its audience, else the first given.
func (r *run) tokenFor(t target) (string, error) {
	if r.kubectl {
		sa := t.spec.Spec.ServiceAccount
		args := []string{"create", "token", sa.Name, "--namespace=" + sa.Namespace, "--audience=" + t.audience}
		if t.expirationSeconds > 0 {
			args = append(args, "--duration="+strconv.FormatInt(t.expirationSeconds, 10)+"s")
		}
		out, err := r.env.Kubectl(r.ctx, args...)
		return string(out), err
	}
	for _, raw := range r.tokens {
		if tok, err := parseToken(raw); err == nil && slices.Contains(tok.claims.Audience, t.audience) {
			return raw, nil
		}
	}
	return r.tokens[0], nil
}
