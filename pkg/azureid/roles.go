package azureid

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// BuiltinRole is an Azure built-in role: its name and the GUID of its role
// definition, the same in every tenant and subscription.
type BuiltinRole struct {
	Name, ID string
}

// The built-in roles blob grants use.
const (
	StorageBlobDataReader      = "Storage Blob Data Reader"
	StorageBlobDataContributor = "Storage Blob Data Contributor"
)

// BuiltinRoles are the data-plane built-in roles a grant may name by name:
// Storage blob, queue and table data roles, Service Bus data roles and Key
// Vault data roles. Names and GUIDs are Microsoft's, from "Azure built-in
// roles" (learn.microsoft.com/azure/role-based-access-control/built-in-roles:
// the Storage, Integration and Security pages, each role's "name" and
// "roleName"). Any other role is given by its role definition GUID.
var BuiltinRoles = []BuiltinRole{
	{StorageBlobDataReader, "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"},
	{StorageBlobDataContributor, "ba92f5b4-2d11-453d-a403-e96b0029c9fe"},
	{"Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"},
	{"Storage Queue Data Reader", "19e7f393-937e-4f77-808e-94535e297925"},
	{"Storage Queue Data Contributor", "974c5e8b-45b9-4653-ba55-5f855dd0fb88"},
	{"Storage Queue Data Message Processor", "8a0f0c08-91a1-4084-bc3d-661d67233fed"},
	{"Storage Queue Data Message Sender", "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a"},
	{"Storage Table Data Reader", "76199698-9eea-4c19-bc75-cec21354c6b6"},
	{"Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"},
	{"Azure Service Bus Data Owner", "090c5cfd-751d-490a-894a-3ce6f1109419"},
	{"Azure Service Bus Data Receiver", "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"},
	{"Azure Service Bus Data Sender", "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"},
	{"Key Vault Reader", "21090545-7ca7-4776-b22c-e363652d74d2"},
	{"Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6"},
	{"Key Vault Secrets Officer", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"},
	{"Key Vault Crypto User", "12338af0-0e69-4776-bea7-57ae8d297424"},
	{"Key Vault Certificate User", "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba"},
}

// BroadRoles are Azure's general built-in roles: each reaches every resource
// type under its scope, the opposite of a least-privilege grant, so a grant
// may not name them (by name or by GUID). GUIDs from Microsoft's "Azure
// built-in roles" (General and Privileged pages).
var BroadRoles = []BuiltinRole{
	{"Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"},
	{"Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"},
	{"Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
	{"User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"},
}

// WantRole says what a role may be, for messages.
func WantRole() string {
	names := make([]string, len(BuiltinRoles))
	for i, r := range BuiltinRoles {
		names[i] = r.Name
	}
	return "a role definition GUID, or one of the built-in roles " + strings.Join(names, ", ")
}

// Role resolves a role given by name (case-insensitively, as Azure reads
// role names) or by role definition GUID to the built-in role's name and its
// GUID. A GUID that is not in the table is taken as it is, with the GUID as
// its name: a custom role, or a built-in role the table does not list.
func Role(nameOrGUID string) (BuiltinRole, error) {
	if i := slices.IndexFunc(BroadRoles, func(r BuiltinRole) bool {
		return strings.EqualFold(r.ID, nameOrGUID) || strings.EqualFold(r.Name, nameOrGUID)
	}); i >= 0 {
		return BuiltinRole{}, fmt.Errorf("%q is the built-in role %s, which reaches every resource under its scope; want a data role of the service: %s", nameOrGUID, BroadRoles[i].Name, WantRole())
	}
	if GUID.MatchString(nameOrGUID) {
		id := strings.ToLower(nameOrGUID)
		if i := slices.IndexFunc(BuiltinRoles, func(r BuiltinRole) bool { return r.ID == id }); i >= 0 {
			return BuiltinRoles[i], nil
		}
		return BuiltinRole{Name: id, ID: id}, nil
	}
	if i := slices.IndexFunc(BuiltinRoles, func(r BuiltinRole) bool { return strings.EqualFold(r.Name, nameOrGUID) }); i >= 0 {
		return BuiltinRoles[i], nil
	}
	return BuiltinRole{}, fmt.Errorf("%s is not a known role; want %s", strconv.QuoteToASCII(nameOrGUID), WantRole())
}
