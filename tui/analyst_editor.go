package tui

// editorInsert types text at the editor's cursor.
func (v *analyst) editorInsert(text string) {}

// editorOpen opens sql in the editor, in a buffer of its own.
func (v *analyst) editorOpen(sql string) {}

// editorStatements are the statements of the editor's buffer.
func (v *analyst) editorStatements() []statement { return nil }
