package pipeline

// The contract of issue 11 (observability and data quality). Each block
// names its owner; the owner moves it into real files and deletes it here.
// Owners may ADD fields to these types freely; renaming or removing one is
// a change to this file first.

import "errors"

var errObserveNotYet = errors.New("pipeline: not built yet (issue 11)")
