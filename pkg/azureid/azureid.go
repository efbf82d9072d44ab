// Package azureid is the grammar of the Azure identifiers a spec names: GUIDs
// (tenants, client IDs, role definitions), Azure Resource Manager IDs (the
// scope of a role assignment, a storage account), blob container names, and
// the built-in roles a grant may name. The function's validation and trust's
// builders call the same code, so they can never accept different values.
package azureid

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// What each identifier must look like, for messages.
const (
	WantGUID           = "a GUID such as 00000000-0000-0000-0000-000000000000"
	WantScope          = "an Azure Resource Manager ID: /subscriptions/SUBSCRIPTION_GUID, optionally followed by /resourceGroups/GROUP and /providers/NAMESPACE/TYPE/NAME[/TYPE/NAME...]"
	WantStorageAccount = "a storage account's resource ID, /subscriptions/SUBSCRIPTION_GUID/resourceGroups/GROUP/providers/Microsoft.Storage/storageAccounts/NAME, NAME being 3 to 24 lowercase letters and digits"
	WantContainer      = "a blob container name: 3 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit, no two hyphens in a row"
)

// MaxScopeLength bounds a scope: real ARM IDs are a few hundred characters,
// and a scope is copied into every format.
const MaxScopeLength = 1024

// GUID matches a GUID, in either case.
var GUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

const guid = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`

var (
	// An ARM ID: a subscription, then optionally a resource group, then
	// optionally a provider namespace and pairs of resource type and name.
	// ARM reads the fixed words in any case. Names are ASCII: letters,
	// digits and . _ ( ) ~ -, which covers what ARM allows in resource group
	// and resource names without $, spaces or anything a command line or
	// generated code would read.
	scope = regexp.MustCompile(`^(?i:/subscriptions/)(` + guid + `)` +
		`(?:(?i:/resourceGroups/)([A-Za-z0-9_.()-]{0,89}[A-Za-z0-9_()-])` +
		`(?:(?i:/providers/)([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)+)((?:/[A-Za-z][A-Za-z0-9]*/[A-Za-z0-9_][A-Za-z0-9_.()~-]{0,259})+))?)?$`)
	storageAccount = regexp.MustCompile(`^(?i:/providers/Microsoft\.Storage/storageAccounts/)([a-z0-9]{3,24})$`)
)

// Scope is a parsed ARM ID, the scope of a role assignment.
type Scope struct {
	Subscription, ResourceGroup string
	// Provider is the resource provider namespace and Resource the rest of
	// the ID after it ("/storageAccounts/NAME/..."); both empty for a
	// subscription or resource group scope.
	Provider, Resource string
}

// ParseScope reads an ARM ID that is a subscription, a resource group or a
// resource of one.
func ParseScope(s string) (Scope, error) {
	if len(s) > MaxScopeLength {
		return Scope{}, fmt.Errorf("is %d characters long; want %s of at most %d characters", len(s), WantScope, MaxScopeLength)
	}
	m := scope.FindStringSubmatch(s)
	if m == nil {
		if strings.ContainsAny(s, "*?") {
			return Scope{}, fmt.Errorf("%s has a wildcard, which ARM has none of; want %s", strconv.QuoteToASCII(s), WantScope)
		}
		return Scope{}, fmt.Errorf("%s is not valid; want %s", strconv.QuoteToASCII(s), WantScope)
	}
	return Scope{Subscription: m[1], ResourceGroup: m[2], Provider: m[3], Resource: m[4]}, nil
}

// StorageAccount reads a storage account's resource ID and returns its
// scope and its name.
func StorageAccount(id string) (Scope, string, error) {
	sc, err := ParseScope(id)
	if err != nil {
		return Scope{}, "", fmt.Errorf("%s is not valid; want %s", strconv.QuoteToASCII(id), WantStorageAccount)
	}
	m := storageAccount.FindStringSubmatch("/providers/" + sc.Provider + sc.Resource)
	if m == nil || sc.ResourceGroup == "" {
		return Scope{}, "", fmt.Errorf("%q is not a storage account; want %s", id, WantStorageAccount)
	}
	return sc, m[1], nil
}

// IsContainer reports whether name is a blob container name.
func IsContainer(name string) bool {
	if len(name) < 3 || len(name) > 63 || strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") || strings.Contains(name, "--") {
		return false
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// ContainerScope is the ARM ID of a blob container of a storage account: the
// narrowest scope a blob data role can be assigned at.
func ContainerScope(storageAccountID, container string) string {
	return storageAccountID + "/blobServices/default/containers/" + container
}

// RoleDefinitionID is the ARM ID of a role definition as a role assignment in
// a subscription names it.
func RoleDefinitionID(subscription, roleGUID string) string {
	return "/subscriptions/" + subscription + "/providers/Microsoft.Authorization/roleDefinitions/" + roleGUID
}
