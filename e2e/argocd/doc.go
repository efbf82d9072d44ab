// Package argocd is the end-to-end test of the cross-cloud-access Argo CD config
// management plugin (examples/argocd-cmp). It runs the real Argo CD v3 code in the
// test process: the CMP sidecar server serving the example plugin.yaml on a unix
// socket, and the repo-server's manifest generation talking to it, with the
// cross-cloud-access function and kustomize built from the main module.
//
// Run it with `make -C e2e/argocd test` from the repository root. As root, the test
// re-executes itself in a private mount namespace, puts both binaries at their
// image paths (/usr/local/bin/cross-cloud-access, /usr/local/bin/kustomize) on a
// tmpfs visible only there, and runs the plugin as uid 999 like the sidecar image.
package argocd
