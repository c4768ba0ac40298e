package editor

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
)

// maxFileSize is the largest file the editor opens.
const maxFileSize = 16 << 20

// promptKind is what the status line asks for.
type promptKind int

const (
	promptNone promptKind = iota
	promptOpen
	promptSave
	promptConfirm
)

// openedMsg is a file read for the editor.
type openedMsg struct {
	id         int64
	path, text string
	hash       string
	err        error
}

// savedMsg is a buffer written to a file, or why it was not.
type savedMsg struct {
	id       int64
	buf      int
	path     string
	hash     string
	changeID int
	// ask is a question to confirm before writing anyway.
	ask string
	err error
}

func (m *Model) startPrompt(k promptKind, value string) {
	m.closePopup()
	m.prompt = k
	m.input = value
}

// ask shows a yes/no question; yes runs on "y".
func (m *Model) ask(question string, yes func(m *Model) tea.Cmd) {
	m.closePopup()
	m.prompt = promptConfirm
	m.status = question
	m.confirm = yes
}

func (m Model) promptLabel() string {
	switch m.prompt {
	case promptOpen:
		return "open file:"
	case promptSave:
		return "save as:"
	case promptConfirm:
		return m.status
	}
	return ""
}

func (m *Model) endPrompt() {
	m.prompt = promptNone
	m.input = ""
	m.confirm = nil
	m.status = ""
}

func (m *Model) promptKey(msg tea.KeyMsg) tea.Cmd {
	if m.prompt == promptConfirm {
		switch msg.String() {
		case "y", "Y":
			yes := m.confirm
			m.endPrompt()
			return yes(m)
		case "n", "N", "esc":
			m.endPrompt()
			m.setStatus("canceled", false)
		}
		return nil
	}
	switch msg.String() {
	case "esc":
		m.endPrompt()
		return nil
	case "enter":
		kind := m.prompt
		path := strings.TrimSpace(m.input)
		m.endPrompt()
		if path == "" {
			m.setStatus("no file name given", true)
			return nil
		}
		path = m.resolve(path)
		if kind == promptOpen {
			return openFile(m.id, path)
		}
		return m.save(m.buf(), path, false)
	}
	switch {
	case msg.Type == tea.KeyBackspace:
		_, n := utf8.DecodeLastRuneInString(m.input)
		m.input = m.input[:len(m.input)-n]
	case msg.Type == tea.KeyCtrlU:
		m.input = ""
	case msg.Type == tea.KeySpace:
		m.input += " "
	case msg.Type == tea.KeyRunes && !msg.Alt:
		if len(m.input) < 4096 {
			m.input += strings.Map(func(r rune) rune {
				if r < 0x20 || r == 0x7f {
					return -1
				}
				return r
			}, string(msg.Runes))
		}
	}
	return nil
}

// resolve makes a typed path absolute: ~ is the home directory, and a
// relative path starts at Options.Dir.
func (m *Model) resolve(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[1:])
		}
	}
	if !filepath.IsAbs(p) && m.dir != "" {
		p = filepath.Join(m.dir, p)
	}
	return filepath.Clean(p)
}

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// openFile reads a .sql file in a command.
func openFile(id int64, path string) tea.Cmd {
	return func() tea.Msg {
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			return openedMsg{id: id, path: path, err: fmt.Errorf("editor: cannot open %s: %w", path, err)}
		case fi.IsDir():
			return openedMsg{id: id, path: path, err: fmt.Errorf("editor: %s is a directory: give a file's path", path)}
		case fi.Size() > maxFileSize:
			return openedMsg{id: id, path: path, err: fmt.Errorf("editor: %s is %d MB, more than the editor opens (%d MB)",
				path, fi.Size()>>20, maxFileSize>>20)}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return openedMsg{id: id, path: path, err: fmt.Errorf("editor: cannot read %s: %w", path, err)}
		}
		if !utf8.Valid(data) {
			return openedMsg{id: id, path: path, err: fmt.Errorf("editor: %s is not UTF-8 text", path)}
		}
		return openedMsg{id: id, path: path, text: string(data), hash: hashOf(data)}
	}
}

func (m *Model) opened(msg openedMsg) {
	if msg.err != nil {
		m.setStatus(msg.err.Error(), true)
		return
	}
	for i, b := range m.bufs {
		if b.path == msg.path {
			m.switchTo(i)
			m.setStatus(baseName(msg.path)+" is open already", false)
			return
		}
	}
	b := m.buf()
	if b.path != "" || b.dirty() || b.text() != "" {
		b = m.addBuffer(msg.path, msg.text)
	} else {
		*b = *newBuffer(b.id, baseName(msg.path), msg.text)
		b.path = msg.path
	}
	b.disk = msg.hash
	b.markSaved()
	m.setStatus("opened "+msg.path+" ("+strconv.Itoa(len(b.lines))+" lines)", false)
}

// save writes b's text to path in a command. Unless force, it asks first
// when path holds a file b did not come from, or b's file changed on disk
// since it was opened or saved.
func (m *Model) save(b *buffer, path string, force bool) tea.Cmd {
	id, bufID := m.id, b.id
	text := b.text()
	expect := ""
	if path == b.path {
		expect = b.disk
	}
	changeID := 0
	if len(b.undo) > 0 {
		changeID = b.undo[len(b.undo)-1].id
	}
	m.setStatus("saving "+path+"…", false)
	return func() tea.Msg {
		msg := savedMsg{id: id, buf: bufID, path: path, changeID: changeID}
		old, err := os.ReadFile(path)
		switch {
		case err == nil && !force && expect == "":
			msg.ask = path + " exists: overwrite it? (y/n)"
			return msg
		case err == nil && !force && hashOf(old) != expect:
			msg.ask = path + " changed on disk since it was opened: overwrite it? (y/n)"
			return msg
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			msg.err = fmt.Errorf("editor: cannot save %s: %w", path, err)
			return msg
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			msg.err = fmt.Errorf("editor: cannot save %s: %w", path, err)
			return msg
		}
		msg.hash = hashOf([]byte(text))
		return msg
	}
}

func (m *Model) saved(msg savedMsg) tea.Cmd {
	var b *buffer
	for _, x := range m.bufs {
		if x.id == msg.buf {
			b = x
		}
	}
	if b == nil {
		return nil
	}
	switch {
	case msg.err != nil:
		m.setStatus(msg.err.Error(), true)
	case msg.ask != "":
		m.ask(msg.ask, func(m *Model) tea.Cmd { return m.save(b, msg.path, true) })
	default:
		b.path, b.name, b.disk = msg.path, baseName(msg.path), msg.hash
		top := 0
		if len(b.undo) > 0 {
			top = b.undo[len(b.undo)-1].id
		}
		if top == msg.changeID {
			b.savedID = msg.changeID
		}
		m.setStatus("saved "+msg.path, false)
	}
	return nil
}
