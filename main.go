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
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
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
		newPreviewCmd(a),
		newDemoCmd(a),
	)
	return root
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

// runDefault is bare `invitesync`: the wizard without a config, else the dashboard.
func (a *app) runDefault(cmd *cobra.Command) error {
	if _, err := os.Stat(a.configPath); errors.Is(err, os.ErrNotExist) {
		return a.runWizard(cmd)
	}
	return a.runDashboard(cmd, dashboardFlags{refresh: time.Second})
}
