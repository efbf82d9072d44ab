package v1alpha1

import (
	"github.com/crosscloud-dev/cross-cloud-access/pkg/azureid"
)

// AzureGrants are role assignments for the identity of spec.azure.clientId:
// `trust` renders them beside its federated credentials. They change
// nothing in the pods.
type AzureGrants struct {
	// Blob grants read, write or both on one blob container.
	Blob []BlobGrant `json:"blob,omitempty"`
	// Roles assign a role at one scope.
	Roles []AzureRoleGrant `json:"roles,omitempty"`
}

// BlobGrant is a role on one container of a storage account: read is
// Storage Blob Data Reader, write and readWrite are Storage Blob Data
// Contributor (Azure has no write-only blob data role).
type BlobGrant struct {
	// StorageAccount is the storage account's resource ID.
	StorageAccount string     `json:"storageAccount"`
	Container      string     `json:"container"`
	Level          GrantLevel `json:"level,omitempty" jsonschema:"enum=read,enum=write,enum=readWrite"`
}

// AzureRoleGrant is one role at one scope.
type AzureRoleGrant struct {
	// Role is a built-in role's name from the table in pkg/azureid, or a
	// role definition GUID.
	Role string `json:"role"`
	// Scope is an Azure Resource Manager ID.
	Scope string `json:"scope"`
}

func (g *AzureGrants) defaults() {
	for i := range g.Blob {
		defaultLevel(&g.Blob[i].Level)
	}
}

func (g *AzureGrants) check(v *checker, field, clientID string) {
	if len(g.Blob)+len(g.Roles) == 0 {
		v.errorf(field, "is empty and grants nothing; add blob or roles, or remove it")
	}
	if clientID == "" {
		v.errorf("spec.azure.clientId", "is required with %s: role assignments belong to one identity; set clientId to the application or managed identity the containers use", field)
	}
	each(field+".blob", g.Blob, func(field string, b *BlobGrant) {
		if b.StorageAccount == "" {
			v.errorf(field+".storageAccount", "is required; want %s", azureid.WantStorageAccount)
		} else if _, _, err := azureid.StorageAccount(b.StorageAccount); err != nil {
			v.errorf(field+".storageAccount", "%v", err)
		}
		v.required(field+".container", b.Container, azureid.IsContainer, azureid.WantContainer)
		v.checkLevel(field+".level", b.Level)
	})
	each(field+".roles", g.Roles, func(field string, r *AzureRoleGrant) {
		if r.Role == "" {
			v.errorf(field+".role", "is required; want %s", azureid.WantRole())
		} else if _, err := azureid.Role(r.Role); err != nil {
			v.errorf(field+".role", "%v", err)
		}
		if r.Scope == "" {
			v.errorf(field+".scope", "is required; want %s", azureid.WantScope)
		} else if _, err := azureid.ParseScope(r.Scope); err != nil {
			v.errorf(field+".scope", "%v", err)
		}
	})
}
