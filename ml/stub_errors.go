package ml

import "errors"

// errNotBuilt is what the remaining contract stubs return (it moved here from
// stub_trainers.go when the trainers were built; the last stub's owner
// deletes this file).
var errNotBuilt = errors.New("ml: not built yet")
