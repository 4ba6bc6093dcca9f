package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/pkg/browser"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/graph"
	"invitesync/graph/provision"
	"invitesync/idm"
	"invitesync/livecheck"
	"invitesync/tui"
)

// envAccessible turns on the wizard's accessible mode (plain prompts for
// screen readers), like --accessible.
const envAccessible = "ACCESSIBLE"

// addWizardFlags adds the wizard's flags to a command that starts it.
func addWizardFlags(f *pflag.FlagSet) {
	f.Bool("accessible", false, "plain prompts for screen readers instead of the full-screen wizard (env "+envAccessible+"=1)")
}

// runWizard starts the interactive set-up wizard: `invitesync setup`, and
// bare `invitesync` when there is no configuration yet.
func (a *app) runWizard(cmd *cobra.Command) error {
	accessible := os.Getenv(envAccessible) != "" && os.Getenv(envAccessible) != "0"
	if f := cmd.Flags().Lookup("accessible"); f != nil && f.Changed {
		accessible = f.Value.String() == "true"
	}
	_, err := a.wizard(cmd.Context(), nil, tui.Secrets{}, accessible)
	return err
}

// wizard runs the set-up wizard on this terminal. draft and secrets prefill
// it (the demo passes the simulators' values); nil starts afresh, resumes or
// edits. The live test is the one `invitesync check` runs.
func (a *app) wizard(ctx context.Context, draft *tui.Draft, secrets tui.Secrets, accessible bool) (tui.Result, error) {
	if !accessible {
		if err := a.needTerminal("the set-up wizard", "run it in a terminal, add --accessible for plain prompts, or use `invitesync setup --no-input …` in scripts"); err != nil {
			return tui.Result{}, err
		}
	}
	var cfg *config.Config
	switch c, err := config.Load(a.configPath); {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return tui.Result{}, usageErr(fmt.Errorf("%w\nFix the file (or move it away) and run the wizard again", err))
	default:
		cfg = c
	}
	gopts, err := graph.OptionsFromEnv()
	if err != nil {
		return tui.Result{}, usageErr(err)
	}
	if err := os.MkdirAll(filepath.Dir(a.statePath), 0o700); err != nil {
		return tui.Result{}, failedErr(fmt.Errorf("cannot create the state directory: %w", err))
	}
	log, closeLog, err := openLog(a.statePath)
	if err != nil {
		return tui.Result{}, failedErr(err)
	}
	defer closeLog()
	gopts.Logger = log

	steps := livecheck.Steps(false)
	checks := make([]tui.CheckInfo, len(steps))
	for i, s := range steps {
		checks[i] = tui.CheckInfo{ID: s.ID, Title: s.Title}
	}
	opts := tui.Options{
		ConfigPath: a.configPath,
		StatePath:  a.stepsState(),
		Config:     cfg,
		Draft:      draft,
		Secrets:    secrets,
		Store:      a.secretStore(),
		Checks:     checks,
		LiveTest: func(ctx context.Context, in tui.LiveTestInput, report func(diag.Result)) []diag.Result {
			check := livecheck.Input{Automation: in.Automation, IDMURL: in.IDM.URL,
				ClientSecret: in.ClientSecret, IDMKey: in.IDMAPIKey, Graph: gopts}
			if in.Fresh {
				return waitLiveReporting(ctx, check, provision.DefaultConsentWait, in.Waiting, report)
			}
			return livecheck.Run(ctx, check, report)
		},
		CreateApp:    wizardCreateApp(gopts, a.secretStore()),
		ConsentWait:  provision.DefaultConsentWait,
		Environments: idmEnvironments,
		OpenURL:      browserOpener(),
		Hyperlinks:   terminalHyperlinks(),
		Accessible:   accessible,
		Input:        a.stdin,
		Output:       a.stdout,
		Logger:       log,
	}
	res, err := tui.Run(ctx, opts)
	if errors.Is(err, tui.ErrAborted) {
		return res, failedErr(fmt.Errorf("set-up stopped at step %d before saving: run `invitesync setup` to continue there", res.Step))
	}
	if err != nil {
		return res, failedErr(err)
	}
	return res, nil
}

// idmEnvironments lists Salto IDM's environments for step 6.
func idmEnvironments(ctx context.Context, url, key string) ([]tui.Environment, error) {
	c, err := idm.New(url, key, idm.Options{})
	if err != nil {
		return nil, err
	}
	envs, err := c.Environments(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]tui.Environment, len(envs))
	for i, e := range envs {
		out[i] = tui.Environment{Name: e.Name, TimeZone: e.TimeZone}
	}
	return out, nil
}

// browserOpeners are the commands that open an address in a browser, on
// systems other than macOS and Windows, the likeliest to work first. A text
// browser that would take over the terminal is not one of them.
var browserOpeners = []string{"wslview", "xdg-open", "x-www-browser", "gnome-open", "kde-open"}

// browserOpener opens pages with the first opener found on PATH (always one
// on macOS and Windows), whether or not this session shows a graphical
// display: over SSH an opener may still reach one, and when it cannot, the
// wizard says so and the address stays on the screen. Nil: none.
func browserOpener() func(string) error {
	switch runtime.GOOS {
	case "darwin", "windows":
		// The opener's own output would land on the wizard's screen.
		browser.Stdout, browser.Stderr = io.Discard, io.Discard
		return browser.OpenURL
	}
	for _, name := range browserOpeners {
		path, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		return func(url string) error {
			cmd := exec.Command(path, url)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, io.Discard, io.Discard
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		}
	}
	return nil
}

// terminalHyperlinks reports whether the terminal is one that shows OSC 8
// links (or ignores them): not the Linux console nor a dumb terminal.
func terminalHyperlinks() bool {
	switch os.Getenv("TERM") {
	case "", "dumb", "linux":
		return false
	}
	return true
}
