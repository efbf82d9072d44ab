package azureid

import (
	"slices"
	"strings"
	"testing"
)

const sub = "00000000-1111-2222-3333-444444444444"

func TestParseScope(t *testing.T) {
	for s, want := range map[string]Scope{
		"/subscriptions/" + sub:                              {Subscription: sub},
		"/subscriptions/" + sub + "/resourceGroups/rg-1":     {Subscription: sub, ResourceGroup: "rg-1"},
		"/subscriptions/" + sub + "/resourcegroups/RG_(x).y": {Subscription: sub, ResourceGroup: "RG_(x).y"},
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/oidcexp/queueServices/default/queues/jobs": {
			Subscription: sub, ResourceGroup: "rg", Provider: "Microsoft.Storage", Resource: "/storageAccounts/oidcexp/queueServices/default/queues/jobs"},
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-1": {
			Subscription: sub, ResourceGroup: "rg", Provider: "Microsoft.KeyVault", Resource: "/vaults/kv-1"},
	} {
		got, err := ParseScope(s)
		if err != nil || got != want {
			t.Errorf("ParseScope(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, bad := range []string{
		"", "/", "*", "/subscriptions/*", "/subscriptions/not-a-guid",
		"subscriptions/" + sub,
		"/subscriptions/" + sub + "/",
		"/subscriptions/" + sub + "/resourceGroups/",
		"/subscriptions/" + sub + "/resourceGroups/rg.",
		"/subscriptions/" + sub + "/resourceGroups/*",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/*",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a b",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a\n",
		"/subscriptions/" + sub + "/resourceGroups/rg\u2028x",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/$(id)",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/-x",
		"/providers/Microsoft.Management/managementGroups/mg",
		"/subscriptions/" + sub + "/resourceGroups/" + strings.Repeat("r", 91),
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/" + strings.Repeat("a", 1000),
	} {
		if _, err := ParseScope(bad); err == nil {
			t.Errorf("ParseScope(%q) = nil error, want one", bad)
		}
	}
}

func TestStorageAccount(t *testing.T) {
	id := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/oidcexp"
	sc, name, err := StorageAccount(id)
	if err != nil || name != "oidcexp" || sc.Subscription != sub {
		t.Fatalf("StorageAccount(%q) = %+v, %q, %v", id, sc, name, err)
	}
	for _, bad := range []string{
		"/subscriptions/" + sub + "/resourceGroups/rg",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/Upper",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/ab",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/oidcexp/blobServices/default",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/oidcexp",
	} {
		if _, _, err := StorageAccount(bad); err == nil {
			t.Errorf("StorageAccount(%q) = nil error, want one", bad)
		}
	}
}

func TestIsContainer(t *testing.T) {
	for name, want := range map[string]bool{
		"data": true, "a-b-c": true, "abc": true, strings.Repeat("a", 63): true,
		"ab": false, strings.Repeat("a", 64): false, "-ab": false, "ab-": false, "a--b": false,
		"Data": false, "a_b": false, "$web": false, "a b": false, "a\n": false, "data\u2028": false,
	} {
		if got := IsContainer(name); got != want {
			t.Errorf("IsContainer(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestRole(t *testing.T) {
	for in, want := range map[string]BuiltinRole{
		"Storage Blob Data Reader":             {StorageBlobDataReader, "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"},
		"storage queue data reader":            {"Storage Queue Data Reader", "19e7f393-937e-4f77-808e-94535e297925"},
		"BA92F5B4-2D11-453D-A403-E96B0029C9FE": {StorageBlobDataContributor, "ba92f5b4-2d11-453d-a403-e96b0029c9fe"},
		"11111111-2222-3333-4444-555555555555": {"11111111-2222-3333-4444-555555555555", "11111111-2222-3333-4444-555555555555"},
	} {
		got, err := Role(in)
		if err != nil || got != want {
			t.Errorf("Role(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "Owner", "Contributor", "reader", "8E3AF657-A8FF-443C-A75C-2FE8C4BCB635", "b24988ac-6180-42a0-ab88-20f7382dd24c", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "*", "Storage Blob Data Reader\n", "--role", "Storage Blob Data Reader\u2028"} {
		if _, err := Role(bad); err == nil {
			t.Errorf("Role(%q) = nil error, want one", bad)
		}
	}
}

// Every GUID in the table is a GUID written in lower case, and no name or
// GUID is listed twice.
func TestBuiltinRolesTableIsWellFormed(t *testing.T) {
	names, ids := map[string]bool{}, map[string]bool{}
	for _, r := range append(slices.Clone(BuiltinRoles), BroadRoles...) {
		if !GUID.MatchString(r.ID) || r.ID != strings.ToLower(r.ID) {
			t.Errorf("%s: %q is not a lower-case GUID", r.Name, r.ID)
		}
		if names[strings.ToLower(r.Name)] || ids[r.ID] {
			t.Errorf("%s (%s) is listed twice", r.Name, r.ID)
		}
		names[strings.ToLower(r.Name)], ids[r.ID] = true, true
	}
}
