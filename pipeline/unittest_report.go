package pipeline

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TestReportFile is where `lakebench test` keeps its last report, under the
// project's .lakebench/, for the TUI's Tests panel.
const TestReportFile = "test-report.json"

// TestReportPath is the project's last test report file.
func (p *Project) TestReportPath() string {
	return filepath.Join(p.Dir, ".lakebench", TestReportFile)
}

// SaveTestReport writes the report as the project's last (a temporary
// file renamed into place, so a reader never sees half of it).
func (p *Project) SaveTestReport(r *TestReport) error {
	path := p.TestReportPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return nil
}

// LoadTestReport reads the project's last test report; (nil, nil) when
// `lakebench test` has not run.
func LoadTestReport(dir string) (*TestReport, error) {
	data, err := os.ReadFile(filepath.Join(dir, ".lakebench", TestReportFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	var r TestReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("pipeline: %s is not a test report (%v): run `lakebench test` again", TestReportFile, err)
	}
	return &r, nil
}

// JUnit types: the XML CI systems read (Jenkins' and Ant's schema: a
// testsuites of testsuite of testcase, each with a failure, error or
// skipped child when it did not pass).
type (
	// JUnitSuites is a JUnit report's root.
	JUnitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []JUnitSuite `xml:"testsuite"`
	}
	// JUnitSuite is one kind of test (unit, data, quality).
	JUnitSuite struct {
		Name      string      `xml:"name,attr"`
		Tests     int         `xml:"tests,attr"`
		Failures  int         `xml:"failures,attr"`
		Errors    int         `xml:"errors,attr"`
		Skipped   int         `xml:"skipped,attr"`
		Time      string      `xml:"time,attr"`
		Timestamp string      `xml:"timestamp,attr,omitempty"`
		Cases     []JUnitCase `xml:"testcase"`
	}
	// JUnitCase is one test.
	JUnitCase struct {
		Name      string        `xml:"name,attr"`
		ClassName string        `xml:"classname,attr"`
		File      string        `xml:"file,attr,omitempty"`
		Line      int           `xml:"line,attr,omitempty"`
		Time      string        `xml:"time,attr"`
		Failure   *JUnitProblem `xml:"failure,omitempty"`
		Error     *JUnitProblem `xml:"error,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	// JUnitProblem is a failure or error: its message and details.
	JUnitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// JUnit is the report as JUnit XML.
func (r *TestReport) JUnit() ([]byte, error) {
	root := JUnitSuites{Name: "lakebench test", Time: junitSeconds(r.Seconds)}
	index := map[string]int{}
	for _, t := range r.Results {
		i, ok := index[t.Kind]
		if !ok {
			i = len(root.Suites)
			index[t.Kind] = i
			name := "lakebench." + t.Kind
			root.Suites = append(root.Suites, JUnitSuite{Name: name, Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05")})
		}
		s := &root.Suites[i]
		c := JUnitCase{Name: t.Name, ClassName: "lakebench." + t.Kind + "." + strings.ReplaceAll(orDefault(t.Subject, t.Kind), ".", "_"),
			File: t.File, Line: t.Line, Time: junitSeconds(t.Seconds)}
		detail := t.Message
		if t.Diff != nil {
			detail += "\n" + t.Diff.Text()
		}
		switch t.Status {
		case TestFail:
			c.Failure = &JUnitProblem{Message: t.Message, Type: "failure", Text: detail}
			s.Failures++
			root.Failures++
		case TestError:
			c.Error = &JUnitProblem{Message: t.Message, Type: "error", Text: detail}
			s.Errors++
			root.Errors++
		case TestWarn:
			c.SystemOut = "warning: " + detail
		}
		s.Tests++
		root.Tests++
		s.Cases = append(s.Cases, c)
	}
	for i := range root.Suites {
		var sum float64
		for _, t := range r.Results {
			if "lakebench."+t.Kind == root.Suites[i].Name {
				sum += t.Seconds
			}
		}
		root.Suites[i].Time = junitSeconds(sum)
	}
	out, err := xml.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("pipeline: junit: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

func junitSeconds(s float64) string { return fmt.Sprintf("%.3f", s) }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// maxDiffRows is how many rows of each side a diff's text shows.
const maxDiffRows = 20

// Text is the diff as aligned lines: the columns, then "- " for each row
// expected but not produced and "+ " for each produced but not expected.
// A paired row (RowDiff.Pairs) comes right after its expected one, with a
// line of ^ under the cells that differ; unpaired rows follow.
func (d *RowDiff) Text() string {
	if d == nil {
		return ""
	}
	widths := make([]int, len(d.Columns))
	for i, c := range d.Columns {
		widths[i] = len([]rune(c))
	}
	measure := func(rows [][]string) {
		for k, r := range rows {
			if k >= maxDiffRows {
				break
			}
			for i, v := range r {
				if i < len(widths) {
					widths[i] = min(max(widths[i], len([]rune(v))), 40)
				}
			}
		}
	}
	measure(d.Missing)
	measure(d.Unexpected)
	line := func(mark string, cells []string) string {
		var b strings.Builder
		b.WriteString(mark)
		for i, v := range cells {
			if i >= len(widths) {
				break
			}
			if r := []rune(v); len(r) > 40 {
				v = string(r[:39]) + "…"
			}
			b.WriteString(v)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-len([]rune(v))+2))
			}
		}
		return strings.TrimRight(b.String(), " ")
	}
	// carets marks cells under a line: ^ as wide as the cell shown.
	carets := func(cells []int, a, b []string) string {
		var sb strings.Builder
		sb.WriteString("  ")
		at := 0
		for _, c := range cells {
			if c >= len(widths) {
				break
			}
			start := 0
			for i := range c {
				start += widths[i] + 2
			}
			w := max(1, min(max(len([]rune(a[c])), len([]rune(b[c]))), 40))
			sb.WriteString(strings.Repeat(" ", start-at))
			sb.WriteString(strings.Repeat("^", w))
			at = start + w
		}
		return sb.String()
	}
	var out []string
	out = append(out, line("  ", d.Columns))
	pairedM, pairedU := map[int]bool{}, map[int]bool{}
	for k, p := range d.Pairs {
		if p.Missing >= len(d.Missing) || p.Unexpected >= len(d.Unexpected) {
			continue
		}
		pairedM[p.Missing], pairedU[p.Unexpected] = true, true
		if k >= maxDiffRows {
			continue // counted with the unpaired rows below
		}
		m, u := d.Missing[p.Missing], d.Unexpected[p.Unexpected]
		out = append(out, line("- ", m), line("+ ", u), carets(p.Cells, m, u))
	}
	section := func(mark, what string, rows [][]string, paired map[int]bool) {
		shown, hidden := 0, 0
		for k, r := range rows {
			if paired[k] {
				continue
			}
			if shown == maxDiffRows {
				hidden++
				continue
			}
			out = append(out, line(mark, r))
			shown++
		}
		if more := hidden + max(0, len(paired)-maxDiffRows); more > 0 {
			out = append(out, fmt.Sprintf("%s… %d more %s", mark, more, what))
		}
	}
	section("- ", "expected rows not produced", d.Missing, pairedM)
	section("+ ", "rows not expected", d.Unexpected, pairedU)
	return strings.Join(out, "\n")
}
