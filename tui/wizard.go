package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/internal/powershell"
)

// ErrAborted is returned when the person leaves the wizard before saving.
// Progress up to the last finished step is kept; nothing else is written.
var ErrAborted = errors.New("set-up stopped before saving")

// LiveTestInput is what the live test on Save checks: the automation as it
// would be saved, and its secrets.
type LiveTestInput struct {
	Automation   config.Automation
	IDM          config.IDM
	ClientSecret string
	IDMAPIKey    string
	// Fresh says the app or its secret was just created ("Create it for
	// me"): the test waits while Entra ID applies it, telling Waiting what
	// it waits for.
	Fresh   bool
	Waiting func(string)
}

// LiveTestFunc runs the same checks as `invitesync check` and calls report
// as each one finishes. It returns every result, in order.
type LiveTestFunc func(ctx context.Context, in LiveTestInput, report func(diag.Result)) []diag.Result

// Environment is one Salto IDM environment offered on step 6.
type Environment struct {
	Name     string
	TimeZone string // IANA or Windows name; may be empty
}

// EnvironmentsFunc lists the environments Salto IDM knows.
type EnvironmentsFunc func(ctx context.Context, idmURL, apiKey string) ([]Environment, error)

// CheckInfo names one check of the live test, in the order it runs.
type CheckInfo struct {
	ID, Title string
}

// Options configures the wizard.
type Options struct {
	// ConfigPath is the configuration file; the progress file lives beside it.
	ConfigPath string
	// StatePath is the state database the next steps name ("": none).
	StatePath string
	// Config is the current configuration, nil when there is none yet.
	Config *config.Config
	// Draft prefills every field (the demo); nil resumes saved progress,
	// offers to edit an existing automation, or starts afresh.
	Draft *Draft
	// Secrets prefills the secret fields (the demo). They are only ever
	// written to Store.
	Secrets Secrets
	// Store keeps the secrets once the live test passes.
	Store config.SecretStore
	// LiveTest runs on Save; Checks lists its checks for the progress view.
	LiveTest LiveTestFunc
	Checks   []CheckInfo
	// Environments offers IDM's environments on step 6; nil: a text field.
	Environments EnvironmentsFunc
	// OpenURL opens a page in a browser; nil when there is no browser.
	OpenURL func(url string) error
	// Hyperlinks makes the pages' names links the terminal opens (OSC 8).
	Hyperlinks bool
	// Accessible uses huh's accessible mode: plain prompts, no full screen.
	Accessible bool
	Input      io.Reader
	Output     io.Writer
	Logger     *slog.Logger
	// Now is the clock (the secret's expiry must lie ahead); nil: time.Now.
	Now func() time.Time
	// CreateApp offers "Create it for me" on step 1 of a new automation:
	// an administrator's sign-in does steps 1–4. Nil: not offered.
	CreateApp CreateAppFunc
	// ConsentWait is how long Save's live test may wait for Entra ID after
	// CreateApp (see LiveTestInput.Fresh).
	ConsentWait time.Duration
}

// Result is what a finished wizard did.
type Result struct {
	Saved      bool
	Automation config.Automation
	// Command is the equivalent `invitesync setup --no-input …`, secrets
	// left out.
	Command string
	// Warnings are passing checks with something to act on.
	Warnings []diag.Result
	// Step is where a stopped wizard will continue.
	Step int
	// Next is what to do now that it is saved (see NextSteps).
	Next string
	// Notes say what opening the secret store changed (config.OpenSecrets).
	Notes []string
}

// state is the wizard's screen.
type state int

const (
	stateChoose   state = iota // resume, or which automation to edit
	stateStep                  // a step's form
	stateLoading               // asking IDM for its environments
	stateCreating              // "Create it for me": sign-in and steps 1–4
	stateTesting               // the live test
	stateSaving                // storing secrets and writing the config
	stateDone                  // saved
	stateQuit                  // leaving without saving
)

// wizard is the set-up wizard's root model: a small state machine that
// routes to the active form or view.
type wizard struct {
	c    *common
	opts Options
	f    *fields

	state state
	step  int // 1–6
	part  int // step 6: 0 the IDM connection, 1 the automation
	form  *huh.Form

	choice  string // stateChoose's answer
	scroll  int    // first line of the body on screen
	hscroll int    // first column of the rows wider than the screen

	spinner spinner.Model
	checks  checkList
	cancel  context.CancelFunc // stops the live test

	// banner is the diagnosis of a failed live test, shown on the step
	// that fixes it; notice is a one-line message (saved file, copied…).
	banner *diag.Result
	notice string
	// fixing: a Save failed, and the person is on the field that fixes
	// it; finishing the step, or the Retry key, tests and saves again.
	fixing bool
	// resumeAt is the step a resumed set-up continues at once the client
	// secret is entered again on step 3; 0 when none.
	resumeAt int
	// edits counts the keys that edited a field, so that a check waits
	// for typing to pause (see editedField).
	edits int

	creating *creation   // "Create it for me" while it runs
	created  *CreatedApp // what it made, until saved

	result Result
}

var _ tea.Model = (*wizard)(nil)

// Choices of the first screen.
const (
	choiceContinue = "continue"
	choiceRestart  = "restart"
	choiceNew      = "new"
	choiceEditPfx  = "edit:"
)

// newWizard returns a wizard ready to run. It reads the progress file of an
// earlier, unfinished run.
func newWizard(opts Options) *wizard {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Output == nil {
		opts.Output = os.Stdout
	}
	if opts.Input == nil {
		opts.Input = os.Stdin
	}
	w := &wizard{c: newCommon(opts.Logger), opts: opts}
	w.spinner = spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(w.c.styles.Status.Pending))
	if opts.OpenURL == nil {
		w.c.keys.Open.SetEnabled(false)
	}
	w.f = &fields{
		d:          new(Draft),
		sec:        new(Secrets),
		now:        opts.Now(),
		accessible: opts.Accessible,
		theme:      w.c.styles.HuhTheme(),
		copyScript: false,
	}
	*w.f.sec = opts.Secrets

	switch saved, ok, err := loadProgress(w.progressPath()); {
	case opts.Draft != nil:
		w.begin(*opts.Draft)
	case ok:
		*w.f.d = saved
		w.offerResume(saved)
	default:
		if err != nil {
			w.notice = err.Error()
		}
		w.offerEdit()
	}
	return w
}

func (w *wizard) progressPath() string { return progressPathFor(w.opts.ConfigPath) }

// automations are the configured automations' names.
func (w *wizard) automations() []string {
	if w.opts.Config == nil {
		return nil
	}
	names := make([]string, len(w.opts.Config.Automations))
	for i, a := range w.opts.Config.Automations {
		names[i] = a.Name
	}
	return names
}

// offerResume asks whether to continue the unfinished run.
func (w *wizard) offerResume(d Draft) {
	what := "a new automation"
	if d.Editing != "" {
		what = fmt.Sprintf("automation %q", sanitize(d.Editing))
	}
	w.choice = choiceContinue
	w.state = stateChoose
	w.form = w.f.newForm(huh.NewGroup(
		huh.NewSelect[string]().Title("An earlier set-up was not finished").
			Description(fmt.Sprintf("It stopped at step %d of %d, setting up %s. Secrets are never kept\nbetween runs, so you will be asked for them again.", d.Step, stepCount, what)).
			Options(
				huh.NewOption(fmt.Sprintf("Continue at step %d", d.Step), choiceContinue),
				huh.NewOption("Start over", choiceRestart),
			).Value(&w.choice),
	))
}

// offerEdit asks which automation to edit, when there are any; otherwise
// it starts a new one.
func (w *wizard) offerEdit() {
	names := w.automations()
	if len(names) == 0 {
		w.begin(newDraft())
		return
	}
	opts := make([]huh.Option[string], 0, len(names)+1)
	for _, n := range names {
		opts = append(opts, huh.NewOption("Edit "+sanitize(n), choiceEditPfx+n))
	}
	opts = append(opts, huh.NewOption("Add a new automation", choiceNew))
	w.choice = choiceEditPfx + names[0]
	w.state = stateChoose
	w.form = w.f.newForm(huh.NewGroup(
		huh.NewSelect[string]().Title("Which automation?").
			Description("Editing one keeps its stored secrets unless you enter new ones.").
			Options(opts...).Value(&w.choice),
	))
}

// begin starts (or resumes) the steps with d.
func (w *wizard) begin(d Draft) {
	if d.Step < 1 || d.Step > stepCount {
		d.Step = 1
	}
	if d.Scope == "" {
		d.Scope = powershell.ScopeNone
	}
	*w.f.d = d
	w.f.editing = d.Editing != ""
	// Offered for a new automation, not in the demo (a prefilled draft) nor
	// in accessible mode, whose plain prompts cannot show a live countdown.
	w.f.offerCreate = w.opts.CreateApp != nil && !w.f.editing && !w.opts.Accessible && w.opts.Draft == nil
	w.f.taken = slices.DeleteFunc(w.automations(), func(n string) bool { return strings.EqualFold(n, d.Editing) })
	w.f.mailboxOwner = func(mailbox string) (string, bool) {
		if w.opts.Config == nil {
			return "", false
		}
		return w.opts.Config.MailboxOwner(mailbox, w.f.d.Editing)
	}
	if w.f.d.ScriptPath == "" {
		w.f.d.ScriptPath = defaultScriptPath(w.opts.ConfigPath, d.AppName)
	}
	w.goTo(d.Step, 0)
}

// goTo shows step n (part p of step 6) with a new form prefilled from the
// draft.
func (w *wizard) goTo(n, p int) {
	w.state = stateStep
	w.step, w.part = n, p
	w.scroll, w.hscroll = 0, 0
	w.f.d.Step = n
	w.f.width = w.formWidth()
	w.form = w.f.stepForm(n, p).WithWidth(w.f.width)
	w.updateKeys()
	w.fitForm()
}

// formWidth keeps forms readable on wide terminals.
func (w *wizard) formWidth() int { return min(w.c.contentWidth(), 100) }

// updateKeys enables the bindings that apply to the current screen.
func (w *wizard) updateKeys() {
	k := &w.c.keys
	inStep := w.state == stateStep
	k.Back.SetEnabled(inStep && (w.step > 1 || w.part > 0) || w.state == stateCreating)
	k.Retry.SetEnabled(inStep && w.fixing)
	k.Open.SetEnabled(inStep && w.opts.OpenURL != nil && len(stepLinks(w.step, w.f.d)) > 0)
	k.Copy.SetEnabled(inStep && w.step == 5)
	k.SaveFile.SetEnabled(inStep && w.step == 5)
	k.Continue.SetEnabled(w.state == stateDone)
}

// Init implements tea.Model.
func (w *wizard) Init() tea.Cmd {
	if w.form == nil {
		return nil
	}
	return w.form.Init()
}

// Update implements tea.Model.
func (w *wizard) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		w.c.setSize(msg.Width, msg.Height)
		if w.form != nil {
			w.form = w.form.WithWidth(w.formWidth())
		}
		w.fitForm()
		return w, nil
	case tea.KeyMsg:
		if cmd, handled := w.handleKey(msg); handled {
			return w, cmd
		}
	case envsMsg:
		return w, w.environmentsArrived(msg)
	case checkMsg:
		return w, w.checked(msg)
	case savedMsg:
		return w, w.saveFinished(msg)
	case noticeMsg:
		w.notice = string(msg)
		return w, nil
	case focusMsg:
		if w.state == stateStep {
			return w, w.focus(msg.key)
		}
		return w, nil
	case validateMsg:
		return w, w.validatePaused(msg)
	case createMsg, countdownMsg, waitingMsg:
		return w, w.createUpdate(msg)
	case spinner.TickMsg:
		if w.state == stateTesting || w.state == stateLoading || w.state == stateSaving || w.state == stateCreating {
			var cmd tea.Cmd
			w.spinner, cmd = w.spinner.Update(msg)
			return w, cmd
		}
		return w, nil
	}
	if w.state == stateChoose || w.state == stateStep {
		edited := w.editedField(msg)
		cmd := w.updateForm(msg)
		w.fitForm()
		return w, tea.Batch(cmd, edited)
	}
	return w, nil
}

// handleKey handles the wizard's own keys before the form sees them.
func (w *wizard) handleKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := w.c.keys
	switch {
	case key.Matches(msg, k.Quit):
		return w.quit(), true
	case key.Matches(msg, k.ScrollDown):
		w.scroll = min(w.scroll+max(w.c.height/2, 1), 500)
		return nil, true
	case key.Matches(msg, k.ScrollUp):
		w.scroll = max(w.scroll-max(w.c.height/2, 1), 0)
		return nil, true
	case key.Matches(msg, k.ScrollRight):
		w.hscroll = min(w.hscroll+max(w.c.contentWidth()/2, 1), 1000)
		return nil, true
	case key.Matches(msg, k.ScrollLeft):
		w.hscroll = max(w.hscroll-max(w.c.contentWidth()/2, 1), 0)
		return nil, true
	case w.state == stateDone && key.Matches(msg, k.Continue):
		return tea.Quit, true
	case w.state == stateCreating && key.Matches(msg, k.Back):
		w.cancelCreate()
		return nil, true
	case w.state != stateStep:
		return nil, w.state != stateChoose
	case key.Matches(msg, k.Retry):
		return w.retry(), true
	case key.Matches(msg, k.Back):
		w.banner, w.notice = nil, ""
		if w.part > 0 {
			w.goTo(w.step, w.part-1)
		} else {
			w.goTo(w.step-1, 0)
		}
		return w.form.Init(), true
	case key.Matches(msg, k.Open):
		return openURLCmd(w.opts.OpenURL, stepLinks(w.step, w.f.d)[0].url), true
	case key.Matches(msg, k.Copy):
		return copyCmd(w.opts.Output, w.script()), true
	case key.Matches(msg, k.SaveFile):
		path := w.f.d.ScriptPath
		if validateScriptPath(path) != nil || path == "" {
			path = defaultScriptPath(w.opts.ConfigPath, w.f.d.AppName)
		}
		return saveScriptCmd(path, w.script()), true
	}
	return nil, false
}

// quit leaves without saving. While the save runs it waits for it, so
// nothing is left half-written.
func (w *wizard) quit() tea.Cmd {
	if w.state == stateSaving {
		w.notice = "Finishing the save first…"
		return nil
	}
	if w.cancel != nil {
		w.cancel()
	}
	if w.state != stateDone {
		w.state = stateQuit
		w.result.Step = w.f.d.Step
	}
	return tea.Quit
}

// updateForm passes msg to the form and acts when it is finished.
func (w *wizard) updateForm(msg tea.Msg) tea.Cmd {
	m, cmd := w.form.Update(msg)
	if f, ok := m.(*huh.Form); ok {
		w.form = f
	}
	if w.form.State != huh.StateCompleted {
		return cmd
	}
	if w.state == stateChoose {
		return tea.Batch(cmd, w.chosen())
	}
	return tea.Batch(cmd, w.stepFinished())
}

// chosen acts on the first screen's answer.
func (w *wizard) chosen() tea.Cmd {
	switch {
	case w.choice == choiceContinue && w.f.d.Step > 3 && w.f.sec.ClientSecret == "":
		step := w.f.d.Step
		w.begin(*w.f.d)
		return w.resumeSecret(step)
	case w.choice == choiceContinue:
		w.begin(*w.f.d)
	case w.choice == choiceRestart:
		w.notice = ""
		w.offerEdit()
	case w.choice == choiceNew:
		w.begin(newDraft())
	case strings.HasPrefix(w.choice, choiceEditPfx):
		name := strings.TrimPrefix(w.choice, choiceEditPfx)
		a, _ := w.opts.Config.Automation(name)
		w.begin(DraftFromAutomation(*a, w.opts.Config.IDM))
	}
	return w.form.Init()
}

// stepFinished moves on from a completed step form to what afterStep
// says follows it.
func (w *wizard) stepFinished() tea.Cmd {
	w.banner = nil
	var cmds []tea.Cmd
	if w.step == 5 {
		if path := w.f.d.ScriptPath; path != "" {
			cmds = append(cmds, saveScriptCmd(path, w.script()))
		}
		if w.f.copyScript {
			cmds = append(cmds, copyCmd(w.opts.Output, w.script()))
		}
	}
	switch next := w.afterStep(); next.kind {
	case afterCreate:
		return w.startCreate()
	case afterEnvironments:
		w.state = stateLoading
		w.updateKeys()
		return tea.Batch(append(cmds, w.spinner.Tick, w.fetchEnvironments())...)
	case afterSave:
		return tea.Batch(append(cmds, keepProgress(w.progressPath(), *w.f.d), w.startSave())...)
	default:
		w.notice = next.notice
		w.goTo(next.step, next.part)
	}
	return tea.Batch(append(cmds, keepProgress(w.progressPath(), *w.f.d), w.form.Init())...)
}

// script is the step-5 script for the current draft, or why there is none.
func (w *wizard) script() string {
	s, err := powershell.SetupScript(w.scriptInput())
	if err != nil {
		return "# " + err.Error() + "\n"
	}
	return s
}

func (w *wizard) scriptInput() powershell.Input {
	d := w.f.d
	return powershell.Input{
		TenantID: d.TenantID, ClientID: d.ClientID, EnterpriseObjectID: d.EnterpriseObjectID,
		AppName: d.AppName, Mailbox: d.Mailbox, ScopeName: "invitesync " + d.Mailbox,
		Scope: d.Scope, PolicyGroup: d.PolicyGroup, FullAccess: d.FullAccess,
	}
}

// defaultScriptPath is where step 5 offers to save the commands: beside
// the configuration, named after the app.
func defaultScriptPath(configPath, appName string) string {
	slug := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, appName)
	if slug == "" {
		slug = "app"
	}
	return filepath.Join(filepath.Dir(configPath), "exchange-"+slug+".ps1")
}

// Result returns what the wizard did; meaningful once it has ended.
func (w *wizard) Result() Result { return w.result }

// Step is the step on screen (1–6), 0 before the steps begin.
func (w *wizard) Step() int {
	if w.state == stateChoose {
		return 0
	}
	return w.step
}

// Draft returns a copy of what has been gathered so far.
func (w *wizard) Draft() Draft { return *w.f.d }

// Banner is the failed check shown on the current step, if any.
func (w *wizard) Banner() *diag.Result { return w.banner }

// Run runs the wizard on the terminal until it is saved or left. It returns
// ErrAborted when the person leaves before saving.
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.Accessible {
		return runAccessible(ctx, opts)
	}
	w := newWizard(opts)
	p := tea.NewProgram(w, tea.WithContext(ctx), tea.WithAltScreen(),
		tea.WithInput(w.opts.Input), tea.WithOutput(w.opts.Output))
	m, err := p.Run()
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return Result{}, err
	}
	w = m.(*wizard)
	if w.cancel != nil {
		w.cancel()
	}
	if note := w.discardCreated(ctx); note != "" {
		fmt.Fprintln(w.opts.Output, note)
	}
	res := w.Result()
	if !res.Saved {
		res.Step = w.f.d.Step
		return res, ErrAborted
	}
	printSaved(w.opts.Output, w.c.styles, res)
	return res, nil
}
