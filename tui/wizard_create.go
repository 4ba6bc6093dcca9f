package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/graph/provision"
)

// "Create it for me": on step 1 the person may let an administrator's
// sign-in do steps 1–4 through Microsoft Graph instead of the portal. The
// wizard shows the device code with the time it has left and each step as
// it is done, then goes on at step 4 with the IDs filled in and the new
// client secret held for Save (never shown). Save's live test then waits,
// saying so, while Entra ID applies the new app.

// CreateAppInput is what "Create it for me" needs from step 1.
type CreateAppInput struct {
	AppName string
	// TenantID is the tenant to sign in to; "" lets the account choose.
	TenantID string
}

// DeviceCode is what the administrator needs to sign in on another device.
type DeviceCode struct {
	UserCode, URL string
	Expires       time.Time // zero when Entra did not say
}

// CreateAppEvents report a creation as it runs. They must not block.
type CreateAppEvents struct {
	Code func(DeviceCode) // the sign-in's code, once
	Step func(string)     // a step done, in words
}

// CreatedApp is what "Create it for me" made: the IDs of steps 1–4 and a
// new client secret, which exists only here until Save stores it.
type CreatedApp struct {
	TenantID, ClientID, EnterpriseObjectID string
	ClientSecret                           string
	SecretExpires                          config.Date
	// Discard removes the new client secret from the app registration: the
	// wizard calls it when it ends without saving, so no secret whose value
	// nobody holds is left behind.
	Discard func(context.Context) error
}

// CreateAppFunc signs an administrator in and creates (or reuses) the app
// registration named in, its enterprise application, admin consent and a
// new client secret. Its error says what was created, and how to remove it.
type CreateAppFunc func(ctx context.Context, in CreateAppInput, ev CreateAppEvents) (CreatedApp, error)

// creation is a running "Create it for me".
type creation struct {
	code  *DeviceCode
	steps []string
}

// createMsg is one event of a running creation: a code, a step, or the end.
type createMsg struct {
	code  *DeviceCode
	step  string
	done  bool
	app   CreatedApp
	err   error
	event <-chan createMsg
}

// countdownMsg redraws the code's countdown once a second.
type countdownMsg struct{}

// waitingMsg is a line from a live test that waits for Entra ID.
type waitingMsg struct {
	text string
	ch   <-chan string
}

// createUpdate handles the messages of "Create it for me" and of the live
// test that waits after it.
func (w *wizard) createUpdate(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case createMsg:
		return w.createEvent(msg)
	case countdownMsg:
		if w.state == stateCreating {
			return countdown()
		}
	case waitingMsg:
		if w.state == stateTesting {
			w.notice = msg.text
			return waitForWaiting(msg.ch)
		}
	}
	return nil
}

// startCreate runs the creation for the name given on step 1.
func (w *wizard) startCreate() tea.Cmd {
	w.state = stateCreating
	w.creating = &creation{}
	w.notice, w.banner = "", nil
	w.updateKeys()
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	events := make(chan createMsg, 16)
	in := CreateAppInput{AppName: w.f.d.AppName, TenantID: w.f.d.TenantID}
	run := func() tea.Msg {
		app, err := w.opts.CreateApp(ctx, in, CreateAppEvents{
			Code: func(dc DeviceCode) { events <- createMsg{code: &dc} },
			Step: func(s string) { events <- createMsg{step: s} },
		})
		events <- createMsg{done: true, app: app, err: err}
		return nil
	}
	return tea.Batch(w.spinner.Tick, run, waitForCreate(events), countdown())
}

func waitForCreate(ch <-chan createMsg) tea.Cmd {
	return func() tea.Msg {
		m := <-ch
		m.event = ch
		return m
	}
}

func countdown() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return countdownMsg{} })
}

// createEvent records one event; the end goes on to step 4, or back to
// step 1 saying what went wrong.
func (w *wizard) createEvent(m createMsg) tea.Cmd {
	if w.state != stateCreating {
		if m.done && m.err == nil && m.app.Discard != nil {
			w.created = &m.app // made after the person left: Run discards it
		}
		return nil
	}
	switch {
	case m.code != nil:
		w.creating.code = m.code
	case !m.done:
		w.creating.steps = append(w.creating.steps, m.step)
	case m.err != nil:
		w.c.log.Info("create it for me failed", "err", m.err)
		w.f.createApp = false
		w.goTo(1, 0)
		w.banner = createFailed(m.err)
		return w.form.Init()
	default:
		w.created = &m.app
		d := w.f.d
		d.TenantID, d.ClientID, d.EnterpriseObjectID = m.app.TenantID, m.app.ClientID, m.app.EnterpriseObjectID
		d.ConsentGranted, d.SecretExpires = true, m.app.SecretExpires.String()
		w.f.sec.ClientSecret = m.app.ClientSecret
		w.goTo(4, 0)
		w.notice = "Steps 1–3 are done and the IDs filled in; the new client secret is held until Save stores it. Enter the mailbox."
		return tea.Batch(keepProgress(w.progressPath(), *w.f.d), w.form.Init())
	}
	return waitForCreate(m.event)
}

// createAppCheck identifies the banner of a creation that stopped.
const createAppCheck = "create-app"

// sanitizeLines is sanitize for text of several lines: each line apart.
func sanitizeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = sanitize(l)
	}
	return strings.Join(lines, "\n")
}

// createFailed is the banner of a failed creation: its error says what was
// created and how to remove it, and the manual path is this wizard's step 1.
func createFailed(err error) *diag.Result {
	return &diag.Result{ID: createAppCheck, Diagnosis: diag.Diagnosis{Step: 1, Message: err.Error(),
		Fix: "Follow the steps in the portal below, or choose Create it for me again once the cause is fixed."}}
}

// cancelCreate stops a creation waiting for its sign-in or running.
func (w *wizard) cancelCreate() {
	if w.cancel != nil {
		w.cancel()
	}
}

// createView shows the code with its countdown and the steps done so far.
func (w *wizard) createView() string {
	st := w.c.styles
	var b strings.Builder
	c := w.creating
	if c.code == nil {
		b.WriteString(w.spinner.View() + " Starting the administrator's sign-in…")
		return b.String()
	}
	if len(c.steps) == 0 {
		fmt.Fprintf(&b, "An administrator of the tenant signs in once. On any device, open\n\n  %s\n\nand enter the code\n\n  %s\n\n",
			st.Strong.Render(sanitize(c.code.URL)), st.Title.Render(sanitize(c.code.UserCode)))
		if !c.code.Expires.IsZero() {
			left := max(time.Until(c.code.Expires).Round(time.Second), 0)
			fmt.Fprintf(&b, "The code works for %d:%02d more. ", int(left.Minutes()), int(left.Seconds())%60)
		}
		b.WriteString("It needs the role Global Administrator or Privileged Role Administrator.\n\n")
		b.WriteString(w.spinner.View() + " Waiting for the sign-in…")
		return b.String()
	}
	for _, s := range c.steps {
		b.WriteString(st.Status.OK.Render(symbolOK) + " " + sanitize(s) + "\n")
	}
	b.WriteString(w.spinner.View() + " Working…")
	return b.String()
}

// liveTestWaiting arms the live test's waiting lines when the app or its
// secret was just created: in.Fresh tells the test to wait for Entra ID.
func (w *wizard) liveTestWaiting(in *LiveTestInput) tea.Cmd {
	if w.created == nil {
		return nil
	}
	ch := make(chan string, 4)
	in.Fresh = true
	in.Waiting = func(s string) {
		select {
		case ch <- s:
		default:
		}
	}
	return waitForWaiting(ch)
}

func waitForWaiting(ch <-chan string) tea.Cmd {
	return func() tea.Msg { return waitingMsg{text: <-ch, ch: ch} }
}

// discardCreated removes a new client secret nothing was saved with.
func (w *wizard) discardCreated(ctx context.Context) string {
	if w.created == nil || w.created.Discard == nil || w.result.Saved {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := w.created.Discard(ctx); err != nil {
		return "The client secret added for this set-up could not be removed again: " + err.Error()
	}
	return "Nothing was saved, so the client secret added for this set-up was removed from the app registration again."
}

// ProvisionApp is invitesync's CreateAppFunc: the administrator's sign-in
// (o, its Prompt replaced by the wizard's), the app registration created or
// reused as `setup --create-app` does (provision.Provision), and a new client
// secret valid months.
func ProvisionApp(o provision.Options, months int) CreateAppFunc {
	return func(ctx context.Context, in CreateAppInput, ev CreateAppEvents) (CreatedApp, error) {
		o := o
		o.TenantID = in.TenantID
		o.Prompt = func(dc provision.DeviceCode) {
			ev.Code(DeviceCode{UserCode: dc.UserCode, URL: dc.URL, Expires: dc.Expires})
		}
		admin, err := provision.SignIn(ctx, o, provision.ScopesCreate)
		if err != nil {
			return CreatedApp{}, fmt.Errorf("nothing was created: %w", err)
		}
		res, err := admin.Provision(ctx, in.AppName, ev.Step)
		if err != nil {
			return CreatedApp{}, provision.Stopped(res.Created, in.AppName, err)
		}
		s, err := admin.AddSecret(ctx, res.App.ObjectID, "invitesync: "+in.AppName, time.Now().UTC().AddDate(0, months, 0))
		if err != nil {
			return CreatedApp{}, provision.Stopped(res.Created, in.AppName, err)
		}
		end := s.End.UTC()
		expires := config.Date{Year: end.Year(), Month: end.Month(), Day: end.Day()}
		ev.Step(fmt.Sprintf("Client secret added (ID %s, expires %s); it is never shown", s.KeyID, expires))
		return CreatedApp{TenantID: admin.TenantID, ClientID: res.App.AppID, EnterpriseObjectID: res.App.ServicePrincipalID,
			ClientSecret: s.Value, SecretExpires: expires,
			Discard: func(ctx context.Context) error { return admin.RemoveSecret(ctx, res.App.ObjectID, s.KeyID) },
		}, nil
	}
}
