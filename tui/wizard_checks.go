package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/setup"
)

// Time limits of the wizard's network calls.
const (
	environmentsTimeout = 20 * time.Second
	liveTestTimeout     = 2 * time.Minute
)

// --- MSG ---

// envsMsg carries IDM's environments, or why they could not be read.
type envsMsg struct {
	envs []Environment
	err  error
}

// checkMsg is one finished check of the live test, or (tested) the word
// that every check passed and the save begins; ch brings the next.
type checkMsg struct {
	result diag.Result
	tested bool
	ch     <-chan checkMsg
}

// noticeMsg is a one-line message for the current screen.
type noticeMsg string

// --- MODEL ---

// checkLine is one check on the live-test screen.
type checkLine struct {
	info   CheckInfo
	result *diag.Result
}

// checkList is the live-test screen: every known check with a spinner until
// its result arrives.
type checkList struct {
	lines []checkLine
}

func newCheckList(infos []CheckInfo) checkList {
	l := checkList{lines: make([]checkLine, len(infos))}
	for i, in := range infos {
		l.lines[i] = checkLine{info: in}
	}
	return l
}

// --- UPDATE ---

// update records r, adding a line for a check that was not announced.
func (l checkList) update(r diag.Result) checkList {
	for i := range l.lines {
		if l.lines[i].info.ID == r.ID {
			l.lines[i].result = &r
			return l
		}
	}
	l.lines = append(l.lines, checkLine{info: CheckInfo{ID: r.ID, Title: r.ID}, result: &r})
	return l
}

// --- VIEW ---

func (l checkList) view(st styleSet, spin string) string {
	var b strings.Builder
	for _, ln := range l.lines {
		title := ln.info.Title
		if title == "" {
			title = ln.info.ID
		}
		switch r := ln.result; {
		case r == nil:
			fmt.Fprintf(&b, "%s %s\n", spin, st.Muted.Render(title))
		case !r.OK:
			fmt.Fprintf(&b, "%s %s\n", st.Status.Fail.Render(symbolFail+" failed"), title)
		case r.Warning:
			fmt.Fprintf(&b, "%s %s\n", st.Status.Warn.Render(symbolWarn+" warning"), title)
		default:
			fmt.Fprintf(&b, "%s %s\n", st.Status.OK.Render(symbolOK+" ok"), title)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// diagnosisView explains a failed or warning check: code, sentence, fix.
// A word wider than the box (a long address) stays whole on a row of its
// own, shown from offset columns in and cut with marks; wide says one was.
func diagnosisView(st styleSet, r diag.Result, width, offset int) (view string, wide bool) {
	var b strings.Builder
	head := st.Status.Fail.Render(symbolFail + " The live test failed")
	msg := sanitize(r.Message)
	if r.ID == createAppCheck { // invitesync's own lines: what was created, one each
		head, msg = st.Status.Fail.Render(symbolFail+" Create it for me stopped"), sanitizeLines(r.Message)
	}
	frame := st.Banner.Fail
	if r.OK {
		head = st.Status.Warn.Render(symbolWarn + " Warning")
		frame = st.Banner.Warn
	}
	if r.Code != "" {
		head += ": " + st.Strong.Render(sanitize(r.Code))
	}
	b.WriteString(head)
	if msg != "" {
		b.WriteString("\n" + msg)
	}
	if r.Fix != "" {
		b.WriteString("\n" + st.Strong.Render("Fix: ") + sanitize(r.Fix))
	}
	// Wrapped here, at spaces only: the frame's own wrapping would also
	// break a GUID or an address at its hyphens and dots.
	inner := max(width-2, 20) - frame.GetHorizontalFrameSize()
	rows, wide := wrapWindow(b.String(), inner, offset)
	return frame.Width(max(width-2, 20)).Render(rows), wide
}

// --- COMMANDS ---

// fetchEnvironments asks IDM for its environments with the key entered on
// step 6, or the stored one when editing.
func (w *wizard) fetchEnvironments() tea.Cmd {
	list := w.opts.Environments
	if list == nil {
		return func() tea.Msg { return envsMsg{} }
	}
	url, key, store := w.f.d.IDMURL, w.f.sec.IDMAPIKey, w.opts.Store
	return func() tea.Msg { return listEnvironments(context.Background(), list, url, key, store) }
}

// listEnvironments asks IDM for its environments, with the stored key when
// key is empty.
func listEnvironments(ctx context.Context, list EnvironmentsFunc, url, key string, store config.SecretStore) envsMsg {
	if key == "" {
		v, _, err := config.IDMAPIKey().Resolve(store)
		if err != nil {
			return envsMsg{err: err}
		}
		key = v
	}
	ctx, cancel := context.WithTimeout(ctx, environmentsTimeout)
	defer cancel()
	envs, err := list(ctx, url, key)
	return envsMsg{envs: envs, err: err}
}

// environmentsArrived shows the automation part of step 6 with what IDM said.
func (w *wizard) environmentsArrived(msg envsMsg) tea.Cmd {
	if w.state != stateLoading {
		return nil
	}
	w.f.setEnvironments(msg.envs, msg.err)
	if msg.err != nil {
		w.c.log.Info("IDM environments unavailable", "err", msg.err)
	}
	w.goTo(6, 1)
	return tea.Batch(keepProgress(w.progressPath(), *w.f.d), w.form.Init())
}

// startSave tests and saves the set-up in the background (see
// setup.Save): checkMsg reports each check, savedMsg the outcome.
func (w *wizard) startSave() tea.Cmd {
	w.state = stateTesting
	w.notice = ""
	w.checks = newCheckList(w.opts.Checks)
	w.updateKeys()
	var fresh LiveTestInput
	waiting := w.liveTestWaiting(&fresh)
	ctx, cancel := context.WithTimeout(context.Background(), liveTestTimeout+w.opts.ConsentWait)
	ch := make(chan checkMsg)
	send := func(m checkMsg) {
		m.ch = ch
		select {
		case ch <- m:
		case <-ctx.Done():
		}
	}
	req, err := w.saveRequest(fresh, func(r diag.Result) { send(checkMsg{result: r}) })
	if err != nil {
		cancel()
		return func() tea.Msg { return savedMsg{err: err} }
	}
	w.cancel = cancel
	req.Tested = func() { send(checkMsg{tested: true}) }
	run := func() tea.Msg {
		defer close(ch)
		p, results, err := setup.Save(ctx, req)
		return savedMsg{plan: p, results: results, err: err}
	}
	return tea.Batch(w.spinner.Tick, run, waitForCheck(ch), waiting)
}

// waitForCheck waits for the next report of the live test.
func waitForCheck(ch <-chan checkMsg) tea.Cmd {
	return func() tea.Msg {
		m, ok := <-ch
		if !ok {
			return nil
		}
		return m
	}
}

// checked records a report of the live test.
func (w *wizard) checked(m checkMsg) tea.Cmd {
	if m.tested {
		if w.state == stateTesting {
			w.state = stateSaving
			w.updateKeys()
		}
	} else {
		w.checks = w.checks.update(m.result)
	}
	return waitForCheck(m.ch)
}

// saveFailure is the check to show for a save that did not happen, the
// error behind it (naming a field, see fieldOfError) and, when the test
// passed, its warnings.
func saveFailure(results []diag.Result, err error) (fail *diag.Result, cause error, warnings []diag.Result) {
	var failed *setup.TestFailedError
	var invalid *invalidDraftError
	switch {
	case err == nil:
		for _, r := range results {
			if r.Warning {
				warnings = append(warnings, r)
			}
		}
		return nil, nil, warnings
	case errors.As(err, &failed) && failed.Failed != nil:
		r := *failed.Failed
		if r.Step < 1 || r.Step > stepCount {
			r.Step = 6
		}
		return &r, nil, nil
	case errors.As(err, &failed):
		return &diag.Result{ID: "live-test", Diagnosis: diag.Diagnosis{Step: 6, Message: "The live test ran no check."}}, nil, nil
	case errors.As(err, &invalid):
		return &diag.Result{ID: "config", Diagnosis: diag.Diagnosis{
			Step: 6, Message: "The settings are not valid: " + invalid.err.Error(), Fix: "Correct the field marked " + symbolFail + ".",
		}}, invalid.err, nil
	}
	return &diag.Result{ID: "save", Diagnosis: diag.Diagnosis{Step: 6, Message: err.Error()}}, err, nil
}
