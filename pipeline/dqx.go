package pipeline

// DQXCheck is a quality rule in the long form databrickslabs DQX reads
// from a checks file (DQEngine.load_checks, apply_checks_by_metadata).
type DQXCheck struct {
	Name         string         `yaml:"name" json:"name"`
	Criticality  string         `yaml:"criticality" json:"criticality"`
	Filter       string         `yaml:"filter,omitempty" json:"filter,omitempty"`
	Check        QualityCheck   `yaml:"check" json:"check"`
	UserMetadata map[string]any `yaml:"user_metadata,omitempty" json:"user_metadata,omitempty"`
}

// DQXChecks returns a table's rules in DQX's long form: lakebench's short
// form's arguments under DQX's names (values → allowed, min → min_limit,
// one bound of is_in_range → is_not_less_than or is_not_greater_than),
// each rule with its name and criticality spelt out.
func (p *Project) DQXChecks(table string) ([]DQXCheck, error) {
	rules, err := p.Rules(table)
	if err != nil {
		return nil, err
	}
	out := make([]DQXCheck, 0, len(rules))
	for i, r := range p.Resources.Quality[table] {
		lr := rules[i]
		spec := qualityChecks[r.Check.Function]
		a, err := r.arguments(spec)
		if err != nil {
			return nil, err
		}
		args := map[string]any{}
		for k, v := range a.vals {
			args[k] = v
		}
		if lr.Function != r.Check.Function {
			// One bound of the short form's range: a one-sided check,
			// its limit the bound given.
			delete(args, "min_limit")
			delete(args, "max_limit")
			if r.Min != nil {
				args["limit"] = *r.Min
			} else if r.Max != nil {
				args["limit"] = *r.Max
			}
		}
		out = append(out, DQXCheck{Name: lr.Name, Criticality: lr.Criticality, Filter: r.Filter,
			Check: QualityCheck{Function: lr.Function, Arguments: args}, UserMetadata: r.UserMetadata})
	}
	return out, nil
}
