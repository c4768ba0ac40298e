package main

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestFlagHelpNames reads every flag's line in --help as a user does:
// cobra takes the first `quoted` word of a usage text as the value's name,
// so `lakebench --help` once showed "--as auth token create". A value's
// name is one upper- or lower-case word.
func TestFlagHelpNames(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			name, _ := pflag.UnquoteUsage(f)
			if strings.ContainsAny(name, " ,:()") {
				t.Errorf("%s --%s: --help names its value %q", c.CommandPath(), f.Name, name)
			}
		}
		c.LocalFlags().VisitAll(check)
		c.PersistentFlags().VisitAll(check)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRoot())
}

// TestReadmeListsCommands checks that the README's command-line section
// names every command lakebench has (`lakebench audit` was missing), so a
// user reading it finds each one.
func TestReadmeListsCommands(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "## Command line")
	if !ok {
		t.Fatal("README.md has no Command line section")
	}
	section, _, _ := strings.Cut(after, "\n## ")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			if s.Hidden || s.Name() == "help" || s.Name() == "completion" {
				continue
			}
			// "lakebench bundle owner [set PRINCIPAL]" lists "bundle owner set".
			optional := c.CommandPath() + " [" + s.Name()
			if s.Runnable() && !strings.Contains(section, s.CommandPath()) && !strings.Contains(section, optional) {
				t.Errorf("README.md's Command line section does not list %q (%s)", s.CommandPath(), s.Short)
			}
			walk(s)
		}
	}
	walk(newRoot())
}
