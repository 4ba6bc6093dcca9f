package tui

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/config"
	"invitesync/diag"
)

// savedMsg ends the save.
type savedMsg struct {
	automation config.Automation
	err        error
}

// saveInput is everything a save needs, passed explicitly to its command.
type saveInput struct {
	configPath   string
	progressPath string
	store        config.SecretStore
	automation   config.Automation
	idm          config.IDM
	editing      string // the automation's name before this edit
	clientSecret string // the tested value
	idmAPIKey    string
	// newClientSecret and newIDMKey say the person typed the value; an
	// untouched secret is left as it is stored.
	newClientSecret, newIDMKey bool
	now                        time.Time
}

func (w *Wizard) saveInput(in LiveTestInput) saveInput {
	return saveInput{
		configPath:      w.opts.ConfigPath,
		progressPath:    w.progressPath(),
		store:           w.opts.Store,
		automation:      in.Automation,
		idm:             in.IDM,
		editing:         w.f.d.Editing,
		clientSecret:    in.ClientSecret,
		idmAPIKey:       in.IDMAPIKey,
		newClientSecret: w.f.sec.ClientSecret != "",
		newIDMKey:       w.f.sec.IDMAPIKey != "",
		now:             w.opts.Now(),
	}
}

// saveCmd saves the tested automation (see save).
func saveCmd(in saveInput) tea.Cmd {
	return func() tea.Msg {
		return savedMsg{automation: in.automation, err: save(in)}
	}
}

// save checks the automation against the configuration as it is now on
// disk (complete, its mailbox watched by no other automation), stores the
// secrets, then writes the configuration atomically (config.PlanChange and
// Commit, as `setup --no-input` does), then forgets the progress.
func save(in saveInput) error {
	cfg, err := config.Load(in.configPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		cfg = nil
	case err != nil:
		return fmt.Errorf("nothing was saved: %w", err)
	}
	if in.store == nil {
		return errors.New("nothing was saved: no secret store")
	}
	secrets, _ := config.OpenSecrets(in.configPath, in.store)
	ch := config.Change{Automation: in.automation, IDM: in.idm, Editing: in.editing}
	if in.newClientSecret || in.editing == "" {
		ch.ClientSecret = in.clientSecret
	}
	if in.newIDMKey {
		ch.IDMAPIKey = in.idmAPIKey
	}
	plan, err := config.PlanChange(in.configPath, cfg, secrets, ch, in.now)
	if err != nil {
		return fmt.Errorf("nothing was saved: %w", err)
	}
	if err := plan.Commit(); err != nil {
		return err
	}
	return removeProgress(in.progressPath)
}

// saveFinished shows the success screen, or lands on the field the error
// names (step 6 when it names none).
func (w *Wizard) saveFinished(msg savedMsg) tea.Cmd {
	if msg.err != nil {
		w.c.log.Error("save failed", "err", msg.err)
		return w.failed(diag.Result{ID: "save", Diagnosis: diag.Diagnosis{Step: 6, Message: msg.err.Error()}}, msg.err)
	}
	w.fixing, w.f.problem = false, nil
	w.state = stateDone
	w.result.Saved = true
	w.result.Automation = msg.automation
	w.result.Command = setupCommand(w.opts.ConfigPath, msg.automation, config.IDM{URL: w.f.d.IDMURL})
	w.result.Next = NextSteps(w.opts.ConfigPath, msg.automation)
	w.updateKeys()
	return nil
}

// saveProgressCmd keeps d for a later run; a failure is only a notice.
func saveProgressCmd(path string, d Draft) tea.Cmd {
	return func() tea.Msg {
		if err := saveProgress(path, d); err != nil {
			return noticeMsg(err.Error())
		}
		return nil
	}
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
func printSaved(out io.Writer, st Styles, r Result) {
	fmt.Fprintln(out, savedText(st, r))
}

// savedText is the success message.
func savedText(st Styles, r Result) string {
	a := r.Automation
	var b strings.Builder
	fmt.Fprintf(&b, "%s Saved automation %q: invitesync watches %s every %s\n",
		st.Status.OK.Render(SymbolOK), a.Name, a.Mailbox, formatInterval(a.Interval))
	fmt.Fprintf(&b, "and turns its invitations into visits in Salto IDM (%s, %s).\n", a.Environment, a.TimeZone)
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "%s %s %s\n", st.Status.Warn.Render(SymbolWarn+" warning:"), Sanitize(w.Message), Sanitize(w.Fix))
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
