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

// checkMsg is one finished check of the live test; ch brings the next.
type checkMsg struct {
	result diag.Result
	ch     <-chan diag.Result
}

// testDoneMsg ends the live test with every result; cause is the error
// behind a result made before any check ran (invalid settings).
type testDoneMsg struct {
	results []diag.Result
	input   LiveTestInput
	cause   error
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

func (l checkList) view(st Styles, spin string) string {
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
			fmt.Fprintf(&b, "%s %s\n", st.Status.Fail.Render(SymbolFail+" failed"), title)
		case r.Warning:
			fmt.Fprintf(&b, "%s %s\n", st.Status.Warn.Render(SymbolWarn+" warning"), title)
		default:
			fmt.Fprintf(&b, "%s %s\n", st.Status.OK.Render(SymbolOK+" ok"), title)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// diagnosisView explains a failed or warning check: code, sentence, fix.
func diagnosisView(st Styles, r diag.Result, width int) string {
	var b strings.Builder
	head := st.Status.Fail.Render(SymbolFail + " The live test failed")
	msg := Sanitize(r.Message)
	if r.ID == createAppCheck { // invitesync's own lines: what was created, one each
		head, msg = st.Status.Fail.Render(SymbolFail+" Create it for me stopped"), sanitizeLines(r.Message)
	}
	frame := st.Banner.Fail
	if r.OK {
		head = st.Status.Warn.Render(SymbolWarn + " Warning")
		frame = st.Banner.Warn
	}
	if r.Code != "" {
		head += ": " + st.Strong.Render(Sanitize(r.Code))
	}
	b.WriteString(head)
	if msg != "" {
		b.WriteString("\n" + msg)
	}
	if r.Fix != "" {
		b.WriteString("\n" + st.Strong.Render("Fix: ") + Sanitize(r.Fix))
	}
	return frame.Width(max(width-2, 20)).Render(b.String())
}

// --- COMMANDS ---

// fetchEnvironments asks IDM for its environments with the key entered on
// step 6, or the stored one when editing.
func (w *Wizard) fetchEnvironments() tea.Cmd {
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
func (w *Wizard) environmentsArrived(msg envsMsg) tea.Cmd {
	if w.state != stateLoading {
		return nil
	}
	w.f.setEnvironments(msg.envs, msg.err)
	if msg.err != nil {
		w.c.log.Info("IDM environments unavailable", "err", msg.err)
	}
	w.goTo(6, 1)
	return tea.Batch(saveProgressCmd(w.progressPath(), *w.f.d), w.form.Init())
}

// liveTestInput turns the draft into what the live test checks, resolving
// a secret left empty (editing) from the store. A failure names the
// automation as the person knows it, and cause is the error behind it.
func liveTestInput(d Draft, sec Secrets, store config.SecretStore) (in LiveTestInput, bad *diag.Result, cause error) {
	a, idm, err := d.Automation()
	if err != nil {
		return LiveTestInput{}, &diag.Result{ID: "config", Diagnosis: diag.Diagnosis{
			Step: 6, Message: "The settings are not valid: " + err.Error(), Fix: "Correct the field marked " + SymbolFail + ".",
		}}, err
	}
	label := fmt.Sprintf("automation %q", a.Name)
	in = LiveTestInput{Automation: a, IDM: idm, ClientSecret: sec.ClientSecret, IDMAPIKey: sec.IDMAPIKey}
	if in.ClientSecret == "" {
		err := errors.New("it was not entered in this set-up (secrets are never kept between runs)")
		if d.Editing != "" {
			_, _, err = config.ClientSecret(d.Editing).Resolve(store)
		}
		if err != nil {
			return in, &diag.Result{ID: "secret", Diagnosis: diag.Diagnosis{
				Step: 3, Message: "No client secret of " + label + " to test with: " + err.Error(),
				Fix: "Enter the secret's Value on step 3.",
			}}, err
		}
		in.ClientSecret, _, _ = config.ClientSecret(d.Editing).Resolve(store)
	}
	if in.IDMAPIKey == "" {
		v, _, err := config.IDMAPIKey().Resolve(store)
		if err != nil {
			return in, &diag.Result{ID: "idm-key", Diagnosis: diag.Diagnosis{
				Step: 6, Message: "No Salto IDM API key to test " + label + " with: " + err.Error(), Fix: "Enter the API key on step 6.",
			}}, err
		}
		in.IDMAPIKey = v
	}
	return in, nil, nil
}

// startLiveTest runs the live test in the background; checkMsg and
// testDoneMsg report on it.
func (w *Wizard) startLiveTest() tea.Cmd {
	in, bad, cause := liveTestInput(*w.f.d, *w.f.sec, w.opts.Store)
	w.state = stateTesting
	w.notice = ""
	w.checks = newCheckList(w.opts.Checks)
	w.updateKeys()
	if bad != nil {
		return func() tea.Msg { return testDoneMsg{results: []diag.Result{*bad}, input: in, cause: cause} }
	}
	if w.opts.LiveTest == nil {
		bad := diag.Result{ID: "live-test", Diagnosis: diag.Diagnosis{Step: 6, Message: "This build cannot run the live test."}}
		return func() tea.Msg { return testDoneMsg{results: []diag.Result{bad}, input: in} }
	}
	waiting := w.liveTestWaiting(&in)
	ctx, cancel := context.WithTimeout(context.Background(), liveTestTimeout+w.opts.ConsentWait)
	w.cancel = cancel
	ch := make(chan diag.Result)
	return tea.Batch(w.spinner.Tick, runLiveTestCmd(ctx, w.opts.LiveTest, in, ch), waitForCheck(ch), waiting)
}

// runLiveTestCmd runs test, passing each result to ch while someone reads it.
func runLiveTestCmd(ctx context.Context, test LiveTestFunc, in LiveTestInput, ch chan<- diag.Result) tea.Cmd {
	return func() tea.Msg {
		results := test(ctx, in, func(r diag.Result) {
			select {
			case ch <- r:
			case <-ctx.Done():
			}
		})
		close(ch)
		return testDoneMsg{results: results, input: in}
	}
}

// waitForCheck waits for the next reported check.
func waitForCheck(ch <-chan diag.Result) tea.Cmd {
	return func() tea.Msg {
		r, ok := <-ch
		if !ok {
			return nil
		}
		return checkMsg{result: r, ch: ch}
	}
}

// testFinished saves after a passing live test, or jumps to the step that
// fixes the first failure and shows its diagnosis there.
func (w *Wizard) testFinished(msg testDoneMsg) tea.Cmd {
	if w.state != stateTesting {
		return nil
	}
	if w.cancel != nil {
		w.cancel()
		w.cancel = nil
	}
	for _, r := range msg.results {
		w.checks = w.checks.update(r)
	}
	fail, step, warnings := firstFailure(msg.results)
	if fail != nil {
		w.c.log.Info("live test failed", "check", fail.ID, "code", fail.Code, "step", step)
		return tea.Batch(saveProgressCmd(w.progressPath(), *w.f.d), w.failed(*fail, msg.cause))
	}
	w.result.Warnings = warnings
	w.state = stateSaving
	w.updateKeys()
	return tea.Batch(w.spinner.Tick, saveCmd(w.saveInput(msg.input)))
}

// firstFailure returns the first failed check and the step that fixes it
// (step 6 when the diagnosis names none), or the warnings when all passed.
func firstFailure(results []diag.Result) (fail *diag.Result, step int, warnings []diag.Result) {
	for _, r := range results {
		if !r.OK {
			step = r.Step
			if step < 1 || step > stepCount {
				step = 6
			}
			return &r, step, nil
		}
		if r.Warning {
			warnings = append(warnings, r)
		}
	}
	return nil, 0, warnings
}
