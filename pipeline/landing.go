package pipeline

import (
	"path/filepath"
	"slices"
	"strings"
)

// LandingDirs returns the directories p's sources load their files from:
// each source path up to its first component with a glob character, under
// the project directory, sorted and without repeats. A file written into
// one of them is ingested into bronze by the next run, with the runner's
// rights, so the Analyst view's export may not write there (a principal
// with SELECT on gold only would otherwise add rows to bronze).
func (p *Project) LandingDirs() []string {
	var dirs []string
	for _, s := range p.Resources.Sources {
		if s.Path == "" {
			continue
		}
		path := s.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(p.Dir, path)
		}
		dir := filepath.Dir(filepath.Clean(path))
		for strings.ContainsAny(dir, `*?[\`) {
			dir = filepath.Dir(dir)
		}
		dirs = append(dirs, dir)
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}
