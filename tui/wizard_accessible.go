package tui

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/setup"
)

// eofReader notes the end of input (Ctrl+D), which huh's accessible prompts
// swallow, so the wizard can stop instead of taking every default.
type eofReader struct {
	r   io.Reader
	eof atomic.Bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.eof.Store(true)
	}
	return n, err
}

// Fd passes the terminal through, for password prompts.
func (e *eofReader) Fd() uintptr {
	if f, ok := e.r.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

// runAccessible is the wizard in huh's accessible mode: plain prompts one
// after another, for screen readers. The steps, texts, fields, validation,
// live test and save are the same as on the full screen.
func runAccessible(ctx context.Context, opts Options) (Result, error) {
	opts.Accessible = true
	w := newWizard(opts)
	in := &eofReader{r: w.opts.Input}
	out := w.opts.Output
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	// ask runs one form; it gives up at once when ctx ends (Ctrl+C), since
	// a prompt cannot be interrupted.
	prompt := func(f *huh.Form) error {
		done := make(chan error, 1)
		go func() { done <- f.WithAccessible(true).WithInput(in).WithOutput(out).RunWithContext(ctx) }()
		select {
		case <-ctx.Done():
			return ErrAborted
		case err := <-done:
			if err != nil || in.eof.Load() {
				return ErrAborted
			}
			return nil
		}
	}
	stop := func() (Result, error) {
		say("")
		return Result{Step: w.f.d.Step}, ErrAborted
	}

	if w.notice != "" {
		say("%s", w.notice)
	}
	if w.state == stateChoose {
		if err := prompt(w.form); err != nil {
			return stop()
		}
		w.chosen()
		if w.notice != "" {
			say("%s", w.notice)
			w.notice = ""
		}
	}
	shown := "" // the commands as step 5 showed them
	for {
		w.f.d.Step = w.step
		shown = w.sayStep(say)
		for _, g := range w.f.stepGroups(w.step, w.part) {
			if g.hide != nil && g.hide() {
				continue
			}
			for _, q := range g.questions {
				if q.key == keyScriptPath && w.script() != shown {
					say("\nThe commands, as you chose them:\n%s", w.script())
				}
				if _, note := q.field.(*huh.Note); q.desc != "" && !note {
					say("%s", q.desc)
				}
				if err := prompt(w.f.newForm(huh.NewGroup(q.field))); err != nil {
					return stop()
				}
			}
		}
		if w.step == 5 {
			w.accessibleScript(say)
		}
		switch next := w.afterStep(); next.kind {
		case afterEnvironments:
			if w.opts.Environments != nil {
				say("Asking Salto IDM for its environments…")
				m := listEnvironments(ctx, w.opts.Environments, w.f.d.IDMURL, w.f.sec.IDMAPIKey, w.opts.Store)
				w.f.setEnvironments(m.envs, m.err)
			}
			w.part = 1
		case afterSave:
			_ = saveProgress(w.progressPath(), *w.f.d)
			res, ok := w.accessibleSave(ctx, say)
			if ok {
				return res, nil
			}
			if ctx.Err() != nil {
				return stop()
			}
		default: // afterCreate is not offered here
			if next.notice != "" {
				say("%s", next.notice)
			}
			w.step, w.part = next.step, next.part
			w.f.d.Step = w.step
			if err := saveProgress(w.progressPath(), *w.f.d); err != nil {
				say("%v", err)
			}
		}
	}
}

// sayStep says the step on screen as the full screen shows it: its title,
// on step 5 the commands first, its instruction, its pages, and the
// diagnosis that brought the person back to it. It returns the commands
// it showed.
func (w *wizard) sayStep(say func(string, ...any)) (script string) {
	say("\nStep %d of %d: %s", w.step, stepCount, stepTitles[w.step])
	if w.step == 5 {
		script = w.script()
		say("The commands:\n%s", script)
	}
	say("%s", stepText(w.step, w.f.d))
	for _, l := range stepLinks(w.step, w.f.d) {
		say("%s: %s", l.label, l.url)
	}
	if w.banner != nil {
		say("\n%s", plainDiagnosis(*w.banner))
		w.banner = nil
	}
	return script
}

// accessibleScript saves and copies step 5's commands as asked.
func (w *wizard) accessibleScript(say func(string, ...any)) {
	script := w.script()
	if path := w.f.d.ScriptPath; path != "" {
		if err := writeScript(path, script); err != nil {
			say("Could not save the commands: %v", err)
		} else {
			say("Saved the commands to %s", path)
		}
	}
	if w.f.copyScript {
		if err := copyOSC52(w.opts.Output, script); err != nil {
			say("Could not copy the commands: %v", err)
		}
	}
}

// accessibleSave tests and saves (see setup.Save), printing each check.
// When that fails it goes back to the step and field that fix it, as the
// full screen does (see failed).
func (w *wizard) accessibleSave(ctx context.Context, say func(string, ...any)) (Result, bool) {
	say("\nTesting the whole chain before saving…")
	var p *config.Plan
	var results []diag.Result
	req, err := w.saveRequest(LiveTestInput{}, func(r diag.Result) { say("%s: %s", r.ID, checkWord(r)) })
	if err == nil {
		tctx, cancel := context.WithTimeout(ctx, liveTestTimeout)
		req.Tested = func() { say("Storing the secrets and saving the configuration…") }
		p, results, err = setup.Save(tctx, req)
		cancel()
	}
	fail, cause, warnings := saveFailure(results, err)
	if fail != nil {
		w.failed(*fail, cause)
		say("%s\nGoing back to step %d.", plainDiagnosis(*fail), w.step)
		w.banner = nil
		_ = saveProgress(w.progressPath(), *w.f.d)
		return Result{}, false
	}
	_ = removeProgress(w.progressPath())
	res := Result{Saved: true, Automation: p.Automation, Warnings: warnings,
		Command: setupCommand(w.opts.ConfigPath, p.Automation, p.Config.IDM), Next: w.nextSteps(p.Automation), Notes: w.result.Notes}
	say("%s", savedText(plainStyles(), res))
	return res, true
}

// checkWord says a check's outcome in words.
func checkWord(r diag.Result) string {
	switch {
	case !r.OK:
		return "failed"
	case r.Warning:
		return "passed with a warning"
	}
	return "passed"
}

// plainDiagnosis is a diagnosis as plain sentences.
func plainDiagnosis(r diag.Result) string {
	var b strings.Builder
	if r.OK {
		b.WriteString("Warning")
	} else {
		b.WriteString("The live test failed")
	}
	if r.Code != "" {
		b.WriteString(" (" + sanitize(r.Code) + ")")
	}
	b.WriteString(": " + sanitize(r.Message))
	if r.Fix != "" {
		b.WriteString("\nFix: " + sanitize(r.Fix))
	}
	return b.String()
}

// plainStyles are styles without colour, for the accessible mode's text.
func plainStyles() styleSet {
	none := lipgloss.NoColor{}
	return newStyles(palette{Text: none, Muted: none, Accent: none, Good: none, Warn: none, Bad: none, Subtle: none, Contrast: none})
}
