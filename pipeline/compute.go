package pipeline

import (
	"fmt"

	"github.com/lakebench/lakebench/lakehouse"
)

// Compute is the machine a target's runs may use, as a job cluster's size
// in a Databricks bundle: DuckDB's memory_limit and worker threads. It is
// set at the top of lakebench.yml and per target (`compute: {memory: 3GB,
// threads: 2}`); a target's settings override the top level's one by one,
// and what neither sets comes from the machine (lakehouse.DefaultMemoryLimit:
// half its memory; lakehouse.DefaultThreads: a thread per core).
type Compute struct {
	// Memory is DuckDB's memory_limit, such as 3GB or 512MiB (KB, MB, GB
	// are powers of 1000, KiB, MiB, GiB of 1024, as in DuckDB). Tasks run
	// side by side only while their estimated needs fit in it together.
	Memory string `yaml:"memory,omitempty" json:"memory,omitempty"`
	// Threads is DuckDB's worker threads, shared by the tasks that run.
	Threads int `yaml:"threads,omitempty" json:"threads,omitempty"`
}

// ComputeOptions are the lakehouse options the target's compute sets
// (MemoryLimit, Threads; 0 where the machine's default applies), to open
// its lakehouse with. A bad setting is an error placed in the file.
func (p *Project) ComputeOptions() (lakehouse.Options, error) {
	var opts lakehouse.Options
	for _, s := range p.computeSettings() {
		if s.c.Memory != "" && opts.MemoryLimit == 0 {
			n, err := parseMemory(s.c.Memory)
			if err != nil {
				return lakehouse.Options{}, p.errorAt(s.path+".memory", err.Error(), memoryHint)
			}
			opts.MemoryLimit = n
		}
		if s.c.Threads != 0 && opts.Threads == 0 {
			if s.c.Threads < 0 || s.c.Threads > maxThreads {
				return lakehouse.Options{}, p.errorAt(s.path+".threads", fmt.Sprintf("threads %d is not a number of threads", s.c.Threads), threadsHint)
			}
			opts.Threads = s.c.Threads
		}
	}
	return opts, nil
}

// computeSetting is one compute block and where it is in the file.
type computeSetting struct {
	path string
	c    *Compute
}

// computeSettings are the target's compute block, then the top level's,
// the first that sets a value winning.
func (p *Project) computeSettings() []computeSetting {
	var out []computeSetting
	if t, ok := p.Targets[p.Target]; ok && t.Compute != nil {
		out = append(out, computeSetting{"targets." + p.Target + ".compute", t.Compute})
	}
	if p.Compute != nil {
		out = append(out, computeSetting{"compute", p.Compute})
	}
	return out
}

// maxThreads is the most threads a setting may ask for: DuckDB starts
// them all at once, and a typo of many more exhausts the machine before
// any query runs.
const maxThreads = 1024

const (
	memoryHint  = "write DuckDB's memory_limit as a size, such as memory: 3GB (or 512MB, 2GiB); leave it out for half of the machine's memory"
	threadsHint = "write a whole number of threads from 1 to 1024, such as threads: 2; leave it out for one per core"
)

// parseMemory reads a memory setting; none below 64 MB, where DuckDB
// cannot run the pipeline's queries.
func parseMemory(s string) (int64, error) {
	n, err := lakehouse.ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("memory %q is not a size", s)
	}
	if n < 64e6 {
		return 0, fmt.Errorf("memory %s is too little for DuckDB to run the pipeline's queries (64 MB at least)", s)
	}
	return n, nil
}

// validateCompute checks every compute block, of the top level and of
// each target: memory a size of at least 64 MB, threads at least 1; it
// warns of more than the machine has, which a run would not get.
func (p *Project) validateCompute(errf, warnf func(path, hint, format string, args ...any)) {
	blocks := []computeSetting{{"compute", p.Compute}}
	for _, n := range sortedKeys(p.Targets) {
		blocks = append(blocks, computeSetting{"targets." + n + ".compute", p.Targets[n].Compute})
	}
	machine, cores := lakehouse.MachineMemory(), lakehouse.DefaultThreads()
	for _, b := range blocks {
		if b.c == nil {
			continue
		}
		if b.c.Memory != "" {
			n, err := parseMemory(b.c.Memory)
			switch {
			case err != nil:
				errf(b.path+".memory", memoryHint, "%v", err)
			case machine > 0 && n > machine:
				warnf(b.path+".memory", "runs on this machine would swap or be killed before DuckDB spills to disk; give at most "+lakehouse.FormatBytes(machine*3/4),
					"memory %s is more than this machine's %s", b.c.Memory, lakehouse.FormatBytes(machine))
			}
		}
		switch {
		case b.c.Threads < 0 || b.c.Threads > maxThreads:
			errf(b.path+".threads", threadsHint, "threads %d is not a number of threads", b.c.Threads)
		case b.c.Threads > cores:
			warnf(b.path+".threads", fmt.Sprintf("more threads than cores only adds switching; this machine has %d", cores),
				"threads %d is more than this machine's %d cores", b.c.Threads, cores)
		}
	}
}
