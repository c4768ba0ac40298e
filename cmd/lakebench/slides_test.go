package main

import (
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lakebench/lakebench/deck"
	"github.com/lakebench/lakebench/pipeline"
)

// deckSlides splits a Marp deck into its front matter and its slides.
func deckSlides(t *testing.T, md string) (front string, slides []string) {
	t.Helper()
	if !strings.HasPrefix(md, "---\n") {
		t.Fatalf("the deck does not open with front matter:\n%.200s", md)
	}
	front, rest, ok := strings.Cut(md[4:], "\n---\n")
	if !ok {
		t.Fatalf("the front matter is not closed:\n%.300s", md)
	}
	return front, strings.Split(rest, "\n---\n")
}

// images are the files a deck's slides show.
var imageRef = regexp.MustCompile(`!\[[^\]]*\]\(([^)]+)\)`)

// checkDeck checks a deck written by lakebench slides: Marp's front
// matter, at most 20 slides, every required section under its heading
// (the presentation's step titles), speaker notes, and each chart a PNG
// beside it that decodes at slide size. It returns the slides.
func checkDeck(t *testing.T, dir, out string) []string {
	t.Helper()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	front, slides := deckSlides(t, md)
	for _, want := range []string{"marp: true", "paginate: true", "size: 16:9", "theme: "} {
		if !strings.Contains(front, want) {
			t.Errorf("front matter lacks %q:\n%s", want, front)
		}
	}
	if len(slides) > deck.MaxSlides {
		t.Errorf("%d slides, the guide allows %d", len(slides), deck.MaxSlides)
	}
	p, err := pipeline.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	pr := p.PresentationOrDefault()
	titles := headings(t, dir)
	for _, sec := range deck.Sections[1:] {
		h := titles[sec.ID]
		if !regexp.MustCompile(`(?m)^## ` + regexp.QuoteMeta(h) + `\b`).MatchString(md) {
			t.Errorf("no slide for section %s (heading %q)", sec.ID, h)
		}
	}
	if !strings.Contains(slides[0], "# "+pr.Title) {
		t.Errorf("the first slide lacks the title %q:\n%s", pr.Title, slides[0])
	}
	team := pr.Team
	if team == "" && len(p.Framing.Team) > 0 {
		team = p.Framing.Team[0].Name
	}
	if team != "" && !strings.Contains(slides[0], team) {
		t.Errorf("the first slide lacks the team %q:\n%s", team, slides[0])
	}
	withNotes := 0
	for _, s := range slides {
		if strings.Contains(s, "<!--\n") {
			withNotes++
		}
	}
	if withNotes < len(slides)-1 {
		t.Errorf("only %d of %d slides have speaker notes", withNotes, len(slides))
	}
	for _, m := range imageRef.FindAllStringSubmatch(md, -1) {
		checkPNG(t, filepath.Join(filepath.Dir(out), m[1]))
	}
	return slides
}

// checkPNG checks that a chart exists, decodes as PNG and has a size
// that reads on a 1280x720 slide.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("chart: %v", err)
		return
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Errorf("chart %s does not decode as PNG: %v", path, err)
		return
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if w < 500 || h < 400 || w > 2560 || h > 1440 {
		t.Errorf("chart %s is %dx%d, want between 500x400 and 2560x1440", path, w, h)
	}
}

// headings are the sections' headings in dir's deck: the presentation's
// step titles, else the sections' own.
func headings(t *testing.T, dir string) map[string]string {
	t.Helper()
	p, err := pipeline.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, sec := range deck.Sections {
		out[sec.ID] = sec.Heading
	}
	seen := map[string]bool{}
	for _, s := range p.PresentationOrDefault().Steps {
		if _, ok := out[s.ID]; ok && !seen[s.ID] {
			out[s.ID], seen[s.ID] = s.Title, true
		}
	}
	return out
}

// slideOf is the first slide whose heading starts with heading.
func slideOf(t *testing.T, slides []string, heading string) string {
	t.Helper()
	for _, s := range slides {
		if strings.Contains(s, "## "+heading) {
			return s
		}
	}
	t.Fatalf("no slide %q", heading)
	return ""
}

// TestSlidesOnSample writes the deck of the sample after a real run (the
// nightly job, so the churn model has a champion that scored), checks it
// against the target's own numbers, and renders it with Marp.
func TestSlidesOnSample(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	lb(t, t.TempDir(), true, "init", dir)
	lb(t, dir, true, "sample", "generate")
	lb(t, dir, true, "bundle", "deploy")
	lb(t, dir, true, "bundle", "run", "nightly")

	stdout, stderr := lb(t, dir, true, "slides", "deck/slides.md")
	out := filepath.Join(dir, "deck", "slides.md")
	slides := checkDeck(t, dir, out)
	if !strings.Contains(stdout, "wrote deck/slides.md: "+strconv.Itoa(len(slides))+" slides") {
		t.Errorf("stdout does not say what it wrote: %s", stdout)
	}
	if !strings.Contains(stderr, "marp") {
		t.Errorf("without --html, stderr does not say how to render: %s", stderr)
	}
	for _, c := range []string{"layers", "revenue", "risk", "roc", "cost"} {
		if !strings.Contains(stdout, "slides-"+c+".png") {
			t.Errorf("chart %s not written: %s", c, stdout)
		}
		checkPNG(t, filepath.Join(dir, "deck", "slides-"+c+".png"))
	}

	// Slides read through the governed path as the caller: zed, with no
	// grant, gets no table's rows nor a dashboard's number; dana, an
	// analyst (gold and ml), no bronze or silver rows; neither is told
	// "0 alerts" of alerts they may not read.
	for _, who := range []string{"zed", "dana"} {
		lb(t, dir, true, "--as", who, "slides", who+"/slides.md")
		b, err := os.ReadFile(filepath.Join(dir, who, "slides.md"))
		if err != nil {
			t.Fatal(err)
		}
		deck := string(b)
		leaks := []string{"**bronze**: ", "**silver**: ", "0 alerts, 0 triggered"}
		if who == "zed" {
			leaks = append(leaks, "**gold**: ", "Revenue, last 7 days | $", "Largest day-over-day changes", "| roc_auc |")
		}
		for _, leak := range leaks {
			if strings.Contains(deck, leak) {
				t.Errorf("the deck of %s shows %q:\n%s", who, leak, deck)
			}
		}
		if !strings.Contains(deck, "could not be read as "+who) {
			t.Errorf("the deck of %s does not say what %s could not read", who, who)
		}
	}

	// The architecture's numbers are the target's: gold's rows as
	// lakebench status counts them.
	status, _ := lb(t, dir, true, "status")
	m := regexp.MustCompile(`(?m)^gold\s+(\d+) tables\s+(\d+) rows`).FindStringSubmatch(status)
	if m == nil {
		t.Fatalf("no gold line in status:\n%s", status)
	}
	n, _ := strconv.ParseInt(m[2], 10, 64)
	h := headings(t, dir)
	arch := slideOf(t, slides, h["architecture"])
	if want := "**gold**: " + m[1] + " tables, " + groupDigits(n) + " rows"; !strings.Contains(arch, want) {
		t.Errorf("architecture slide lacks %q:\n%s", want, arch)
	}
	// The champion's version and metrics, the dashboards' numbers, the
	// insights, cost and SLA, from the run.
	model := slideOf(t, slides, h["model"])
	for _, want := range []string{"**churn** version **1** is the champion", "| roc_auc | 0.", "slides-roc.png"} {
		if !strings.Contains(model, want) {
			t.Errorf("model slide lacks %q:\n%s", want, model)
		}
	}
	dash := slideOf(t, slides, h["dashboard"])
	for _, want := range []string{"Revenue, last 7 days | $", "Customers at risk |", "triggered"} {
		if !strings.Contains(dash, want) {
			t.Errorf("dashboard slide lacks %q:\n%s", want, dash)
		}
	}
	rev := slideOf(t, slides, h["insights"]+": revenue")
	if !strings.Contains(rev, "Largest day-over-day changes: ") || !strings.Contains(rev, "The dip: ") {
		t.Errorf("revenue insight lacks its changes or its dip:\n%s", rev)
	}
	if risk := slideOf(t, slides, h["insights"]+": who is about to churn"); !strings.Contains(risk, "Top churn-risk region: **") {
		t.Errorf("churn insight lacks its top segments:\n%s", risk)
	}
	pipe := slideOf(t, slides, h["pipeline"])
	if !strings.Contains(pipe, "rows quarantined**") || !strings.Contains(pipe, "(nightly) **succeeded**") {
		t.Errorf("pipeline slide lacks the run or the quarantine:\n%s", pipe)
	}
	cost := slideOf(t, slides, h["cost"])
	for _, want := range []string{" USD** for ", "| availability | ≥ 95% |"} {
		if !strings.Contains(cost, want) {
			t.Errorf("cost slide lacks %q:\n%s", want, cost)
		}
	}

	// --html with Marp's CLI, where it is installed.
	if _, err := findMarp(filepath.Join(dir, "deck")); err == nil {
		lb(t, dir, true, "slides", "deck/slides.md", "--html")
		if b, err := os.ReadFile(filepath.Join(dir, "deck", "slides.html")); err != nil || !strings.Contains(string(b), "<section") {
			t.Errorf("--html wrote no deck: %v", err)
		}
	} else {
		t.Logf("no Marp CLI here (%v): --html not tried", err)
	}

	// Marp itself renders the deck: the same slides, every chart found.
	r := marpRender(t, out)
	if r.Slides != len(slides) || r.Paginated != len(slides) {
		t.Errorf("Marp sees %d slides (%d paginated), lakebench wrote %d", r.Slides, r.Paginated, len(slides))
	}
	if !r.Size169 {
		t.Errorf("Marp did not lay the slides out at 16:9 (1280x720)")
	}
	for i, n := range r.Notes {
		if i > 0 && strings.TrimSpace(n) == "" {
			t.Errorf("Marp finds no speaker notes on slide %d", i+1)
		}
	}
	slices.Sort(r.Images)
	want := []string{"slides-cost.png", "slides-layers.png", "slides-revenue.png", "slides-risk.png", "slides-roc.png"}
	if !slices.Equal(r.Images, want) {
		t.Errorf("Marp shows images %v, want %v", r.Images, want)
	}
}

// groupDigits writes n with commas between thousands.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TestSlidesWithoutData writes the deck of a project with no model and no
// dashboards, before its first run and after: every section is there and
// says what to run or add, nothing fails.
func TestSlidesWithoutData(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, pipeline.FileName), `bundle: {name: tiny}
project:
  problem: How warm does it get?
  team: [{name: ines, role: architect}]
resources:
  sources:
    temps: {path: landing/temps/*.csv, format: csv}
  transforms: [sql/gold/*.sql]
presentation:
  team: Thermals
  next_steps: [Add a second city]
`)
	writeFile(t, filepath.Join(dir, "landing", "temps", "2026-01-01.csv"), "day,temp\n2026-01-01,3.5\n2026-01-02,4.0\n")
	writeFile(t, filepath.Join(dir, "sql", "gold", "daily.sql"), "select day, max(temp) as temp_max from bronze.temps group by day\n")

	lb(t, dir, true, "slides", "before.md")
	slides := checkDeck(t, dir, filepath.Join(dir, "before.md"))
	for _, h := range []string{"Architecture and governance", "The model and its champion", "Cost and SLA"} {
		if s := slideOf(t, slides, h); !strings.Contains(s, "has no data yet: run `lakebench sample generate`") {
			t.Errorf("before a run, %q does not say what to run:\n%s", h, s)
		}
	}
	if !strings.Contains(slides[0], "Team Thermals") {
		t.Errorf("first slide lacks the team's name:\n%s", slides[0])
	}

	lb(t, dir, true, "run")
	stdout, _ := lb(t, dir, true, "slides", "after.md")
	slides = checkDeck(t, dir, filepath.Join(dir, "after.md"))
	if s := slideOf(t, slides, "The model and its champion"); !strings.Contains(s, "No model in this project: add one under `resources.registered_models`") {
		t.Errorf("model slide:\n%s", s)
	}
	if s := slideOf(t, slides, "Dashboard and alerts"); !strings.Contains(s, "No dashboards in this project") {
		t.Errorf("dashboard slide:\n%s", s)
	}
	if s := slideOf(t, slides, "Insights: revenue"); !strings.Contains(s, "presentation.insights.revenue") {
		t.Errorf("revenue insight:\n%s", s)
	}
	if s := slideOf(t, slides, "Architecture and governance"); !strings.Contains(s, "**gold**: 1 table, 2 rows") {
		t.Errorf("architecture slide:\n%s", s)
	}
	if s := slideOf(t, slides, "Next steps"); !strings.Contains(s, "- Add a second city") {
		t.Errorf("next steps slide:\n%s", s)
	}
	for _, c := range []string{"layers", "cost"} {
		if !strings.Contains(stdout, "after-"+c+".png") {
			t.Errorf("chart %s not written: %s", c, stdout)
		}
	}
	if strings.Contains(stdout, "after-roc.png") || strings.Contains(stdout, "after-risk.png") {
		t.Errorf("charts drawn without their data: %s", stdout)
	}

	// A deck is named .md; --pdf without Marp says how to render.
	_, stderr := lb(t, dir, false, "slides", "deck.pptx")
	if !strings.Contains(stderr, "name the deck with .md") {
		t.Errorf("stderr: %s", stderr)
	}
	if _, err := findMarp(dir); err != nil {
		_, stderr = lb(t, dir, false, "slides", "after.md", "--pdf")
		if !strings.Contains(stderr, "the deck is written: render it with Marp") || !strings.Contains(stderr, "marp --allow-local-files after.md") {
			t.Errorf("--pdf without Marp: %s", stderr)
		}
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// marpResult is what scripts/marp-render.js prints.
type marpResult struct {
	Version   string   `json:"marp_core"`
	Slides    int      `json:"slides"`
	Paginated int      `json:"paginated"`
	Notes     []string `json:"notes"`
	Images    []string `json:"images"`
	Size169   bool     `json:"size_16_9"`
}

// marpRender renders a deck with Marp's own core under node (installed
// with npm into a cache folder the first time, LAKEBENCH_MARP_DIR or the
// user's cache) and returns what it saw; without node it skips.
func marpRender(t *testing.T, deckPath string) marpResult {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: skipping the Marp render of the deck (install Node.js to run it)")
	}
	dir := os.Getenv("LAKEBENCH_MARP_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Skipf("no cache folder for @marp-team/marp-core (set LAKEBENCH_MARP_DIR): %v", err)
		}
		dir = filepath.Join(cache, "lakebench", "marp")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@marp-team", "marp-core", "package.json")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Skip("npm is not on PATH: skipping the Marp render (npm installs @marp-team/marp-core)")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "@marp-team/marp-core@4").CombinedOutput(); err != nil {
			t.Skipf("npm could not install @marp-team/marp-core into %s (offline?): %v\n%s", dir, err, out)
		}
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "marp-render.js"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, script, deckPath, dir).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("marp-render.js: %v\n%s", err, stderr)
	}
	var r marpResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("marp-render.js printed no JSON: %v\n%s", err, out)
	}
	t.Logf("Marp core %s: %d slides", r.Version, r.Slides)
	return r
}
