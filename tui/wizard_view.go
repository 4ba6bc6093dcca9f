package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// View implements tea.Model.
func (w *wizard) View() string {
	st := w.c.styles
	width := w.c.contentWidth()
	var top, bottom []string

	switch w.state {
	case stateQuit:
		return ""
	case stateChoose:
		top = append(top, st.Title.Render("invitesync set-up"))
	default:
		top = append(top, w.header(), st.Title.Render(w.title()))
	}

	var body string
	fitted, wide := false, false
	switch w.state {
	case stateChoose, stateStep:
		if w.state == stateStep {
			body, wide = w.stepBody(width)
			fitted = true
		}
		for _, view := range []func(int) (string, bool){w.bannerView, w.noticeView} {
			if v, more := view(width); v != "" {
				bottom = append(bottom, v)
				wide = wide || more
			}
		}
		bottom = append(bottom, w.form.View())
	case stateLoading:
		body = w.spinner.View() + " Asking Salto IDM for its environments…"
	case stateCreating:
		body = w.createView()
	case stateTesting:
		body = "Testing the whole chain before saving:\n\n" + w.checks.view(st, w.spinner.View())
		if notice, more := w.noticeView(width); notice != "" {
			body += "\n\n" + notice
			wide = more
		}
	case stateSaving:
		body = w.checks.view(st, w.spinner.View()) + "\n\n" + w.spinner.View() + " Storing the secrets and saving the configuration…"
		if notice, more := w.noticeView(width); notice != "" {
			body += "\n" + notice
			wide = more
		}
	case stateDone:
		body, wide = w.fitRows(w.checks.view(st, "")+"\n\n"+savedText(st, w.result), width)
		fitted = true
	}
	// The body gets what the rest leaves (the footer at its tallest, with
	// the scroll keys); a taller one scrolls.
	keys := w.c.keys
	keys.ScrollUp.SetEnabled(true)
	keys.ScrollDown.SetEnabled(true)
	keys.ScrollLeft.SetEnabled(wide)
	keys.ScrollRight.SetEnabled(wide)
	footer := lipgloss.Height(helpView(w.c.help, keys, width))
	used := lipgloss.Height(strings.Join(top, "\n")) + lipgloss.Height(strings.Join(bottom, "\n")) + 2 + footer
	avail := max(w.c.height-st.App.GetVerticalFrameSize()-used, 1)
	if !fitted {
		body = st.Text.Width(width).Render(body)
	}
	body, up, down := clip(st, body, avail, w.scroll)
	keys.ScrollUp.SetEnabled(up)
	keys.ScrollDown.SetEnabled(down)
	bottom = append(bottom, st.Footer.Render(helpView(w.c.help, keys, width)))

	parts := append(top, "", body, "")
	parts = append(parts, bottom...)
	return st.App.Render(strings.Join(parts, "\n"))
}

// header is the progress line: the step and a dot per step.
func (w *wizard) header() string {
	st := w.c.styles
	var dots strings.Builder
	for i := 1; i <= stepCount; i++ {
		switch {
		case i < w.step || w.state == stateDone:
			dots.WriteString(st.Status.OK.Render(symbolDone))
		case i == w.step:
			dots.WriteString(st.Title.Render(symbolDone))
		default:
			dots.WriteString(st.Muted.Render(symbolTodo))
		}
	}
	what := fmt.Sprintf("Step %d of %d", w.step, stepCount)
	switch w.state {
	case stateTesting, stateSaving:
		what = "Testing and saving"
	case stateDone:
		what = "Saved"
	}
	editing := ""
	if w.f.d.Editing != "" {
		editing = fmt.Sprintf(" · editing %q", sanitize(w.f.d.Editing))
	}
	return st.Header.Render("invitesync set-up · "+what+editing+"  ") + dots.String()
}

func (w *wizard) title() string {
	switch w.state {
	case stateTesting, stateSaving:
		return "Live test"
	case stateDone:
		return symbolOK + " Saved"
	case stateCreating:
		return "Create it for me: steps 1–4 through Microsoft Graph"
	}
	t := stepTitles[w.step]
	if w.step == 6 && w.part == 0 {
		t += ": the Salto IDM connection"
	}
	return t
}

// stepBody is the current step's instruction and pages and, on step 5, the
// commands, which come first so that a small screen shows them. Every row
// fits width: prose wraps at spaces, commands as wrapCommand does, and a
// row still wider (an address longer than the screen) shows the part at
// the horizontal scroll, marked where it goes on. wide says some row did.
func (w *wizard) stepBody(width int) (body string, wide bool) {
	st := w.c.styles
	var rows []string
	fit := func(row string, width int) string {
		if ansi.StringWidth(row) > width {
			wide = true
		}
		return window(row, width, w.hscroll)
	}
	if w.step == 5 {
		for _, line := range strings.Split(reflow(strings.TrimRight(w.script(), "\n"), true), "\n") {
			for _, r := range wrapCommand(line, width-2) {
				rows = append(rows, st.Code.Render(fit(r, width-2)))
			}
		}
		rows = append(rows, "")
	}
	for _, r := range strings.Split(wrapWords(reflow(stepText(w.step, w.f.d), false), width), "\n") {
		rows = append(rows, st.Text.Render(fit(r, width)))
	}
	if links := stepLinks(w.step, w.f.d); len(links) > 0 {
		rows = append(rows, "")
		on := w.opts.Hyperlinks
		for _, l := range links {
			label := hyperlink(on, l.url, st.Muted.Render(l.label+":"))
			// The address goes on a row of its own when it does not fit
			// after its label.
			if ansi.StringWidth(l.label+": "+l.url) <= width {
				rows = append(rows, label+" "+hyperlink(on, l.url, st.URL.Render(l.url)))
				continue
			}
			rows = append(rows, label, hyperlink(on, l.url, st.URL.Render(fit(l.url, width))))
		}
	}
	return strings.Join(rows, "\n"), wide
}

// fitRows wraps s at spaces to width and shows each row still wider at
// the horizontal scroll (see wrapWindow); wide says some row was.
func (w *wizard) fitRows(s string, width int) (string, bool) {
	return wrapWindow(s, width, w.hscroll)
}

// clip shows at most h lines of s from line offset on, saying how many
// more there are, and reports whether it can scroll up and down.
func clip(st styleSet, s string, h, offset int) (out string, up, down bool) {
	lines := strings.Split(s, "\n")
	if len(lines) <= h {
		return s, false, false
	}
	top := max(min(offset, len(lines)-(h-1)), 0)
	end := min(top+h-1, len(lines))
	var more string
	switch above, below := top, len(lines)-end; {
	case below > 0 && above > 0:
		more = fmt.Sprintf("… %d more lines below, %d above: pgdn/pgup to scroll", below, above)
	case below > 0:
		more = fmt.Sprintf("… %d more lines below: pgdn to scroll", below)
	default:
		more = fmt.Sprintf("… %d lines above: pgup to scroll back", above)
	}
	if end == top { // room for the hint only
		return st.Muted.Render(more), top > 0, end < len(lines)
	}
	return strings.Join(lines[top:end], "\n") + "\n" + st.Muted.Render(more), top > 0, end < len(lines)
}

// fitForm gives each page of the step's form at most the lines the screen
// leaves it under the step's title, the banner and the notice, keeping one
// line of instructions and the footer: a taller page scrolls to its focused
// field instead of pushing the step's title off the screen. A page that
// fits keeps its own height.
func (w *wizard) fitForm() {
	if w.state != stateStep {
		return
	}
	st := w.c.styles
	width := w.c.contentWidth()
	keys := w.c.keys
	keys.ScrollUp.SetEnabled(true)
	keys.ScrollDown.SetEnabled(true)
	// The title lines, the blank lines, a body line, the footer, and the
	// blank line huh puts above its help without counting it.
	used := 2 + 2 + 1 + lipgloss.Height(helpView(w.c.help, keys, width)) + 1
	for _, view := range []func(int) (string, bool){w.bannerView, w.noticeView} {
		if v, _ := view(width); v != "" {
			used += lipgloss.Height(v)
		}
	}
	room := max(w.c.height-st.App.GetVerticalFrameSize()-used, 5)
	for _, g := range w.f.groups {
		need := lipgloss.Height(g.Content())
		for _, part := range []string{g.Header(), g.Footer()} {
			if part != "" {
				need += lipgloss.Height(part)
			}
		}
		g.WithHeight(min(need, room))
	}
}

// bannerView is the failed check above the step's form: in full, or —
// when its diagnosis stands beside the field that fixes it — one line
// saying so and how to test again. Empty without one; wide says a row is
// wider than the screen (see wrapWindow).
func (w *wizard) bannerView(width int) (view string, wide bool) {
	if w.banner == nil {
		return "", false
	}
	st := w.c.styles
	r := *w.banner
	if !w.fixing || r.OK {
		return diagnosisView(st, r, width, w.hscroll)
	}
	what := "The live test failed"
	for _, l := range w.checks.lines {
		if l.info.ID == r.ID && l.info.Title != "" {
			what = l.info.Title + ": failed"
		}
	}
	if r.ID == "save" {
		what = "Saving failed"
	}
	text := st.Status.Fail.Render(symbolFail+" "+what) + ". The field marked " + symbolFail +
		" says why; fix it, then " + st.Strong.Render(w.c.keys.Retry.Help().Key) + " tests and saves again, every other answer kept."
	return w.fitRows(text, width)
}

// noticeView is the one-line message, wrapped at spaces only: it often
// ends in a path, which stays whole (see wrapWindow). Empty without one.
func (w *wizard) noticeView(width int) (view string, wide bool) {
	if w.notice == "" {
		return "", false
	}
	rows, wide := w.fitRows(w.notice, width)
	return w.c.styles.Muted.Render(rows), wide
}
