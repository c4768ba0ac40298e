package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/spf13/cobra"
)

// newAuditCmd is `lakebench audit`: list the target's audit events, and
// `audit verify`: re-compute its hash chain.
func newAuditCmd(g *globals) *cobra.Command {
	var since, principal, action, table string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List the target's audit events (who did what, allowed or not), and the destroyed targets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openProjectOnly(g)
			if err != nil {
				return err
			}
			f := lakehouse.AuditFilter{Principal: principal, Action: action, Table: table, Limit: limit}
			if since != "" {
				if f.Since, err = parseSince(since); err != nil {
					return err
				}
			}
			path := s.project.DatabasePath(s.target)
			var events []lakehouse.AuditEvent
			if _, err := os.Stat(path); err == nil {
				lh, err := lakehouse.Open(cmd.Context(), path, lakehouse.Options{ReadOnly: true, Principal: s.principal()})
				if err != nil {
					return err
				}
				events, err = lh.AuditEvents(cmd.Context(), f)
				lh.Close()
				if err != nil {
					return err
				}
			}
			destroyed, _, err := lakehouse.ReadDestroyedLog(lakehouse.DestroyedLogPath(path))
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(os.Stdout, map[string]any{"target": s.target, "events": orEmpty(events), "destroyed": orEmpty(destroyed)})
			}
			printEvents(os.Stdout, events)
			if len(destroyed) > 0 {
				fmt.Fprintln(os.Stdout, "\ndestroyed targets (", lakehouse.DestroyedLogPath(path), "):")
				printEvents(os.Stdout, destroyed)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "only events since a duration ago (24h) or a date (2026-01-31)")
	cmd.Flags().StringVar(&principal, "principal", "", "only this principal's events")
	cmd.Flags().StringVar(&action, "action", "", "only this action's events (SELECT, EXECUTE, deploy, grant, revoke, task:model, ml:alias, backup, restore, ...)")
	cmd.Flags().StringVar(&table, "table", "", "only the events on this object (schema.table)")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many events (default: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")

	var verifyJSON bool
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Re-compute the audit's hash chain (sys.audit, the read-only sessions' log, the destroyed targets) and report the first break",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openProjectOnly(g)
			if err != nil {
				return err
			}
			path := s.project.DatabasePath(s.target)
			var chain *lakehouse.AuditChain
			if _, err := os.Stat(path); err == nil {
				lh, err := lakehouse.Open(cmd.Context(), path, lakehouse.Options{ReadOnly: true})
				if err != nil {
					return err
				}
				c, err := lh.VerifyAudit(cmd.Context())
				lh.Close()
				if err != nil {
					return err
				}
				chain = &c
			}
			destroyed, dbreak, err := lakehouse.ReadDestroyedLog(lakehouse.DestroyedLogPath(path))
			if err != nil {
				return err
			}
			var breaks []string
			if chain != nil && chain.Break != nil {
				breaks = append(breaks, chain.Break.String())
			}
			if dbreak != nil {
				breaks = append(breaks, dbreak.String())
			}
			if verifyJSON {
				err := writeJSON(os.Stdout, map[string]any{"target": s.target, "ok": len(breaks) == 0, "audit": chain,
					"destroyed": map[string]any{"path": lakehouse.DestroyedLogPath(path), "events": orEmpty(destroyed), "break": dbreak}})
				if err != nil {
					return err
				}
			} else {
				printVerify(os.Stdout, s.target, path, chain, destroyed, dbreak)
			}
			if len(breaks) > 0 {
				return fmt.Errorf("the audit chain is broken: %s; the events before it are intact, look at what changed there (and restore a backup if the file was edited)", strings.Join(breaks, "; "))
			}
			return nil
		},
	}
	verify.Flags().BoolVar(&verifyJSON, "json", false, "print one JSON document")
	cmd.AddCommand(verify)
	return cmd
}

func orEmpty(events []lakehouse.AuditEvent) []lakehouse.AuditEvent {
	if events == nil {
		return []lakehouse.AuditEvent{}
	}
	return events
}

// parseSince reads a duration back from now (24h, 90m) or a date.
func parseSince(s string) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	for _, layout := range []string{time.DateOnly, time.DateTime, time.RFC3339} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("--since " + s + ": want a duration (24h) or a date (2026-01-31, 2026-01-31 12:00:00)")
}

func printEvents(w io.Writer, events []lakehouse.AuditEvent) {
	if len(events) == 0 {
		fmt.Fprintln(w, "no audit events")
		return
	}
	// The action column is as wide as its longest action
	// (auth.token.create), so every row's tables line up.
	aw, pw := 9, 12
	for _, e := range events {
		aw, pw = max(aw, len(visible(e.Action))), max(pw, len(visible(e.Principal)))
	}
	for _, e := range events {
		verdict := "allowed"
		if !e.Allowed {
			verdict = "REFUSED"
		}
		line := fmt.Sprintf("%5d  %s  %-*s %-8s %-*s %s", e.Seq, e.At.Local().Format(time.DateTime), pw, visible(e.Principal), verdict, aw, visible(e.Action), visible(strings.Join(e.Tables, ",")))
		if e.Detail != "" {
			line += "  " + visible(strings.ReplaceAll(e.Detail, "\n", " "))
		}
		if e.Result != "" && e.Allowed {
			line += "  [" + visible(strings.ReplaceAll(e.Result, "\n", " ")) + "]"
		}
		if e.Statement != "" {
			line += "\n       " + visible(statementLine(e.Statement, 200))
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

func printVerify(w io.Writer, target, path string, c *lakehouse.AuditChain, destroyed []lakehouse.AuditEvent, dbreak *lakehouse.AuditBreak) {
	switch {
	case c == nil:
		fmt.Fprintf(w, "target %s: no file (%s)\n", target, path)
	case c.Break != nil:
		fmt.Fprintf(w, "target %s: BROKEN at %s\n", target, c.Break)
	default:
		fmt.Fprintf(w, "target %s: chain holds: %d events in sys.audit, %d pending from read-only sessions, last seq %d, hash %s\n",
			target, c.Events, c.Pending, c.LastSeq, c.LastHash)
	}
	if c != nil && c.Tampered > 0 {
		fmt.Fprintf(w, "  %d audit_tamper event(s) record breaks found in read-only sessions' logs: lakebench audit --json | grep -A3 audit_tamper\n", c.Tampered)
	}
	if len(destroyed) == 0 && dbreak == nil {
		return
	}
	status := "chain holds"
	if dbreak != nil {
		status = "BROKEN at " + dbreak.String()
	}
	fmt.Fprintf(w, "destroyed targets: %d record(s), %s\n", len(destroyed), status)
	for _, e := range destroyed {
		fmt.Fprintf(w, "  %s  %s destroyed %s: %s\n", e.At.Local().Format(time.DateTime), e.Principal, strings.Join(e.Tables, ","), e.Detail)
	}
}

// visible escapes what a terminal would act on instead of showing (control
// characters such as ESC and CR, and bidi overrides) as Go writes them in a
// literal (\x1b, \r, \u202e): an audit field holds what a principal typed,
// and must not erase, overwrite or reorder the lines around it.
func visible(s string) string {
	if !strings.ContainsFunc(s, hidden) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r) {
			b.WriteString(strings.Trim(strconv.QuoteRune(r), "'"))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hidden reports whether a terminal acts on r rather than showing it.
func hidden(r rune) bool {
	return r != ' ' && (unicode.IsControl(r) || !unicode.IsGraphic(r) || unicode.Is(unicode.Bidi_Control, r))
}

// statementLine is text on one line (its line breaks and tabs as
// spaces; other controls are left for visible to escape), cut to at most
// n characters with "…".
func statementLine(text string, n int) string {
	s := strings.NewReplacer("\r\n", " ", "\n", " ", "\t", " ").Replace(strings.TrimSpace(text))
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
