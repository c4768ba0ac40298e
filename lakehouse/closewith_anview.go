package lakehouse

// TEMPORARY (an-view): CloseWith is in the contract (an-backend's stub
// commit) but not yet in an-live's live.go; an-view deletes this file when
// it merges the real one.

// CloseWith is Close; the reason is not kept yet.
func (l *Live) CloseWith(reason error) error { return l.Close() }
