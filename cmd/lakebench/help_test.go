package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lakebench/lakebench/lakehouse"

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

// TestReadmeListsFlags checks that each command's entry in the README's
// command-line section names every flag of its own (the flags every
// command takes, -C, -t, --var and --as, are described below the list):
// `train --algorithm`, `models show --top` and the TUI's --theme were
// missing. An entry is a line that starts with the command's path, and the
// indented lines under it.
func TestReadmeListsFlags(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(b), "## Command line")
	section, _, _ := strings.Cut(after, "\n## ")
	root := newRoot()
	entries := map[*cobra.Command]string{}
	var cur *cobra.Command
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, " ") && cur != nil {
			entries[cur] += "\n" + line
			continue
		}
		cur = nil
		words := strings.Fields(line)
		if len(words) == 0 || words[0] != "lakebench" {
			continue
		}
		cur = root
		for _, w := range words[1:] {
			next, _, err := cur.Find([]string{w})
			if err != nil || next == cur {
				break
			}
			cur = next
		}
		entries[cur] += "\n" + line
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && !c.Hidden && c.Name() != "help" && c.Name() != "completion" {
			entry := entries[c] + " "
			c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
				if f.Hidden || f.Name == "help" {
					return
				}
				if !strings.Contains(entry, "--"+f.Name) && (f.Shorthand == "" || !strings.Contains(entry, "-"+f.Shorthand+" ")) {
					t.Errorf("README.md's entry for %q does not name --%s (%s)", c.CommandPath(), f.Name, f.Usage)
				}
			})
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}

// TestAuditColumnsAlign: `lakebench audit` printed "deploy      retail-lakehouse"
// above "auth.token.list   target staging": an action longer than nine
// characters pushed its row's tables out of the column. Every row's
// tables start at the same column.
func TestAuditColumnsAlign(t *testing.T) {
	at := time.Date(2026, 11, 29, 4, 8, 13, 0, time.Local)
	events := []lakehouse.AuditEvent{
		{Seq: 3, At: at, Principal: "sp-staging", Action: "deploy", Tables: []string{"retail-lakehouse"}, Allowed: true},
		{Seq: 5, At: at, Principal: "sp-staging", Action: "auth.token.list", Tables: []string{"target staging"}, Allowed: true},
		{Seq: 48, At: at, Principal: "root", Action: "auth.token.create", Tables: []string{"sp-x"}, Detail: "not a service principal"},
	}
	var b strings.Builder
	printEvents(&b, events)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	col := -1
	for i, l := range lines {
		c := strings.Index(l, events[i].Tables[0])
		if col == -1 {
			col = c
		}
		if c != col {
			t.Errorf("row %d's tables start at column %d, row 1's at %d:\n%s", i+1, c, col, b.String())
		}
	}
}
