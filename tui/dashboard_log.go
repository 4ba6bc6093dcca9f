package tui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"invitesync/internal/text"
)

// Log tailing bounds: what the pane reads when it opens, at most per read,
// and the lines it keeps.
const (
	logStartBytes = 256 << 10
	logReadBytes  = 1 << 20
	logKeepLines  = 5000
)

// logLine is one line of the log: slog's text format (time=… level=…
// msg=… key=value…), or a line that is not, kept as it is.
type logLine struct {
	at    time.Time
	level string // DEBUG, INFO, WARN, ERROR; empty when not known
	msg   string
	attrs string // the other key=value pairs, cleaned, as one string
	raw   string // the line itself, cleaned, when it could not be read
}

// levels in the order the pane's threshold cycles through.
var levels = []string{"DEBUG", "INFO", "WARN", "ERROR"}

// rank is a level's place in levels; lines of no known level rank as INFO.
func rank(level string) int {
	for i, l := range levels {
		if l == level {
			return i
		}
	}
	return 1
}

// logPane tails the log file: the newest lines at the bottom, following
// the file while the view is at its end; a minimum level and a filter.
type logPane struct {
	path      string
	offset    int64 // where the next read starts
	lines     []logLine
	shown     []int // indexes of lines that pass the level and the filter
	back      int   // lines scrolled up from the end; 0 follows the file
	height    int
	min       int // index into levels
	filter    textinput.Model
	filtering bool
	err       error
	reading   bool
}

func newLogPane(st styleSet, path string) logPane {
	f := textinput.New()
	f.Prompt = "/"
	f.Placeholder = "text in the log's lines"
	f.CharLimit = 100
	f.Cursor.SetMode(cursor.CursorStatic)
	f.PromptStyle = st.Title
	return logPane{path: path, filter: f, min: 1, height: 1}
}

// MSG

// logReadMsg carries the whole lines appended to the log.
type logReadMsg struct {
	path string
	// reset: the lines start the file afresh (a first read, or the file
	// was cut or replaced), and replace those held.
	reset bool
	next  int64 // where the next read starts
	lines []logLine
	err   error
}

// COMMANDS

// readLog reads the whole lines the log at path holds past offset; at
// offset 0, or when the file is now shorter than offset (cut or
// replaced), its last logStartBytes.
func readLog(path string, offset int64) tea.Cmd {
	return func() tea.Msg {
		msg := logReadMsg{path: path, next: offset}
		f, err := os.Open(path)
		if err != nil {
			msg.err = err
			return msg
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			msg.err = err
			return msg
		}
		start := offset
		if fi.Size() < offset || offset == 0 {
			start, msg.reset = max(fi.Size()-logStartBytes, 0), true
		}
		buf := make([]byte, min(fi.Size()-start, logReadBytes))
		n, err := f.ReadAt(buf, start)
		if err != nil && !errors.Is(err, io.EOF) {
			msg.err = err
			return msg
		}
		buf = buf[:n]
		if msg.reset && start > 0 { // began mid-line
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				return msg
			}
			buf, start = buf[i+1:], start+int64(i+1)
		}
		end := bytes.LastIndexByte(buf, '\n')
		if end < 0 { // no whole line yet
			msg.next = start
			return msg
		}
		for _, l := range bytes.Split(buf[:end], []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				msg.lines = append(msg.lines, parseLogLine(string(l)))
			}
		}
		msg.next = start + int64(end) + 1
		return msg
	}
}

// parseLogLine reads one line of slog's text format.
func parseLogLine(s string) logLine {
	var l logLine
	var attrs []string
	rest := s
	for rest != "" {
		rest = strings.TrimLeft(rest, " ")
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 || strings.ContainsAny(rest[:eq], " \"") {
			return logLine{raw: text.Clean(s, 0)}
		}
		k := rest[:eq]
		rest = rest[eq+1:]
		var v string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return logLine{raw: text.Clean(s, 0)}
			}
			v, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else {
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			v, rest = rest[:end], rest[end:]
		}
		switch k {
		case "time":
			l.at, _ = time.Parse(time.RFC3339Nano, v)
		case "level":
			l.level = strings.ToUpper(v)
		case "msg":
			l.msg = text.Clean(v, 0)
		default:
			v = text.Clean(v, 0)
			if v == "" || strings.ContainsAny(v, ` ="`) {
				v = strconv.Quote(v)
			}
			attrs = append(attrs, text.Clean(k, 0)+"="+v)
		}
	}
	if l.msg == "" && l.level == "" {
		return logLine{raw: text.Clean(s, 0)}
	}
	l.attrs = strings.Join(attrs, " ")
	return l
}

// UPDATE

// take adds the lines read, keeping the newest logKeepLines.
func (p *logPane) take(msg logReadMsg) {
	p.reading = false
	if msg.path != p.path {
		return
	}
	p.err = msg.err
	if msg.err != nil {
		return
	}
	if msg.reset {
		p.lines = nil
	}
	p.offset = msg.next
	p.lines = append(p.lines, msg.lines...)
	if over := len(p.lines) - logKeepLines; over > 0 {
		p.lines = append(p.lines[:0:0], p.lines[over:]...)
	}
	p.apply()
}

// apply recomputes the lines shown for the level and the filter.
func (p *logPane) apply() {
	q := strings.ToLower(p.filter.Value())
	p.shown = p.shown[:0]
	for i, l := range p.lines {
		if rank(l.level) < p.min {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(l.raw+"\n"+l.msg+"\n"+l.attrs), q) {
			continue
		}
		p.shown = append(p.shown, i)
	}
	p.scroll(0)
}

func (p *logPane) scroll(n int) {
	p.back = min(max(p.back-n, 0), max(len(p.shown)-p.height, 0))
}

// read asks for what the log holds past what was read, unless a read is
// under way.
func (p *logPane) read() tea.Cmd {
	if p.reading || p.path == "" {
		return nil
	}
	p.reading = true
	return readLog(p.path, p.offset)
}

// updateLogKey handles a key while the log fills the screen.
func (d Dashboard) updateLogKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := d.c.keys.Dashboard
	p := &d.log
	if p.filtering {
		changed, quit, cmd := typeFilter(&p.filter, &p.filtering, msg)
		if quit {
			return d, tea.Quit
		}
		if changed {
			p.apply()
		}
		d.layout()
		return d, cmd
	}
	switch {
	case key.Matches(msg, k.Quit):
		return d, tea.Quit
	case key.Matches(msg, k.Help):
		d.showHelp = !d.showHelp
	case key.Matches(msg, k.Log):
		d.pane = d.logFrom
	case key.Matches(msg, k.Back):
		if p.filter.Value() != "" {
			p.filter.SetValue("")
			p.apply()
		} else {
			d.pane = d.logFrom
		}
	case key.Matches(msg, k.Level):
		p.min = (p.min + 1) % len(levels)
		p.apply()
	case key.Matches(msg, k.Filter):
		p.filtering = true
		d.layout()
		return d, p.filter.Focus()
	default:
		if delta, ok := listMove(k, msg, p.height, len(p.shown)); ok {
			p.scroll(delta)
		}
	}
	d.layout()
	return d, nil
}

// LAYOUT

// layoutLog enables the log pane's keys and sizes it.
func (d *Dashboard) layoutLog() {
	k := &d.c.keys.Dashboard
	p := &d.log
	for _, b := range []*key.Binding{&k.PollNow, &k.Pause, &k.Retry, &k.Errors, &k.Order, &k.Next, &k.Previous,
		&k.Details, &k.StartLoops, &k.Watch, &k.Yes, &k.No} {
		b.SetEnabled(false)
	}
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Top, &k.Bottom, &k.Filter, &k.Log, &k.Level, &k.Help} {
		b.SetEnabled(!p.filtering)
	}
	k.Top.SetHelp("g/home", "oldest")
	k.Bottom.SetHelp("G/end", "newest, follow")
	k.Log.SetHelp("l", "close the log")
	k.Level.SetHelp("v", "level "+levels[(p.min+1)%len(levels)]+" and above")
	k.Back.SetEnabled(true)
	k.Back.SetHelp("esc", "back")
	if p.filtering || p.filter.Value() != "" {
		k.Back.SetHelp("esc", "clear filter")
	}
	k.Quit.SetHelp("q", "quit")
	if p.filtering {
		k.Quit.SetHelp("ctrl+c", "quit")
	}
	w := d.width()
	header := d.headerView(w)
	if d.overviewing {
		header = d.overviewHeader(w)
	}
	used := lipgloss.Height(header) + 1 + lipgloss.Height(d.footerView(w)) + 1 // the pane's title
	if p.filtering || p.filter.Value() != "" {
		used++
	}
	p.height = max(d.c.height-used, 1)
	p.filter.Width = max(w-4, 10)
	p.scroll(0)
}

// VIEW

// view renders the pane's title, its filter and the visible lines, times
// in loc.
func (p logPane) view(c *common, width int, loc *time.Location) string {
	st := c.styles
	follow := "following the file"
	if p.back > 0 {
		follow = fmt.Sprintf("%d newer lines below (G follows)", p.back)
	}
	head := st.Title.Render("Log ") + st.Text.Render(text.Clean(p.path, 0)) +
		st.Muted.Render(" · level "+levels[p.min]+" and above · "+follow)
	var b strings.Builder
	b.WriteString(truncateLines(head, width))
	if p.filtering {
		b.WriteString("\n" + p.filter.View())
	} else if p.filter.Value() != "" {
		b.WriteString("\n" + st.Muted.Render("filter: ") + st.Strong.Render(text.Clean(p.filter.Value(), 0)) + st.Muted.Render("  (esc clears, / edits)"))
	}
	switch {
	case p.path == "":
		return b.String() + "\n" + st.Muted.Render("No log file: start the dashboard with --log-file PATH to follow one.")
	case p.err != nil && len(p.lines) == 0:
		return b.String() + "\n" + st.Status.Fail.Render(symbolFail+" cannot read the log: "+text.Clean(p.err.Error(), 0))
	case len(p.shown) == 0 && len(p.lines) > 0:
		return b.String() + "\n" + st.Muted.Render("No line of the log passes the level and the filter.")
	case len(p.shown) == 0:
		return b.String() + "\n" + st.Muted.Render("The log is empty so far: lines appear here as they are written.")
	}
	end := len(p.shown) - p.back
	for _, i := range p.shown[max(end-p.height, 0):end] {
		b.WriteString("\n" + truncateLines(logLineView(st, p.lines[i], loc), width))
	}
	return b.String()
}

// logLineView is a line of the log: its time in loc, its level as a word
// in colour, its message and its attributes.
func logLineView(st styleSet, l logLine, loc *time.Location) string {
	if l.raw != "" {
		return st.Muted.Render(l.raw)
	}
	at := strings.Repeat(" ", 12)
	if !l.at.IsZero() {
		at = l.at.In(loc).Format("15:04:05 MST")
	}
	var style lipgloss.Style
	switch rank(l.level) {
	case 0:
		style = st.Muted
	case 2:
		style = st.Status.Warn
	case 3:
		style = st.Status.Fail
	default:
		style = st.Text
	}
	return st.Muted.Render(fit(at, 12)) + " " + style.Render(fit(l.level, 5)) + " " + st.Strong.Render(l.msg) + " " + st.Muted.Render(l.attrs)
}
