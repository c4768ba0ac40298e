package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lakebench/lakebench/lakehouse"
	"github.com/lakebench/lakebench/pipeline"
	"github.com/spf13/cobra"
)

// lakebench backup [list], restore SNAPSHOT|latest and sla: snapshots of a
// target's file, their restore with its measured time, and the target's
// SLA against its objectives (see lakehouse/backup.go for who may).

func newBackupCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Snapshot the target's file (consistent, verified), keeping the newest N",
		Long: `Snapshot the target's DuckDB file: taken under the writer lock after a
checkpoint, copied, verified (it opens, and every table counts as it did), then
listed with its manifest (sha256, row counts) in the backups directory
(targets.<t>.backup.dir, default .lakebench/backups/<target>/). The newest
backup.keep snapshots are kept (7 by default). Needs CAN_MANAGE on the target
(its owner has it): a snapshot copies every table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBackup(cmd.Context(), g)
		},
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "The target's snapshots, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBackupList(cmd.Context(), g, asJSON)
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print the snapshots' manifests as JSON on stdout")
	cmd.AddCommand(list)
	return cmd
}

func runBackup(ctx context.Context, g *globals) error {
	s, err := openProject(ctx, g)
	if err != nil {
		return err
	}
	path := s.project.DatabasePath(s.target)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("target %s has no file yet (%s): there is nothing to back up; run the pipeline first (lakebench run -t %s)", s.target, path, s.target)
	}
	lh, err := s.open(ctx, "lakebench backup -t "+s.target)
	if err != nil {
		return err
	}
	defer lh.Close()
	lh.SetPrincipal(s.principal())
	opts := s.project.BackupOptions(s.target)
	info, err := lh.Backup(ctx, opts)
	if err != nil {
		return err
	}
	kept, _ := lakehouse.ListBackups(opts.Dir, s.target)
	fmt.Printf("backup %s of target %s: %s, %d tables, %s rows in %s (sha256 %s)\n",
		info.ID, s.target, lakehouse.FormatBytes(info.Bytes), len(info.Tables), lakehouse.GroupDigits(fmt.Sprint(info.Rows())),
		pipeline.FormatAge(info.Duration), info.SHA256[:16])
	fmt.Printf("%s kept in %s\n", pipeline.Plural(len(kept), "snapshot"), relPath(s.project.Dir, filepath.Join(opts.Dir, s.target)))
	return nil
}

// governanceReader opens what the identity and permission checks of a
// backup listing or a restore read: the target, read-only; or, when it
// cannot be opened (damaged, or written by another process and whileWritten
// is set) or is missing, its newest intact snapshot (from says which).
func governanceReader(ctx context.Context, s *session, whileWritten bool) (lh *lakehouse.Lakehouse, from string, err error) {
	path := s.project.DatabasePath(s.target)
	_, statErr := os.Stat(path)
	if statErr == nil {
		lh, err = s.openRead(ctx)
		var damaged *lakehouse.DamagedError
		var locked *lakehouse.ErrLocked
		if err == nil || !errors.As(err, &damaged) && !(whileWritten && errors.As(err, &locked)) {
			return lh, "", err
		}
	}
	b, nerr := lakehouse.NewestIntactBackup(s.project.BackupDir(s.target), s.target)
	if nerr != nil {
		if err != nil {
			return nil, "", fmt.Errorf("%w; and %v, so nobody's permission can be checked", err, nerr)
		}
		return nil, "", fmt.Errorf("target %s has no file (%s) and no intact backup to restore", s.target, path)
	}
	lh, err = lakehouse.OpenBackup(ctx, b)
	if err != nil {
		return nil, "", err
	}
	return lh, b.ID, nil
}

func runBackupList(ctx context.Context, g *globals, asJSON bool) error {
	s, err := loadProject(ctx, g)
	if err != nil {
		return err
	}
	// The snapshots are files with manifests, read without the target's
	// lock: while another process writes the target, who may list them
	// is read from the newest intact one.
	reader, from, err := governanceReader(ctx, s, true)
	if err != nil {
		if list, lerr := lakehouse.ListBackups(s.project.BackupDir(s.target), s.target); lerr == nil && len(list) == 0 {
			if asJSON { // nothing to show, nor to guard
				return writeJSON(os.Stdout, list)
			}
			printBackups(os.Stdout, s, list)
			return nil
		}
		return err
	}
	s.reader = reader
	defer func() { reader.Close() }()
	if err := s.authenticate(ctx); err != nil {
		return err
	}
	// The manifests name every table and its rows: the listing takes
	// CAN_VIEW on the target, as its job history does.
	if from == "" {
		if err := reader.CheckPermission(ctx, s.principal(), lakehouse.CanView, "backup list"); err != nil {
			return err
		}
	} else if level, deployed, err := reader.PermissionLevel(ctx, s.principal()); err != nil || deployed && level == "" {
		return fmt.Errorf("%s may not list the backups of target %s: that needs CAN_VIEW on the target (read from snapshot %s, since the target cannot be opened now)", s.principal(), s.target, from)
	} else {
		fmt.Fprintf(os.Stderr, "note: target %s cannot be opened now (damaged, or written by another process): who may list its backups is read from its newest intact snapshot, %s\n", s.target, from)
	}
	list, err := lakehouse.ListBackups(s.project.BackupDir(s.target), s.target)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(os.Stdout, list)
	}
	printBackups(os.Stdout, s, list)
	return nil
}

func printBackups(w io.Writer, s *session, list []lakehouse.BackupInfo) {
	dir := relPath(s.project.Dir, filepath.Join(s.project.BackupDir(s.target), s.target))
	if len(list) == 0 {
		fmt.Fprintf(w, "target %s has no backup in %s: take one with `lakebench backup -t %s`\n", s.target, dir, s.target)
		return
	}
	fmt.Fprintf(w, "%s of target %s in %s, newest first\n", pipeline.Plural(len(list), "snapshot"), s.target, dir)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTAKEN\tBY\tSIZE\tTABLES\tROWS\tTOOK\tLAST RESTORE")
	for _, b := range list {
		last := "-"
		if n := len(b.Restores); n > 0 {
			r := b.Restores[n-1]
			last = fmt.Sprintf("%s in %s", r.RestoredAt.Local().Format("01-02 15:04"), pipeline.FormatAge(r.Duration))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", b.ID, b.CreatedAt.Local().Format("2006-01-02 15:04:05"), b.Principal,
			lakehouse.FormatBytes(b.Bytes), len(b.Tables), lakehouse.GroupDigits(fmt.Sprint(b.Rows())), pipeline.FormatAge(b.Duration), last)
	}
	tw.Flush()
}

func newRestoreCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "restore SNAPSHOT|latest",
		Short: "Put a snapshot back as the target's file, and measure how long it took (the RTO)",
		Long: `Put a snapshot (an ID from ` + "`backup list`" + `, latest, or a snapshot's path) back
as the target's file: under the writer lock, the snapshot's sha256 checked, the
copy opened and every table counted as its manifest recorded before it replaces
the file, which is kept aside as <file>.damaged-<time> (or
.before-restore-<time> when it still opened). The time it took is the measured
RTO, recorded in sys.restores and shown by ` + "`lakebench sla`" + `.

Needs CAN_MANAGE on the target. A target that cannot be opened cannot say who
holds it: then the newest intact snapshot's identities and permissions decide.
A snapshot of another target, or one changed since it was taken, is refused.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRestore(cmd.Context(), g, args[0])
		},
	}
}

func runRestore(ctx context.Context, g *globals, snapshot string) error {
	s, err := loadProject(ctx, g)
	if err != nil {
		return err
	}
	reader, from, err := governanceReader(ctx, s, false)
	if err != nil {
		return err
	}
	s.reader = reader
	err = s.authenticate(ctx)
	// The restore takes the writer lock: this process's reader would
	// keep it out.
	if s.reader != nil {
		s.reader.Close()
		s.reader = nil
	}
	if err != nil {
		return err
	}
	if from != "" {
		fmt.Fprintf(os.Stderr, "target %s cannot be opened: who may restore it is read from its newest intact snapshot, %s\n", s.target, from)
	}
	opts, err := s.project.ComputeOptions()
	if err != nil {
		return err
	}
	info, err := lakehouse.Restore(ctx, s.project.DatabasePath(s.target), lakehouse.RestoreOptions{
		Dir: s.project.BackupDir(s.target), Snapshot: snapshot, Principal: s.principal(),
		Holder: "lakebench restore " + snapshot + " -t " + s.target, Options: opts})
	if err != nil {
		return err
	}
	b := info.Backup
	fmt.Printf("restored target %s from snapshot %s (taken %s by %s: %d tables, %s rows, each counted as recorded) in %s\n",
		s.target, b.ID, b.CreatedAt.Local().Format("2006-01-02 15:04:05"), b.Principal, len(b.Tables), lakehouse.GroupDigits(fmt.Sprint(b.Rows())), pipeline.FormatAge(info.Duration))
	rto := "no rto objective in the bundle"
	if obj := s.project.SLAFor(s.target).RTO; obj != "" {
		d, _ := pipeline.ParseObjective(obj)
		verdict := "met"
		if info.Duration > d {
			verdict = "MISSED"
		}
		rto = fmt.Sprintf("objective %s: %s", obj, verdict)
	}
	fmt.Printf("measured RTO %s (%s)\n", pipeline.FormatAge(info.Duration), rto)
	if info.SetAside != "" {
		what := "the file it replaced"
		if info.Damaged {
			what = "the damaged file"
		}
		fmt.Printf("%s is kept as %s; delete it once you no longer need it\n", what, relPath(s.project.Dir, info.SetAside))
	}
	return nil
}

func newSLACmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sla",
		Short: "The target's SLA: availability, freshness, RPO and RTO against its objectives",
		Long: `The target's SLA (targets.<t>.sla, over a top-level sla): availability as the
share of runs of every job that succeeded in the window (sys.runs), each
table's freshness (its last successful write), RPO as the age of the newest
backup and RTO as the last measured restore, each against its objective.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := openProject(ctx, g)
			if err != nil {
				return err
			}
			lh, err := s.openReadAs(ctx)
			if err != nil {
				return err
			}
			defer lh.Close()
			rep, err := s.project.SLAReport(ctx, lh)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(os.Stdout, rep)
			}
			printSLA(os.Stdout, s, rep)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON on stdout")
	return cmd
}

func printSLA(w io.Writer, s *session, rep *pipeline.SLAReport) {
	if len(rep.Objectives) == 0 {
		fmt.Fprintf(w, "target %s has no SLA: set targets.%s.sla (or a top-level sla) in %s, such as\n  sla: {availability: 0.99, window: 7d, rpo: 24h, rto: 15m, freshness: {gold.daily_sales: 26h}}\n",
			s.target, s.target, filepath.Base(s.project.File))
		return
	}
	fmt.Fprintf(w, "SLA of target %s (from %s in %s), measured %s\n", rep.Target, strings.Join(rep.Sources(), ", "), filepath.Base(s.project.File),
		rep.MeasuredAt.Local().Format(time.DateTime))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OBJECTIVE\tTARGET\tOBSERVED\tSTATUS\tDETAIL")
	missed := 0
	for _, o := range rep.Objectives {
		status := "met"
		switch {
		case !o.Known:
			status = "unknown"
		case !o.Met:
			status, missed = "MISSED", missed+1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Name, o.Target, o.Observed, status, o.Detail)
	}
	tw.Flush()
	if missed > 0 {
		fmt.Fprintf(w, "%s missed\n", pipeline.Plural(missed, "objective"))
	}
}

// relPath is path relative to the project when inside it.
func relPath(dir, path string) string {
	if r, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}
