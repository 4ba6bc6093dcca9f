package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"invitesync/internal/screentest"
)

// fits reports what of view does not fit a w×h terminal.
func fits(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("%d lines on a %d-line terminal:\n%s", len(lines), h, view)
	}
	for _, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %q is %d wide on a %d-column terminal", l, lw, w)
		}
	}
}

// Every step of the wizard keeps its title, its focused field and its quit
// key on a standard and a small terminal: a tall form scrolls inside itself.
func TestWizardStepsFitSmallTerminals(t *testing.T) {
	h := newHarness(t)
	for _, size := range [][2]int{{80, 24}, {60, 20}} {
		w := newWizard(h.options())
		w.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for step := 1; step <= stepCount; step++ {
			for part := range 2 {
				if part == 1 && step != 6 {
					continue
				}
				w.goTo(step, part)
				w.fitForm()
				view := w.View()
				fits(t, view, size[0], size[1])
				for _, want := range []string{"Step " + string(rune('0'+step)) + " of 6", "ctrl+c quit"} {
					if !strings.Contains(view, want) {
						t.Errorf("%dx%d step %d.%d lost %q:\n%s", size[0], size[1], step, part, want, view)
					}
				}
			}
		}
	}
}

func TestClipSaysWhereTheHiddenLinesAre(t *testing.T) {
	text := "1\n2\n3\n4\n5\n6"
	for _, c := range []struct {
		h, offset int
		want      string
		up, down  bool
	}{
		{3, 0, "1\n2\n… 4 more lines below: pgdn to scroll", false, true},
		{3, 2, "3\n4\n… 2 more lines below, 2 above: pgdn/pgup to scroll", true, true},
		{3, 9, "5\n6\n… 4 lines above: pgup to scroll back", true, false},
		{1, 0, "… 6 more lines below: pgdn to scroll", false, true},
		{6, 0, text, false, false},
	} {
		got, up, down := clip(defaultStyles(), text, c.h, c.offset)
		if got != c.want || up != c.up || down != c.down {
			t.Errorf("clip(h=%d, offset=%d) = %q, %v, %v; want %q, %v, %v", c.h, c.offset, got, up, down, c.want, c.up, c.down)
		}
	}
}

// Placeholders say they are examples: without colour they would read as
// values already filled in.
func TestWizardPlaceholdersReadAsExamples(t *testing.T) {
	h := newHarness(t)
	h.start(h.options())
	h.answer("Application name", "Front desk app")
	h.focus("Admin consent granted?")
	h.tm.Type("y")
	h.focus("Client secret value")
	h.see("> e.g. 2026-12-31")
	h.fill(secretVal)
	h.focus("The secret expires on")
	h.fill("2027-05-31")
	h.see("Step 4 of 6", "> e.g. visitors@contoso.com")
	h.key(tea.KeyCtrlC)
	h.final()
}

// While the filter is typed, letters go into it: the help offers only the
// keys that still work.
func TestDashboardFilterHelpOffersOnlyWorkingKeys(t *testing.T) {
	src := weekSource()
	tm := startDashboard(t, newTestDashboard(t, src), 120, 30)
	waitFor(t, tm, "Audit with Northwind", "p poll now")
	tm.Send(keyRunes("/"))
	waitFor(t, tm, "enter apply filter", "esc clear filter", "ctrl+c quit")
	tm.Type("pxq")
	waitFor(t, tm, "/pxq", "No processed event matches the filter.")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitFor(t, tm, "p poll now", "q quit")
	tm.Send(keyRunes("/"))
	waitFor(t, tm, "enter apply filter")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	view := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).View()
	for _, stale := range []string{"poll now", "pause", "retry failed", "errors", "more keys", "q quit"} {
		if strings.Contains(view, stale) {
			t.Errorf("the filter's help offers %q, which types into the filter:\n%s", stale, view)
		}
	}
}

// On a narrow terminal the help wraps: the last keys, quit and more keys,
// stay on screen.
func TestDashboardHelpWrapsOnNarrowTerminals(t *testing.T) {
	src := weekSource()
	for _, w := range []int{60, 80} {
		d := newTestDashboard(t, src)
		d = update(t, d, tea.WindowSizeMsg{Width: w, Height: 24})
		d = update(t, d, mustMsg(readActivity(t.Context(), src, rowsQuery{automation: "reception"})))
		view := d.View()
		fits(t, view, w, 24)
		for _, want := range []string{"enter details", "? more keys", "q quit"} {
			if !strings.Contains(view, want) {
				t.Errorf("%d columns: the help lost %q:\n%s", w, want, view)
			}
		}
		d = update(t, d, keyRunes("?"))
		view = d.View()
		fits(t, view, w, 24)
		for _, want := range []string{"? fewer keys", "q quit", "retry failed", "last"} {
			if !strings.Contains(view, want) {
				t.Errorf("%d columns: the full help lost %q:\n%s", w, want, view)
			}
		}
	}
}

// A notice wraps at spaces only: its path stays whole, on a row of its own
// when the sentence does not fit, and scrolled through to its end when the
// path alone is wider than the screen.
func TestWizardNoticeWraps(t *testing.T) {
	h := newHarness(t)
	const path = "/tmp/a-rather-long-directory/exchange-Salto-IDM-Calendar-Integration.ps1"
	for _, width := range []int{60, 80, 120} {
		w := newWizard(h.options())
		w.Update(tea.WindowSizeMsg{Width: width, Height: 24})
		w.goTo(6, 0)
		w.notice = symbolOK + " Saved the commands to " + path
		w.fitForm()
		var views []string
		for i := range 6 {
			if i > 0 {
				w.Update(tea.KeyMsg{Type: tea.KeyShiftRight})
			}
			view := w.View()
			fits(t, view, width, 24)
			views = append(views, ansi.Strip(view))
		}
		if err := screentest.Whole(views, path); err != nil {
			t.Errorf("%d columns: %v\n%s", width, err, views[0])
		}
		// Where the path fits the screen, it is whole on the first view.
		if fitsScreen := len(path) <= w.c.contentWidth(); fitsScreen && !strings.Contains(views[0], path) {
			t.Errorf("%d columns: the notice broke its path:\n%s", width, views[0])
		}
		if end := views[len(views)-1]; !strings.Contains(end, "Calendar-Integration.ps1") {
			t.Errorf("%d columns: scrolled right, the end of the path is not visible:\n%s", width, end)
		}
	}
}
