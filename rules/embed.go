// Package rules embeds the rule pack: one <id>.yaml file per rule and its
// <id>_test.yaml rule tests. pkg/rules loads and runs them; keeping the files
// here, at the top of the repository, lets rule authors work without Go.
package rules

import "embed"

// FS holds every rule file and rule-test file of the pack.
//
//go:embed *.yaml
var FS embed.FS
