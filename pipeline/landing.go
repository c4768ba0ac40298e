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
		dirs = p.globDir(dirs, s.Path)
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

// globDir appends the directory of pattern up to its first component with
// a glob character, under the project directory.
func (p *Project) globDir(dirs []string, pattern string) []string {
	if pattern == "" {
		return dirs
	}
	path := pattern
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.Dir, path)
	}
	dir := filepath.Dir(filepath.Clean(path))
	for strings.ContainsAny(dir, `*?[\`) {
		dir = filepath.Dir(dir)
	}
	return append(dirs, dir)
}

// CodePaths returns what the next run reads as the project's own code:
// the project file and the directories of its model SQL (transforms) and
// included YAML. A file written there is run with the runner's rights (a
// model in sql/gold/ built from tables its writer may not read, into a
// table they may), so the Analyst view's export may not write there either.
func (p *Project) CodePaths() []string {
	var paths []string
	if p.File != "" {
		paths = append(paths, p.File)
	}
	for _, t := range p.Resources.Transforms {
		paths = p.globDir(paths, t)
	}
	for _, inc := range p.Include {
		paths = p.globDir(paths, inc)
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}
