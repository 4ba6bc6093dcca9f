package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/setup"
)

// savedMsg ends the test and save: the plan saved, or err says why not.
type savedMsg struct {
	plan    *config.Plan
	results []diag.Result
	err     error
}

// invalidDraftError is a draft that is not yet a valid automation.
type invalidDraftError struct{ err error }

func (e *invalidDraftError) Error() string { return e.err.Error() }
func (e *invalidDraftError) Unwrap() error { return e.err }

// saveRequest is the set-up as setup.Save takes it: the draft as an
// automation, the secrets typed in this run (one left empty is the stored
// one, when editing) and the live test, which gives report each check.
// fresh says whether Entra ID is still applying a just-created app. What
// opening the store changed is kept for the result: it happens once, so a
// later attempt would not say it again.
func (w *wizard) saveRequest(fresh LiveTestInput, report func(diag.Result)) (setup.Request, error) {
	a, idm, err := w.f.d.Automation()
	if err != nil {
		return setup.Request{}, &invalidDraftError{err}
	}
	if w.opts.Store == nil {
		return setup.Request{}, errors.New("nothing was saved: no secret store")
	}
	secrets, notes := config.OpenSecrets(w.opts.ConfigPath, w.opts.Store)
	w.result.Notes = append(w.result.Notes, notes...)
	req := setup.Request{ConfigPath: w.opts.ConfigPath, Secrets: secrets, Now: w.opts.Now(),
		Change: config.Change{Automation: a, IDM: idm, Editing: w.f.d.Editing,
			ClientSecret: w.f.sec.ClientSecret, IDMAPIKey: w.f.sec.IDMAPIKey}}
	live := w.opts.LiveTest
	req.Test = func(ctx context.Context, p *config.Plan) []diag.Result {
		if live == nil {
			return []diag.Result{{ID: "live-test", Diagnosis: diag.Diagnosis{Step: 6, Message: "This build cannot run the live test."}}}
		}
		return live(ctx, LiveTestInput{Automation: p.Automation, IDM: p.Config.IDM, ClientSecret: p.ClientSecret,
			IDMAPIKey: p.IDMAPIKey, Fresh: fresh.Fresh, Waiting: fresh.Waiting}, report)
	}
	return req, nil
}

// nextSteps is what to do now that a is saved; nothing in the demo (a
// prefilled draft), whose configuration goes when it ends.
func (w *wizard) nextSteps(a config.Automation) string {
	if w.opts.Draft != nil {
		return ""
	}
	return NextSteps(w.opts.ConfigPath, w.opts.StatePath, a)
}

// saveFinished shows the success screen, or lands on the field the failure
// names (step 6 when it names none).
func (w *wizard) saveFinished(msg savedMsg) tea.Cmd {
	if w.state != stateTesting && w.state != stateSaving {
		return nil
	}
	if w.cancel != nil {
		w.cancel()
		w.cancel = nil
	}
	for _, r := range msg.results {
		w.checks = w.checks.update(r)
	}
	fail, cause, warnings := saveFailure(msg.results, msg.err)
	if fail != nil {
		w.c.log.Info("save failed", "check", fail.ID, "code", fail.Code, "step", fail.Step, "err", msg.err)
		return tea.Batch(keepProgress(w.progressPath(), *w.f.d), w.failed(*fail, cause))
	}
	_ = removeProgress(w.progressPath())
	w.fixing, w.f.problem = false, nil
	w.state = stateDone
	w.result.Saved = true
	w.result.Warnings = warnings
	w.result.Automation = msg.plan.Automation
	w.result.Command = setupCommand(w.opts.ConfigPath, msg.plan.Automation, msg.plan.Config.IDM)
	w.result.Next = w.nextSteps(msg.plan.Automation)
	w.updateKeys()
	return nil
}

// keepProgress writes d for a later run at once, in Update, so that
// leaving the wizard never races the write; a failure is only a notice.
func keepProgress(path string, d Draft) tea.Cmd {
	if err := saveProgress(path, d); err != nil {
		msg := noticeMsg(err.Error())
		return func() tea.Msg { return msg }
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./-_", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// setupCommand is the `invitesync setup --no-input` line that makes the
// same automation, secrets left out.
func setupCommand(configPath string, a config.Automation, idm config.IDM) string {
	args := []string{"invitesync setup --no-input"}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, flag+" "+shellQuote(value))
		}
	}
	add("--config", configPath)
	add("--name", a.Name)
	add("--environment", a.Environment)
	add("--mailbox", a.Mailbox)
	add("--tenant-id", a.TenantID)
	add("--client-id", a.ClientID)
	add("--app-name", a.AppName)
	add("--enterprise-object-id", a.EnterpriseObjectID)
	add("--secret-expires", a.SecretExpires.String())
	add("--timezone", a.TimeZone)
	add("--interval", formatInterval(a.Interval))
	add("--idm-url", idm.URL)
	for _, d := range a.InternalDomains {
		add("--internal-domain", d)
	}
	for _, x := range a.Exclude {
		add("--exclude", x)
	}
	add("--lookahead", strconv.Itoa(a.LookAheadDays))
	add("--day-start", a.DayStart)
	add("--day-end", a.DayEnd)
	if !a.Replies {
		args = append(args, "--no-replies")
	}
	if !a.Enabled {
		args = append(args, "--disabled")
	}
	args = append(args, "--client-secret-file FILE", "--idm-api-key-file FILE")
	return strings.Join(args, " \\\n    ")
}

// printSaved writes the success message and the equivalent command where
// they stay after the full-screen view is gone.
func printSaved(out io.Writer, st styleSet, r Result) {
	fmt.Fprintln(out, savedText(st, r))
}

// savedText is the success message.
func savedText(st styleSet, r Result) string {
	a := r.Automation
	var b strings.Builder
	fmt.Fprintf(&b, "%s Saved automation %q: invitesync watches %s every %s\n",
		st.Status.OK.Render(symbolOK), a.Name, a.Mailbox, formatInterval(a.Interval))
	fmt.Fprintf(&b, "and turns its invitations into visits in Salto IDM (%s, %s).\n", a.Environment, a.TimeZone)
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "%s %s %s\n", st.Status.Warn.Render(symbolWarn+" warning:"), sanitize(w.Message), sanitize(w.Fix))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "%s %s.\n", st.Muted.Render("note:"), sanitize(n))
	}
	b.WriteString("\nThe same set-up without the wizard (secrets left out: give them as files,\n")
	b.WriteString("with --client-secret-stdin, or as INVITESYNC_CLIENT_SECRET_FILE and\n")
	b.WriteString("INVITESYNC_IDM_API_KEY_FILE):\n\n")
	b.WriteString(r.Command)
	if r.Next != "" {
		b.WriteString("\n\n" + r.Next)
	}
	return b.String()
}
