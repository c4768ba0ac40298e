package dab

import (
	"fmt"
	"sort"
	"strings"
)

// report is EXPORT_REPORT.md: what was translated, what was not (file,
// line, column), and the settings with no Databricks equivalent.
func (b *bundle) report() string {
	sortIssues(b.res.Issues)
	var s strings.Builder
	fmt.Fprintf(&s, "# Export of %s to a Databricks Asset Bundle\n\n", b.p.Bundle.Name)
	s.WriteString("Written by `lakebench export databricks`. Deploy with `databricks bundle validate -t dev`, then\n")
	s.WriteString("`databricks bundle deploy -t dev` and `databricks bundle run -t dev run`; put each target's\n")
	s.WriteString("workspace URL in databricks.yml first, and the landing files in the `landing` volume.\n\n")
	fmt.Fprintf(&s, "## Not translated (%d)\n\n", len(b.res.Issues))
	if len(b.res.Issues) == 0 {
		s.WriteString("Every construct of the SQL has a translation.\n\n")
	} else {
		s.WriteString("Left as written: the export completes, but these statements need a hand before they run.\n\n")
		s.WriteString("| where | construct | why | what to do |\n| --- | --- | --- | --- |\n")
		for _, i := range b.res.Issues {
			fmt.Fprintf(&s, "| %s:%d:%d | %s | %s | %s |\n", i.File, i.Line, i.Column, cell(i.Construct), cell(i.Why), cell(i.Fix))
		}
		s.WriteString("\n")
	}
	s.WriteString("## Translations made\n\n| rule | DuckDB | Databricks SQL | times | note |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range Rules {
		fmt.Fprintf(&s, "| %s | %s | %s | %d | %s |\n", r.Name, cell(r.DuckDB), cell(r.Databricks), b.res.Applied[r.Name], cell(r.Note))
	}
	s.WriteString("\nNot detected by syntax (check by hand): `date - date` is a number of days in DuckDB and an\n")
	s.WriteString("interval in Databricks; integer overflow raises an error under ANSI mode; `TIMESTAMP` is\n")
	s.WriteString("zone-less in DuckDB (set the session time zone to UTC).\n\n")
	sort.SliceStable(b.res.Gaps, func(i, j int) bool { return b.res.Gaps[i].Setting < b.res.Gaps[j].Setting })
	fmt.Fprintf(&s, "## No Databricks equivalent (%d)\n\n| lakebench | what it is | instead |\n| --- | --- | --- |\n", len(b.res.Gaps))
	for _, g := range b.res.Gaps {
		fmt.Fprintf(&s, "| %s | %s | %s |\n", cell(g.Setting), cell(g.What), cell(g.Instead))
	}
	return s.String()
}

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
