package trust

import (
	"errors"
	"fmt"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/azureid"
)

// AzureRoleAssignment assigns a role to the service principal of an
// application or managed identity (known by its client ID) at a scope.
type AzureRoleAssignment struct {
	Scope string `json:"scope"`
	// Role is the built-in role's name, or the GUID of another role.
	Role string `json:"role"`
	// RoleDefinitionID is the role definition as the scope's subscription
	// names it.
	RoleDefinitionID string `json:"roleDefinitionId"`
	ClientID         string `json:"clientId"`
}

// blobRoles are the built-in roles each blob level assigns. Azure has no
// write-only blob data role, so write is the contributor role too.
var blobRoles = map[v1alpha1.GrantLevel]string{
	v1alpha1.LevelRead:      azureid.StorageBlobDataReader,
	v1alpha1.LevelWrite:     azureid.StorageBlobDataContributor,
	v1alpha1.LevelReadWrite: azureid.StorageBlobDataContributor,
}

type azureGrantsBuilder struct {
	assignments map[azureAssignmentKey]AzureRoleAssignment
}

// azureAssignmentKey is what makes an assignment one: ARM compares scopes
// and role definition IDs regardless of case.
type azureAssignmentKey struct{ scope, roleDefinitionID, clientID string }

func newAzureGrantsBuilder() cloudBuilder {
	return &azureGrantsBuilder{assignments: map[azureAssignmentKey]AzureRoleAssignment{}}
}

func (b *azureGrantsBuilder) add(s *specTrust) error {
	z := s.spec.Azure
	if z == nil || z.Grants == nil {
		return nil
	}
	if z.ClientID == "" {
		return fmt.Errorf("%s: spec.azure.grants need spec.azure.clientId: role assignments belong to one identity", s.name)
	}
	for _, g := range z.Grants.Blob {
		role, ok := blobRoles[g.Level]
		if !ok {
			return fmt.Errorf("%s: spec.azure.grants.blob %s: level %q is not resolved; decode the spec with v1alpha1.Decode", s.name, g.Container, g.Level)
		}
		if err := b.assign(azureid.ContainerScope(g.StorageAccount, g.Container), role, z.ClientID); err != nil {
			return fmt.Errorf("%s: spec.azure.grants.blob: %w", s.name, err)
		}
	}
	for _, g := range z.Grants.Roles {
		if err := b.assign(g.Scope, g.Role, z.ClientID); err != nil {
			return fmt.Errorf("%s: spec.azure.grants.roles: %w", s.name, err)
		}
	}
	return nil
}

func (b *azureGrantsBuilder) assign(scope, role, clientID string) error {
	sc, err := azureid.ParseScope(scope)
	if err != nil {
		return fmt.Errorf("scope: %w", err)
	}
	r, err := azureid.Role(role)
	if err != nil {
		return fmt.Errorf("role: %w", err)
	}
	a := AzureRoleAssignment{Scope: scope, Role: r.Name, RoleDefinitionID: azureid.RoleDefinitionID(sc.Subscription, r.ID), ClientID: clientID}
	b.assignments[azureAssignmentKey{strings.ToLower(scope), strings.ToLower(a.RoleDefinitionID), strings.ToLower(clientID)}] = a
	return nil
}

func (b *azureGrantsBuilder) build(t *Trust, limits Limits) error {
	if len(b.assignments) == 0 {
		return nil
	}
	if t.Azure == nil {
		return errors.New("Azure grants without Azure trust: build the trust first")
	}
	keys := sortedKeysFunc(b.assignments, func(x, y azureAssignmentKey) int {
		return cmpStrings(x.clientID, y.clientID, x.scope, y.scope, x.roleDefinitionID, y.roleDefinitionID)
	})
	for _, k := range keys {
		t.Azure.RoleAssignments = append(t.Azure.RoleAssignments, b.assignments[k])
	}
	return nil
}

// hasAzureGrants reports whether there are role assignments to write.
func hasAzureGrants(t *Trust) bool {
	return t.Azure != nil && len(t.Azure.RoleAssignments) > 0
}
