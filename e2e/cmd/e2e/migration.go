package main

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/cluster"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/front"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/kubelet"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/trust"
)

// migrationScenarios move a self-hosted cluster's issuer from one bucket to
// another, as docs/issuer-migration.md tells.
var migrationScenarios = []scenario{
	{name: "issuer-migration", example: "issuer-migration", clouds: []string{"aws"}, migration: true},
}

// trustAfterFile is the trust document of the example's spec without
// spec.cluster.previousIssuers: step 4 of the migration.
const trustAfterFile = "trust-after.json"

// trustAfterMigration runs `cross-cloud-access trust --format json` on the
// example's spec with spec.cluster.previousIssuers deleted, as the operator
// deletes it in step 4.
func trustAfterMigration(o options, example string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(o.repo, "examples", example, "cross-cloud-access.yaml"))
	if err != nil {
		return nil, err
	}
	var spec map[string]any
	if err := yaml.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("examples/%s/cross-cloud-access.yaml: %w", example, err)
	}
	specPart, _ := spec["spec"].(map[string]any)
	clusterPart, _ := specPart["cluster"].(map[string]any)
	if _, ok := clusterPart["previousIssuers"]; !ok {
		return nil, fmt.Errorf("examples/%s/cross-cloud-access.yaml has no spec.cluster.previousIssuers to remove", example)
	}
	delete(clusterPart, "previousIssuers")
	after, err := yaml.Marshal(spec)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(renderDir(o.work, example), "cross-cloud-access-after.yaml")
	if err := os.WriteFile(file, after, 0o644); err != nil {
		return nil, err
	}
	out, err := runTrust(o, file)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// tokenIssuer reads the iss claim of a JWT without verifying it: the
// harness routes by it as AWS STS picks the OIDC provider by it. The cloud
// verifies.
func tokenIssuer(token string) (string, error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("JWT payload: %w", err)
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", fmt.Errorf("JWT claims: %w", err)
	}
	return claims.Iss, nil
}

// migrationPod is one pod of the migration and the issuer of its token.
type migrationPod struct {
	name   string
	plan   *kubelet.Plan
	issuer string
}

// runMigration proves docs/issuer-migration.md on a real kube-apiserver.
// The cluster signs as the old issuer (blue), published in a bucket; a pod
// gets its token. Step 1: `issuer` writes the new issuer's documents (green),
// the real aws CLI publishes them, and the clouds trust both issuers (the
// example's spec). Step 2: the apiserver restarts with the flags `issuer`
// printed; a second pod gets a token of the new issuer. Both pods list the
// bucket. Step 4: the clouds trust the spec without previousIssuers: the old
// token is refused, the new one still lists the bucket.
func (w *world) runMigration(ctx context.Context, s scenario, in *input) error {
	if in.trustAfter == nil {
		return errors.New("no trust document for the spec without previousIssuers")
	}
	newIssuer := in.issuer
	var old []string
	for _, iss := range in.issuers {
		if iss != newIssuer {
			old = append(old, iss)
		}
	}
	if len(old) != 1 {
		return fmt.Errorf("the example's trust names issuers %q besides %s; want one previous issuer", old, newIssuer)
	}
	oldIssuer := old[0]
	dir := filepath.Join(w.o.work, "scenarios", strings.ReplaceAll(s.name, "/", "_"))
	if err := w.startIssuerBuckets(ctx, "migration-buckets", filepath.Join(dir, "buckets"), oldIssuer, newIssuer); err != nil {
		return err
	}
	c, err := cluster.Start(ctx, cluster.Options{
		Name: "migration", Issuer: oldIssuer, APIServerPath: w.binary("kube-apiserver"), KubectlPath: w.binary("kubectl"),
		EtcdURL: w.etcdURL, Dir: filepath.Join(w.o.work, "clusters", "migration"), CA: w.ca,
	})
	if err != nil {
		return err
	}
	if _, err := w.publishIssuer(ctx, c, filepath.Join(dir, "blue"), filepath.Join(dir, "blue", "issuer-docs"), oldIssuer, ""); err != nil {
		return err
	}
	blue, err := w.migrationPod(ctx, c, in, dir, "")
	if err != nil {
		return err
	}

	// Step 1: publish the new issuer, trust both.
	flags, err := w.publishIssuer(ctx, c, filepath.Join(dir, "green"), filepath.Join(dir, "green", "issuer-docs"), newIssuer, oldIssuer)
	if err != nil {
		return err
	}
	if err := w.trustIssuers(ctx, in.trust, in.issuers); err != nil {
		return err
	}
	// Step 2: the apiserver signs as the new issuer.
	if err := c.Restart(ctx, flags); err != nil {
		return err
	}
	if c.Issuer != newIssuer {
		return fmt.Errorf("after restart the cluster's issuer is %s, want %s", c.Issuer, newIssuer)
	}
	green, err := w.migrationPod(ctx, c, in, dir, "-green")
	if err != nil {
		return err
	}
	if blue.issuer != oldIssuer || green.issuer != newIssuer {
		return fmt.Errorf("the pods' tokens are of %s and %s, want %s then %s", blue.issuer, green.issuer, oldIssuer, newIssuer)
	}
	var problems []string
	check := func(stage string, p migrationPod, refused bool) error {
		if err := w.routeAWS(p.issuer); err != nil {
			return err
		}
		stageDir := filepath.Join(dir, stage+"-"+p.name)
		if err := os.MkdirAll(stageDir, 0o755); err != nil {
			return err
		}
		found, err := w.runChecks(ctx, s, p.plan, stageDir, refused)
		if err != nil {
			return err
		}
		for _, f := range found {
			problems = append(problems, stage+", pod "+p.name+" (token of "+p.issuer+"): "+f)
		}
		return nil
	}
	for _, p := range []migrationPod{blue, green} {
		if err := check("with-previous-issuers", p, false); err != nil {
			return err
		}
	}
	// Step 4: previousIssuers removed.
	if err := w.trustIssuers(ctx, in.trustAfter, in.issuers); err != nil {
		return err
	}
	if err := check("without-previous-issuers", blue, true); err != nil {
		return err
	}
	if err := check("without-previous-issuers", green, false); err != nil {
		return err
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// migrationPod applies the example's output with the Pod renamed by suffix
// and does the kubelet's part for it: its token comes from the cluster's
// issuer of the moment.
func (w *world) migrationPod(ctx context.Context, c *cluster.Cluster, in *input, dir, suffix string) (migrationPod, error) {
	objects, err := deepCopy(in.objects)
	if err != nil {
		return migrationPod{}, err
	}
	var pod map[string]any
	for _, obj := range objects {
		if obj["kind"] == "Pod" && obj["apiVersion"] == "v1" {
			pod = obj
		}
	}
	if pod == nil {
		return migrationPod{}, errors.New("the rendered output has no Pod")
	}
	md, _ := pod["metadata"].(map[string]any)
	md["name"] = nameOf(pod) + suffix
	if err := w.prepareNamespaces(ctx, c, objects); err != nil {
		return migrationPod{}, err
	}
	manifests, err := joinYAML(objects)
	if err != nil {
		return migrationPod{}, err
	}
	if _, err := c.Apply(ctx, manifests); err != nil {
		return migrationPod{}, err
	}
	p := migrationPod{name: nameOf(pod)}
	k := &kubelet.Kubelet{Cluster: c, Dir: filepath.Join(dir, "kubelet"), TokenHook: func(_ string, _ kubelet.ServiceAccountTokenProjection, token string) (string, error) {
		iss, err := tokenIssuer(token)
		p.issuer = iss
		return token, err
	}}
	applied, err := k.GetPod(ctx, namespaceOf(pod), p.name)
	if err != nil {
		return migrationPod{}, err
	}
	if p.plan, err = w.prepareContainer(ctx, k, applied, filepath.Join(dir, p.name)); err != nil {
		return migrationPod{}, err
	}
	w.logger.Printf("migration: pod %s has a token of %s", p.name, p.issuer)
	return p, nil
}

// trustIssuers tells the AWS side what doc trusts, for every issuer the
// cluster's tokens may carry: one MinIO per issuer (MinIO holds one
// claim-based OpenID provider), in which exactly the subjects doc's role
// statements pin for that issuer may read the bucket. An issuer doc no
// longer trusts keeps its MinIO with no reader, as an account keeps an OIDC
// provider no statement names.
func (w *world) trustIssuers(ctx context.Context, doc *trust.Document, issuers []string) error {
	if doc.AWS == nil {
		return errors.New("trust document: no AWS part")
	}
	for _, iss := range issuers {
		var provider *trust.AWSOIDCProvider
		for i := range doc.AWS.OIDCProviders {
			if ensureHTTPS(doc.AWS.OIDCProviders[i].URL) == iss {
				provider = &doc.AWS.OIDCProviders[i]
			}
		}
		var subjects []string
		clientID := "sts.amazonaws.com"
		if provider != nil {
			if len(provider.ClientIDList) == 0 {
				return fmt.Errorf("trust document: OIDC provider %s has no client ID", provider.ARN)
			}
			clientID = provider.ClientIDList[0]
			for _, role := range doc.AWS.Roles {
				for _, st := range role.AssumeRolePolicy.Statement {
					federated, err := st.FederatedPrincipals()
					if err != nil {
						return fmt.Errorf("trust document: role %s: %w", role.RoleARN, err)
					}
					if st.Effect == "Allow" && slices.Contains(federated, provider.ARN) {
						subjects = append(subjects, st.ConditionValues(strings.TrimPrefix(iss, "https://")+":sub", "StringEquals")...)
					}
				}
			}
		}
		s3, err := w.ensureMinio(ctx, iss, clientID)
		if err != nil {
			return err
		}
		if err := s3.SetReaders(ctx, subjects, s3Bucket); err != nil {
			return err
		}
		w.logger.Printf("migration: MinIO for %s lets %q read %s", iss, subjects, s3Bucket)
	}
	return nil
}

// routeAWS sends the AWS APIs to the MinIO of issuer, as AWS STS picks the
// OIDC provider by the token's issuer (the credentials it returns are then
// that MinIO's).
func (w *world) routeAWS(issuer string) error {
	for key, s := range w.minios {
		if strings.HasPrefix(key, issuer+" ") {
			target, err := url.Parse(s.URL)
			if err != nil {
				return fmt.Errorf("MinIO URL: %w", err)
			}
			w.awsAPI.Set(front.ReverseProxy(target, &tls.Config{RootCAs: w.ca.Pool()}))
			return nil
		}
	}
	return fmt.Errorf("no MinIO for issuer %s", issuer)
}
