package tui

import (
	"errors"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"invitesync/config"
	"invitesync/diag"
)

// A failed Save lands on the step and the field that fix it, with the
// diagnosis beside the field; from there one key (or finishing that step)
// runs the live test again with everything else kept. A resumed set-up
// asks again for the client secret, which is never kept between runs,
// before it continues where it stopped.

// --- MSG ---

// focusMsg moves the focus of the step's form to the field key once the
// form has started.
type focusMsg struct{ key string }

// --- MODEL ---

// fieldPlace is where a field is asked: its step, the part of step 6, and
// the page of that step's form.
type fieldPlace struct{ step, part, page int }

// fieldPlaces maps every field key to where it is asked.
var fieldPlaces = map[string]fieldPlace{
	keyAppName: {1, 0, 0}, keyCreateApp: {1, 0, 0}, keyConsent: {2, 0, 0},
	keyClientSecret: {3, 0, 0}, keySecretExpires: {3, 0, 0}, keySecretIsValue: {3, 0, 1},
	keyTenantID: {4, 0, 0}, keyClientID: {4, 0, 0}, keyObjectID: {4, 0, 0}, keyMailbox: {4, 0, 0},
	keyScope: {5, 0, 0}, keyPolicyGroup: {5, 0, 1}, keyFullAccess: {5, 0, 2}, keyScriptPath: {5, 0, 3}, keyCopyScript: {5, 0, 3},
	keyIDMURL: {6, 0, 0}, keyIDMAPIKey: {6, 0, 0},
	keyEnvironment: {6, 1, 0}, keyName: {6, 1, 0}, keyInterval: {6, 1, 0}, keyTimeZone: {6, 1, 0}, keyEnabled: {6, 1, 0},
	keyInternal: {6, 1, 1}, keyExclude: {6, 1, 1}, keyReplies: {6, 1, 1}, keyAdvanced: {6, 1, 1},
	keyLookAhead: {6, 1, 2}, keyDayStart: {6, 1, 2}, keyDayEnd: {6, 1, 2},
	keyReady: {6, 1, 3},
}

// firstField is the field a step starts on, when a failure names no
// field of its own.
var firstField = map[int]string{1: keyAppName, 2: keyConsent, 3: keyClientSecret, 4: keyTenantID, 5: keyScope, 6: keyIDMURL}

// configKeys maps the configuration's field names, which its validation
// and every save report, to the wizard's field keys where they differ.
var configKeys = map[string]string{
	"idm.url": keyIDMURL, config.FieldIDMAPIKey: keyIDMAPIKey, config.FieldClientSecret: keyClientSecret,
}

// fieldOfError finds the field a configuration error is about, and its
// message without the field's name.
func fieldOfError(err error) (key, msg string, ok bool) {
	var fe *config.FieldError
	if !errors.As(err, &fe) {
		return "", "", false
	}
	key = fe.Field
	if k, ok := configKeys[key]; ok {
		key = k
	}
	if _, ok := fieldPlaces[key]; !ok {
		return "", "", false
	}
	return key, fe.Message, true
}

// fieldOfCheck finds the field that fixes a failed check: from the
// service's code where it names one value, else the first field of the
// step the diagnosis names.
func fieldOfCheck(r diag.Result) string {
	code := strings.ToUpper(r.Code)
	switch {
	case r.ID == "secret":
		return keyClientSecret
	case r.ID == "idm-key":
		return keyIDMAPIKey
	case code == "AADSTS700016":
		return keyClientID
	case code == "AADSTS90002":
		return keyTenantID
	case r.Step == 3:
		return keyClientSecret
	case r.Step == 4 && r.ID != "token":
		return keyMailbox // the mailbox Graph does not find, or that has none
	case r.ID == "idm-environment":
		return keyEnvironment
	case strings.HasPrefix(r.ID, "idm") && (strings.Contains(r.Message, "API key") || code == "UNAUTHORIZED" || code == "FORBIDDEN"):
		return keyIDMAPIKey
	case strings.HasPrefix(r.ID, "idm"):
		return keyIDMURL
	}
	step := r.Step
	if step < 1 || step > stepCount {
		step = 6
	}
	return firstField[step]
}

// --- UPDATE ---

// landOn shows the step with the field key, the problem beside it, and
// the key that tests and saves again. It returns the commands that start
// the form and move its focus there.
func (w *wizard) landOn(key, problem string) tea.Cmd {
	place, ok := fieldPlaces[key]
	if !ok {
		key, place = keyReady, fieldPlaces[keyReady]
	}
	w.fixing = true
	w.f.problem = map[string]string{}
	if problem != "" {
		w.f.problem[key] = problem
	}
	if place.step == 6 && place.part == 1 && place.page == 2 {
		w.f.advanced = true // the advanced page shows only when asked for
	}
	w.goTo(place.step, place.part)
	return tea.Sequence(w.form.Init(), func() tea.Msg { return focusMsg{key} })
}

// focus moves the form's focus to the field key: page by page, then field
// by field, as the person would with Enter.
func (w *wizard) focus(key string) tea.Cmd {
	page, index := -1, -1
	for p, keys := range w.f.pages {
		for i, k := range keys {
			if k == key {
				page, index = p, i
			}
		}
	}
	if page < 0 {
		return nil
	}
	var cmds []tea.Cmd
	for p := 0; p < page; p++ {
		if !w.f.pageHidden[p]() {
			cmds = append(cmds, w.form.NextGroup())
		}
	}
	for range index {
		cmds = append(cmds, w.form.NextField())
	}
	w.fitForm()
	return tea.Batch(cmds...)
}

// retry runs the live test again from the step on screen, keeping every
// answer: the field in focus is checked first, and stays in focus while
// it is wrong.
func (w *wizard) retry() tea.Cmd {
	if fld := w.form.GetFocusedField(); fld != nil {
		fld.Blur()
		if fld.Error() != nil {
			return fld.Focus()
		}
	}
	if looksLikeSecretID(w.f.sec.ClientSecret) && !w.f.useSecretID {
		return w.landOn(keyClientSecret, "That looks like the Secret ID: paste the secret's Value.")
	}
	return tea.Batch(keepProgress(w.progressPath(), *w.f.d), w.startSave())
}

// failed lands on the field that fixes a failed check, with its diagnosis
// beside it and, above, the check's code and what to press.
// cause, when not nil, is the error behind the result (an invalid setting,
// a refused save), which may name the field itself.
func (w *wizard) failed(r diag.Result, cause error) tea.Cmd {
	key := fieldOfCheck(r)
	var problem string
	if k, msg, ok := fieldOfError(cause); ok {
		key, problem = k, msg
	}
	if problem == "" {
		problem = r.Message
		if r.Fix != "" {
			problem += " " + r.Fix
		}
	}
	if r.Code != "" {
		problem = r.Code + ": " + problem
	}
	cmd := w.landOn(key, sanitize(problem))
	w.banner = &r
	return cmd
}

// resumeSecret asks for the client secret on step 3 before a resumed
// set-up continues at step, since secrets are never kept between runs.
func (w *wizard) resumeSecret(step int) tea.Cmd {
	w.resumeAt = step
	w.goTo(3, 0)
	w.notice = "Secrets are never kept between runs: enter the client secret of " + w.automationLabel() +
		" again, then the set-up continues at step " + strconv.Itoa(step) + "."
	return w.form.Init()
}

// automationLabel names the automation being set up, for messages.
func (w *wizard) automationLabel() string {
	switch name := strings.TrimSpace(w.f.d.Name); {
	case name != "":
		return `automation "` + sanitize(name) + `"`
	case w.f.d.Editing != "":
		return `automation "` + sanitize(w.f.d.Editing) + `"`
	}
	return "the new automation"
}

// Validation as you type: a field is checked once typing in it pauses for
// validatePause, and (by huh) when the focus leaves it.

// validatePause is how long typing must pause before the field is checked.
const validatePause = 600 * time.Millisecond

// validateMsg asks to check field if nothing was typed since edit.
type validateMsg struct {
	field huh.Field
	edit  int
}

// editedField notes a key that edits the focused text field and returns
// the command that checks it after the pause; nil for other messages.
func (w *wizard) editedField(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyMsg)
	if !ok || w.state != stateStep {
		return nil
	}
	switch k.Type {
	case tea.KeyRunes, tea.KeySpace, tea.KeyBackspace, tea.KeyDelete, tea.KeyCtrlU, tea.KeyCtrlK, tea.KeyCtrlW, tea.KeyCtrlH:
	default:
		return nil
	}
	fld, ok := w.form.GetFocusedField().(*huh.Input)
	if !ok {
		return nil
	}
	w.edits++
	m := validateMsg{field: fld, edit: w.edits}
	return tea.Tick(validatePause, func(time.Time) tea.Msg { return m })
}

// validatePaused checks the field typed in, when typing has paused and it
// still has the focus: huh checks a field as it loses the focus, so it is
// blurred and focused again.
func (w *wizard) validatePaused(m validateMsg) tea.Cmd {
	if w.state != stateStep || m.edit != w.edits || w.form.GetFocusedField() != m.field {
		return nil
	}
	m.field.Blur()
	cmd := m.field.Focus()
	w.fitForm()
	return cmd
}
