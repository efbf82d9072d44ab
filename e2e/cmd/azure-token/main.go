// Command azure-token gets a Microsoft Entra ID access token with
// azidentity.NewWorkloadIdentityCredential, configured only from the
// environment a pod gets (AZURE_CLIENT_ID, AZURE_TENANT_ID,
// AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST), and prints a line
// saying so. It runs inside the e2e pods as a Go workload would.
//
// Usage: azure-token [SCOPE]
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "azure-token:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	scope := "https://storage.azure.com/.default"
	if len(args) > 0 {
		scope = args[0]
	}
	cred, err := azidentity.NewWorkloadIdentityCredential(nil)
	if err != nil {
		return fmt.Errorf("workload identity credential: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		return fmt.Errorf("get token: %w", err)
	}
	fmt.Printf("azure: token for %s acquired for client %s, expires %s\n", scope, os.Getenv("AZURE_CLIENT_ID"), tok.ExpiresOn.UTC().Format(time.RFC3339))
	return nil
}
