package main

import "testing"

// freshProd bootstraps dir's prod target (the operating-system user owns
// it, sp-prod's token goes to the profile file) and deploys it, forced
// past its promotion gate by that owner: a fixture for tests about prod
// itself, not about staging.
func freshProd(t *testing.T, dir string) {
	t.Helper()
	lb(t, dir, true, "auth", "token", "create", "sp-prod", "-t", "prod")
	lb(t, dir, true, "bundle", "deploy", "-t", "prod", "--force", "--reason", "test fixture: a fresh prod")
}
