// Command invitesync turns calendar invitations sent to a dedicated Microsoft 365
// mailbox into Salto IDM visitor invitations. It is also the set-up wizard and
// the dashboard of its own poll loop.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"invitesync/config"
	"invitesync/internal/text"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // the job ran and failed
	exitUsage   = 2 // usage or configuration error
	envConfig   = "INVITESYNC_CONFIG"
	envState    = "INVITESYNC_STATE"
	stateDBName = "state.db"
)

// app is what every command needs: where things live and where to write.
type app struct {
	configPath string
	statePath  string
	stateGiven bool // statePath came from --state
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	secrets    config.SecretStore // nil: the OS keyring (see secretStore)
}

// exitError carries the process exit code with the error to print.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as a usage or configuration error (exit 2).
func usageErr(err error) error { return &exitError{exitUsage, err} }

// failedErr marks err as a failed job (exit 1).
func failedErr(err error) error { return &exitError{exitFailed, err} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// execute runs the command line and returns the exit code.
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "invitesync:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Errors cobra raises itself (unknown flag, bad arguments) are usage errors.
	return exitUsage
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "invitesync",
		Short: "Turn calendar invitations into Salto IDM visitor invitations",
		Long: `invitesync watches a dedicated Microsoft 365 mailbox through Microsoft Graph.
When an employee invites a guest and that mailbox to a meeting, the guest becomes
a visitor in Salto IDM with the employee as host, and stays right when the
meeting moves, loses a guest or is cancelled.

With no configuration yet, invitesync starts the set-up wizard; otherwise it
opens the dashboard.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          unknownCommand,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.resolvePaths(); err != nil {
				return err
			}
			a.warnPermissions()
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runDefault(cmd) },
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.SuggestionsMinimumDistance = 2
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "configuration file (env "+envConfig+"; default under the user's config directory)")
	pf.StringVar(&a.statePath, "state", "", "state database (env "+envState+"; default under the XDG state directory)")
	addWizardFlags(root.Flags())
	root.AddCommand(
		newSetupCmd(a),
		newCheckCmd(a),
		newRunCmd(a),
		newDashboardCmd(a),
		newStatusCmd(a),
		newSecretCmd(a),
		newPreviewCmd(a),
		newRemoveCmd(a),
		newExchangeCmd(a),
		newServiceUnitCmd(a),
		newDemoCmd(a),
	)
	return root
}

// unknownCommand refuses arguments to bare `invitesync`: a mistyped
// command, answered with the commands it is close to.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageErr(errors.New(msg + " Run `invitesync --help` for the commands."))
}

// versionString is the version with the commit the binary was built from,
// as Go records it (see describeBuild).
func versionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version + " (commit unknown: built without build information)"
	}
	return describeBuild(version, info)
}

// describeBuild is v — or, for a "dev" build installed as a module
// version, that version — with the commit it was built from, "with
// uncommitted changes" when the tree had them, the commit's time and the
// Go version. A binary built outside a git clone (or with -buildvcs=false)
// says its commit is unknown.
func describeBuild(v string, info *debug.BuildInfo) string {
	if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	var commit, when string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if commit == "" {
		return v + " (commit unknown: built without version control information; " + info.GoVersion + ")"
	}
	v += " (commit " + commit
	if modified {
		v += ", with uncommitted changes"
	}
	if when != "" {
		v += ", " + when
	}
	return v + ", " + info.GoVersion + ")"
}

// resolvePaths applies flag, then environment, then default for both paths.
func (a *app) resolvePaths() error {
	if a.configPath == "" {
		a.configPath = os.Getenv(envConfig)
	}
	if a.configPath == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return usageErr(fmt.Errorf("no configuration directory (%v): pass --config or set %s", err, envConfig))
		}
		a.configPath = filepath.Join(dir, "invitesync", "config.toml")
	}
	a.stateGiven = a.statePath != ""
	if a.statePath == "" {
		a.statePath = os.Getenv(envState)
	}
	if a.statePath == "" {
		dir, err := stateDir()
		if err != nil {
			return usageErr(fmt.Errorf("no state directory (%v): pass --state or set %s", err, envState))
		}
		a.statePath = filepath.Join(dir, "invitesync", stateDBName)
	}
	for _, p := range []struct{ flag, env, path string }{{"config", envConfig, a.configPath}, {"state", envState, a.statePath}} {
		if len(p.path) > maxPath {
			return usageErr(fmt.Errorf("--%s (or %s): %s is not a path: expected at most %d characters", p.flag, p.env, text.Quote(p.path), maxPath))
		}
	}
	return nil
}

// maxPath is the longest path the system accepts (Linux's PATH_MAX).
const maxPath = 4096

// warnPermissions says on standard error when others may read the
// configuration file. A file or directory others may change is refused
// where the file is read (config.Read).
func (a *app) warnPermissions() {
	if w, err := config.CheckPermissions(a.configPath); err == nil && w != "" {
		fmt.Fprintf(a.stderr, "invitesync: warning: %s\n", w)
	}
}

// stepsState is the state database the suggested next commands name: the
// one given with --state; "" when it came from the environment or the
// default, which those commands find again the same way.
func (a *app) stepsState() string {
	if a.stateGiven {
		return a.statePath
	}
	return ""
}

// stateDir is $XDG_STATE_HOME, else ~/.local/state.
func stateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "state"), nil
}

// needTerminal refuses to start a full-screen interface when standard input
// or output is not a terminal, saying what to use instead.
func (a *app) needTerminal(what, instead string) error {
	for _, f := range []any{a.stdin, a.stdout} {
		if f, ok := f.(*os.File); !ok || !term.IsTerminal(f.Fd()) {
			return usageErr(fmt.Errorf("%s needs a terminal, and standard input or output is not one: %s", what, instead))
		}
	}
	return nil
}

// runDefault is bare `invitesync`: the wizard without a config or without
// an automation in it (all removed), else the dashboard.
func (a *app) runDefault(cmd *cobra.Command) error {
	if _, err := os.Stat(a.configPath); errors.Is(err, os.ErrNotExist) {
		return a.runWizard(cmd)
	}
	if cfg, err := config.Load(a.configPath); err == nil && len(cfg.Automations) == 0 {
		return a.runWizard(cmd)
	}
	return a.runDashboard(cmd, dashboardFlags{refresh: time.Second})
}
