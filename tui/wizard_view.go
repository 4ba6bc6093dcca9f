package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// View implements tea.Model.
func (w *Wizard) View() string {
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
	switch w.state {
	case stateChoose, stateStep:
		if w.state == stateStep {
			body = w.stepBody(width)
		}
		if w.banner != nil {
			bottom = append(bottom, diagnosisView(st, *w.banner, width))
		}
		if w.notice != "" {
			bottom = append(bottom, st.Muted.Render(w.notice))
		}
		bottom = append(bottom, w.form.View())
	case stateLoading:
		body = w.spinner.View() + " Asking Salto IDM for its environments…"
	case stateTesting:
		body = "Testing the whole chain before saving:\n\n" + w.checks.view(st, w.spinner.View())
	case stateSaving:
		body = w.checks.view(st, w.spinner.View()) + "\n\n" + w.spinner.View() + " Storing the secrets and saving the configuration…"
		if w.notice != "" {
			body += "\n" + st.Muted.Render(w.notice)
		}
	case stateDone:
		body = w.checks.view(st, "") + "\n\n" + savedText(st, w.result)
	}
	// The body gets what the rest leaves (the footer is one line); a taller
	// one scrolls.
	used := lipgloss.Height(strings.Join(top, "\n")) + lipgloss.Height(strings.Join(bottom, "\n")) + 3
	avail := max(w.c.height-st.App.GetVerticalFrameSize()-used, 3)
	keys := w.c.keys
	body, up, down := clip(st, st.Text.Width(width).Render(body), avail, w.scroll)
	keys.ScrollUp.SetEnabled(up)
	keys.ScrollDown.SetEnabled(down)
	bottom = append(bottom, st.Footer.Render(w.c.help.View(keys)))

	parts := append(top, "", body, "")
	parts = append(parts, bottom...)
	return st.App.Render(strings.Join(parts, "\n"))
}

// header is the progress line: the step and a dot per step.
func (w *Wizard) header() string {
	st := w.c.styles
	var dots strings.Builder
	for i := 1; i <= stepCount; i++ {
		switch {
		case i < w.step || w.state == stateDone:
			dots.WriteString(st.Status.OK.Render(SymbolDone))
		case i == w.step:
			dots.WriteString(st.Title.Render(SymbolDone))
		default:
			dots.WriteString(st.Muted.Render(SymbolTodo))
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
		editing = fmt.Sprintf(" · editing %q", Sanitize(w.f.d.Editing))
	}
	return st.Header.Render("invitesync set-up · "+what+editing+"  ") + dots.String()
}

func (w *Wizard) title() string {
	switch w.state {
	case stateTesting, stateSaving:
		return "Live test"
	case stateDone:
		return SymbolOK + " Saved"
	}
	t := stepTitles[w.step]
	if w.step == 6 && w.part == 0 {
		t += ": the Salto IDM connection"
	}
	return t
}

// stepBody is the instruction of the current step, its pages and, on step
// 5, the commands.
func (w *Wizard) stepBody(width int) string {
	st := w.c.styles
	var b strings.Builder
	b.WriteString(st.Text.Render(stepText(w.step, w.f.d)))
	if links := stepLinks(w.step, w.f.d); len(links) > 0 {
		b.WriteString("\n")
		for _, l := range links {
			fmt.Fprintf(&b, "\n%s %s", st.Muted.Render(l.label+":"), st.URL.Render(l.url))
		}
	}
	if w.step == 5 {
		b.WriteString("\n\n")
		b.WriteString(st.Code.Width(width - 2).Render(strings.TrimRight(w.script(), "\n")))
	}
	return b.String()
}

// clip shows at most h lines of s from line offset on, saying how many
// more there are, and reports whether it can scroll up and down.
func clip(st Styles, s string, h, offset int) (out string, up, down bool) {
	lines := strings.Split(s, "\n")
	if len(lines) <= h {
		return s, false, false
	}
	top := max(min(offset, len(lines)-(h-1)), 0)
	end := min(top+h-1, len(lines))
	more := fmt.Sprintf("… %d more lines: pgdn/pgup to scroll", len(lines)-(end-top))
	return strings.Join(lines[top:end], "\n") + "\n" + st.Muted.Render(more), top > 0, end < len(lines)
}
