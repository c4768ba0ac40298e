package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/lakebench/lakebench/lakehouse"
	"github.com/muesli/termenv"
)

// The tests share one real lakehouse: the built-in sample, generated at dev
// scale and run by the real pipeline in a temp directory.
var (
	testWS   *Workspace
	testInfo Info
	testDir  string
	// testSnap is the sample's first load, frozen: golden tests read it,
	// so tests that run jobs (on copies) cannot change them.
	testSnap *Snapshot
)

// t0 is the fixed clock of every golden test.
var t0 = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(func() int {
		// The tests' temporary files, the Analyst's spill directories of
		// results among them, go to a TMPDIR of this run, so what a test
		// leaves behind is found below.
		tmp, err := os.MkdirTemp("", "lakebench-tui-tmp-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmp)
		os.Setenv("TMPDIR", tmp)
		dir, err := os.MkdirTemp("", "lakebench-tui-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		testDir = filepath.Join(dir, "sample")
		testWS = NewWorkspace(WorkspaceOptions{Dir: testDir, Sample: true, Principal: "ben"})
		testInfo, err = testWS.Prepare(context.Background(), func(string) {})
		if err != nil {
			fmt.Fprintln(os.Stderr, "prepare the sample:", err)
			return 1
		}
		s, err := testWS.Load(context.Background(), testInfo.Target)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load the sample:", err)
			return 1
		}
		if s.Sizes, err = testWS.Sizes(context.Background(), testInfo.Target); err != nil {
			fmt.Fprintln(os.Stderr, "measure the sample's sizes:", err)
			return 1
		}
		freeze(s)
		testSnap = s
		code := m.Run()
		testWS.Close()
		if left := resultsLeft(tmp); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: the tests left %d spill directories of results in TMPDIR (%s): a Workspace was not closed (open one with newWorkspace)\n",
				len(left), strings.Join(left, ", "))
			return 1
		}
		return code
	}())
}

// resultsLeft lists the spill directories of stores of results
// (lakebench-results-*) in tmp.
func resultsLeft(tmp string) []string {
	var left []string
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "lakebench-results-") {
			left = append(left, e.Name())
		}
	}
	return left
}

// newWorkspace is NewWorkspace closed when the test ends, so its store of
// results removes its spill directory (TestMain fails if one is left).
func newWorkspace(t testing.TB, opts WorkspaceOptions) *Workspace {
	ws := NewWorkspace(opts)
	t.Cleanup(func() { ws.Close() })
	return ws
}

// teamInfo is the sample's Info with a team, so tabs carry owners.
// frozenContent stands for the sample's bundle content hash in goldens.
const frozenContent = "c0ffee00c0ffee00"

func teamInfo() Info {
	in := testInfo
	in.Content = frozenContent
	in.Team = map[string][]string{"architect": {"Ana"}, "engineer": {"Ben"}, "ml": {"Chloé"}, "analyst": {"Dev"}}
	return in
}

// copyWorkspace copies the sample to a new temp dir, for tests that run
// jobs, and returns a prepared Workspace on it.
func copyWorkspace(t testing.TB) *Workspace {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sample")
	if err := os.CopyFS(dir, os.DirFS(testDir)); err != nil {
		t.Fatal(err)
	}
	ws := newWorkspace(t, WorkspaceOptions{Dir: dir, Principal: "ben"})
	if _, err := ws.Prepare(context.Background(), func(string) {}); err != nil {
		t.Fatal(err)
	}
	return ws
}

var metric = regexp.MustCompile(`(ROC AUC|AUC|roc_auc|accuracy|loss) [0-9.]+`)

// freeze replaces everything in a snapshot that changes from run to run
// (times, run IDs, sizes, the order parallel tasks ran in) with fixed values.
func freeze(s *Snapshot) {
	order := map[string]int{}
	for i, t := range s.DAG.Tasks {
		order[t.Key] = i
	}
	sort.SliceStable(s.LastTasks, func(i, j int) bool { return order[s.LastTasks[i].TaskKey] < order[s.LastTasks[j].TaskKey] })
	if len(s.Runs) > 0 {
		s.JobTasks = map[string][]lakehouse.TaskRun{s.Runs[0].Job: s.LastTasks}
	}
	base := t0.Add(-2 * time.Hour)
	ids := map[string]string{}
	for i := range s.Runs {
		r := &s.Runs[i]
		n := len(s.Runs) - i
		ids[r.RunID] = fmt.Sprintf("run-%d", n)
		r.RunID = ids[r.RunID]
		r.Principal = "ben"
		r.StartedAt = base.Add(time.Duration(n) * time.Minute)
		if r.Status != "running" {
			r.EndedAt = r.StartedAt.Add(2400 * time.Millisecond)
		}
	}
	start := base.Add(time.Duration(len(s.Runs)) * time.Minute)
	for i := range s.LastTasks {
		tr := &s.LastTasks[i]
		// The sample's churn metric differs between fresh samples
		// (0.780 and 0.798 seen): hide it.
		tr.Detail = metric.ReplaceAllString(tr.Detail, "$1 0.800")
		tr.RunID = ids[tr.RunID]
		tr.StartedAt = start.Add(time.Duration(i) * 150 * time.Millisecond)
		tr.EndedAt = tr.StartedAt.Add(150 * time.Millisecond)
	}
	for i := range s.Quality {
		s.Quality[i].RunID = ids[s.Quality[i].RunID]
		s.Quality[i].CheckedAt = start
	}
	for i := range s.Ingested {
		s.Ingested[i].LastIngested = start
	}
	for i := range s.Freshness {
		s.Freshness[i].UpdatedAt = start.Add(2 * time.Second)
	}
	for i := range s.Tables {
		s.Tables[i].UpdatedAt = start
	}
	for k := range s.Sizes {
		s.Sizes[k] = 256 << 10
	}
	for i := range s.Targets {
		// The deployment: before the runs, by ana, with the bundle's
		// content as teamInfo has it (a hash of the sample's files).
		if d := &s.Targets[i].Deployed; d.BundleHash != "" {
			d.BundleHash, d.ContentHash, d.Principal, d.DeployedAt = "b0b0b0b0b0b0b0b0", frozenContent, "ana", base.Add(-time.Minute)
		}
		if s.Targets[i].LastRun.RunID != "" {
			s.Targets[i].LastRun.RunID = "run-1"
			s.Targets[i].LastRun.StartedAt = start
			s.Targets[i].LastRun.EndedAt = start.Add(2400 * time.Millisecond)
		}
	}
}

// newTestModel is a ready root model at w x h on the frozen sample.
func newTestModel(t testing.TB, w, h int) *Model {
	t.Helper()
	return newModelOn(t, testWS, w, h)
}

// newModelOn is a ready root model over ws, showing the frozen sample.
func newModelOn(t testing.TB, ws *Workspace, w, h int) *Model {
	t.Helper()
	m := New(ws, Options{Now: func() time.Time { return t0 }})
	m.Update(prepareDoneMsg{info: teamInfo()})
	m.Update(loadedMsg{target: testInfo.Target, snap: testSnap})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m
}
