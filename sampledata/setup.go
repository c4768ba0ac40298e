package sampledata

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// firstRunMarker is the file, under a sample workspace, that says its first
// run has not finished yet.
const firstRunMarker = ".lakebench/first-run.pending"

// CreateWorkspace writes the sample project and its dev data into dir, all
// or nothing: into a sibling directory first, renamed to dir once complete,
// so a start interrupted while writing leaves no half-built workspace and
// the next start builds it again. The new workspace is marked as waiting
// for its first run until FirstRunDone. A dir that is already a workspace is
// left alone (another process may have just made it); a dir holding
// something else is moved aside, and progress says where.
func CreateWorkspace(ctx context.Context, dir string, progress func(string)) (Report, error) {
	if progress == nil {
		progress = func(string) {}
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return Report{}, fmt.Errorf("sampledata: %w", err)
	}
	removeStalePartials(dir)
	tmp := fmt.Sprintf("%s.partial-%d", dir, os.Getpid())
	os.RemoveAll(tmp)
	defer os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Join(tmp, filepath.Dir(firstRunMarker)), 0o755); err != nil {
		return Report{}, fmt.Errorf("sampledata: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, firstRunMarker), []byte("the first run of this sample workspace has not finished; lakebench runs it at the next start\n"), 0o644); err != nil {
		return Report{}, fmt.Errorf("sampledata: %w", err)
	}
	if err := WriteProject(tmp); err != nil {
		return Report{}, err
	}
	progress("generating the dev sample data (customers, orders, events, tickets)")
	rep, err := Generate(ctx, tmp, Options{Scale: ScaleDev})
	if err != nil {
		return Report{}, err
	}
	for i, f := range rep.Files {
		if rel, err := filepath.Rel(tmp, f); err == nil && !strings.HasPrefix(rel, "..") {
			rep.Files[i] = filepath.Join(dir, rel)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, ProjectFile)); serr == nil {
			return rep, nil // another start finished first
		}
		// Something else is there (a workspace an older lakebench left
		// half-built): keep it, aside, and put the new one in place.
		aside := fmt.Sprintf("%s.incomplete-%s", dir, time.Now().UTC().Format("20060102T150405"))
		if aerr := os.Rename(dir, aside); aerr != nil {
			return Report{}, fmt.Errorf("sampledata: %s holds files but no %s, and cannot be moved aside (%v); remove it and start again", dir, ProjectFile, aerr)
		}
		progress(fmt.Sprintf("moved the incomplete %s aside to %s", dir, aside))
		if err := os.Rename(tmp, dir); err != nil {
			return Report{}, fmt.Errorf("sampledata: %w", err)
		}
	}
	return rep, nil
}

// removeStalePartials removes the sibling directories of interrupted
// CreateWorkspace calls whose process is gone.
func removeStalePartials(dir string) {
	matches, _ := filepath.Glob(dir + ".partial-*")
	for _, m := range matches {
		pid, err := strconv.Atoi(strings.TrimPrefix(m, dir+".partial-"))
		if err != nil {
			continue
		}
		if pid != os.Getpid() && syscall.Kill(pid, 0) != nil && !errors.Is(syscall.Kill(pid, 0), syscall.EPERM) {
			os.RemoveAll(m)
		}
	}
}

// FirstRunPending reports whether the sample workspace in dir waits for its
// first run to finish (CreateWorkspace made it; FirstRunDone not called yet).
func FirstRunPending(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, firstRunMarker))
	return err == nil
}

// FirstRunDone records that the workspace's first run finished.
func FirstRunDone(dir string) error {
	if err := os.Remove(filepath.Join(dir, firstRunMarker)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sampledata: %w", err)
	}
	return nil
}
