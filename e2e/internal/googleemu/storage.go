package googleemu

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/trust"
)

// storageRolePermissions are the Cloud Storage object permissions of the
// roles grants use, as Google's Cloud Storage IAM roles page lists them. A
// role not listed grants nothing here (the stand-in fails closed).
var storageRolePermissions = map[string][]string{
	"roles/storage.objectViewer":  {"storage.objects.get", "storage.objects.list"},
	"roles/storage.objectCreator": {"storage.objects.create"},
	"roles/storage.objectUser":    {"storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list", "storage.objects.update"},
	"roles/storage.objectAdmin":   {"storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list", "storage.objects.update"},
}

// The JSON API's object paths: a bucket's object list, one object (its
// metadata or, under /download or with alt=media, its data), and uploads.
var (
	objectListPath = regexp.MustCompile(`^/storage/v1/b/([^/]+)/o/?$`)
	objectPath     = regexp.MustCompile(`^(?:/download)?/storage/v1/b/([^/]+)/o/(.+)$`)
	uploadPath     = regexp.MustCompile(`^/upload/storage/v1/b/([^/]+)/o/?$`)
)

// storageRequest is what IAM evaluates a Cloud Storage request on: the
// permission it needs, the resource (bucket or object) by the name and type
// IAM conditions see, and the prefix a listing asks for.
type storageRequest struct {
	bucket, permission    string
	resourceName, resType string
	listPrefix            string
}

// readStorageRequest names the permission and resource of a JSON API call,
// or says why the stand-in cannot.
func readStorageRequest(r *http.Request) (storageRequest, error) {
	path := r.URL.EscapedPath()
	unescape := func(s string) string {
		if u, err := url.PathUnescape(s); err == nil {
			return u
		}
		return s
	}
	switch m := objectListPath.FindStringSubmatch(path); {
	case m != nil && r.Method == http.MethodGet:
		bucket := unescape(m[1])
		return storageRequest{bucket: bucket, permission: "storage.objects.list", resourceName: "projects/_/buckets/" + bucket,
			resType: "storage.googleapis.com/Bucket", listPrefix: r.URL.Query().Get("prefix")}, nil
	}
	if m := uploadPath.FindStringSubmatch(path); m != nil && r.Method == http.MethodPost {
		bucket, object := unescape(m[1]), r.URL.Query().Get("name")
		return storageRequest{bucket: bucket, permission: "storage.objects.create", resourceName: "projects/_/buckets/" + bucket + "/objects/" + object,
			resType: "storage.googleapis.com/Object"}, nil
	}
	if m := objectPath.FindStringSubmatch(path); m != nil {
		bucket, object := unescape(m[1]), unescape(m[2])
		req := storageRequest{bucket: bucket, resourceName: "projects/_/buckets/" + bucket + "/objects/" + object, resType: "storage.googleapis.com/Object"}
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			req.permission = "storage.objects.get"
		case http.MethodDelete:
			req.permission = "storage.objects.delete"
		case http.MethodPatch, http.MethodPut:
			req.permission = "storage.objects.update"
		default:
			return storageRequest{}, fmt.Errorf("%s %s is not a call this stand-in knows", r.Method, path)
		}
		return req, nil
	}
	return storageRequest{}, fmt.Errorf("%s %s is not a call this stand-in knows", r.Method, path)
}

// StorageGate is the stand-in for Cloud Storage's IAM check: it passes a
// request to next only when its bearer token was minted by this emulator
// and a resource binding on the bucket grants a member of that identity a
// role with the permission the request needs, under the binding's condition.
func (e *Emulator) StorageGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const service = "storage"
		caller := e.caller(r)
		if caller == nil {
			e.googleError(w, service, http.StatusUnauthorized, "UNAUTHENTICATED", "Anonymous caller does not have storage.objects.list access to the Google Cloud Storage bucket.")
			return
		}
		req, err := readStorageRequest(r)
		if err != nil {
			e.googleError(w, service, http.StatusForbidden, "PERMISSION_DENIED", fmt.Sprintf("%s: %v", caller.name, err))
			return
		}
		e.mu.Lock()
		bindings := e.config.ResourceBindings
		e.mu.Unlock()
		for _, b := range bindings {
			if b.Resource != "//storage.googleapis.com/projects/_/buckets/"+req.bucket || !hasPermission(b.Role, req.permission) || !callerIs(caller, b.Member) {
				continue
			}
			ok, err := conditionHolds(b.Condition, req)
			if err != nil {
				e.logger.Printf("google storage: the condition of %s for %s on %s: %v", b.Role, b.Member, b.Resource, err)
				continue
			}
			if ok {
				next.ServeHTTP(w, r)
				return
			}
		}
		kind := "object"
		if req.resType == "storage.googleapis.com/Bucket" {
			kind = "bucket"
		}
		e.googleError(w, service, http.StatusForbidden, "PERMISSION_DENIED",
			fmt.Sprintf("%s does not have %s access to the Google Cloud Storage %s. Permission '%s' denied on resource (or it may not exist).", caller.name, req.permission, kind, req.permission))
	})
}

func hasPermission(role, permission string) bool {
	for _, p := range storageRolePermissions[role] {
		if p == permission {
			return true
		}
	}
	return false
}

func callerIs(caller *identity, member string) bool {
	for _, have := range caller.members {
		if memberMatches(member, have) {
			return true
		}
	}
	return false
}

// conditionEnv is the CEL environment of IAM conditions on Cloud Storage, as
// far as grants use it: resource.name, resource.type and
// api.getAttribute(NAME, DEFAULT).
var conditionEnv = func() *cel.Env {
	env, err := cel.NewEnv(
		cel.Variable("resource", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("api", cel.MapType(cel.StringType, cel.StringType)),
		cel.Function("getAttribute",
			cel.MemberOverload("api_getAttribute", []*cel.Type{cel.MapType(cel.StringType, cel.StringType), cel.StringType, cel.StringType}, cel.StringType,
				cel.FunctionBinding(func(args ...ref.Val) ref.Val {
					attrs, ok := args[0].Value().(map[string]string)
					if !ok {
						return types.NewErr("api is not a map of strings")
					}
					if v, ok := attrs[string(args[1].(types.String))]; ok {
						return types.String(v)
					}
					return args[2]
				}))),
	)
	if err != nil {
		panic(fmt.Sprintf("the IAM condition environment: %v", err))
	}
	return env
}()

// conditionHolds evaluates a binding's condition on a request; no condition
// holds.
func conditionHolds(c *trust.GCPCondition, req storageRequest) (bool, error) {
	if c == nil {
		return true, nil
	}
	ast, issues := conditionEnv.Compile(c.Expression)
	if issues.Err() != nil {
		return false, issues.Err()
	}
	program, err := conditionEnv.Program(ast)
	if err != nil {
		return false, err
	}
	api := map[string]string{}
	if req.permission == "storage.objects.list" {
		api["storage.googleapis.com/objectListPrefix"] = req.listPrefix
	}
	out, _, err := program.Eval(map[string]any{
		"resource": map[string]string{"name": req.resourceName, "type": req.resType, "service": "storage.googleapis.com"},
		"api":      api,
	})
	if err != nil {
		return false, err
	}
	holds, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("the condition is a %T, not a bool", out.Value())
	}
	return holds, nil
}
