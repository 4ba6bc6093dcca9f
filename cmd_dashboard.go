package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"invitesync/config"
	invsync "invitesync/sync"
	"invitesync/sync/store"
	"invitesync/tui"
)

// logFileName is where the dashboard's process logs while the screen is
// taken: next to the state database.
const logFileName = "invitesync.log"

// dashboardFlags are the dashboard's choices from the command line.
type dashboardFlags struct {
	watch    bool          // follow the state database only; never steer a loop
	runLoops bool          // run the loops nobody runs, in this process, at once
	refresh  time.Duration // how often the screen reads the state database
	logFile  string        // the log to write and follow; "" for the default
}

// Refresh bounds: faster than this only loads the database; slower, and
// the countdowns stop meaning anything.
const (
	minRefresh = 100 * time.Millisecond
	maxRefresh = time.Hour
)

func newDashboardCmd(a *app) *cobra.Command {
	var f dashboardFlags
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Keyboard dashboard of the poll loops; follows a running service",
		Long: `Show each automation's poll loop: its state, the last and next poll, the counts,
the client secret's expiry, and the processed events with their details.

The dashboard follows the state database: it shows what the loops record,
whichever process runs them (such as an ` + "`invitesync run`" + ` service), and sends
poll now, pause, resume and retry to that process through the database. When
no process runs an automation, the header says so ("not running: start
` + "`invitesync run`" + `"); the dashboard starts no loop by itself. To run the loops
in the dashboard instead, pass --run-loops, or press S and confirm: they then
poll, write visits and answer organizers until you quit. Two loops never run
one automation.

With several automations the dashboard opens on an overview of all of them,
enabled or not — verdict, state, polls, counts, operations, secret expiry and
last error, one line each — that scrolls and filters (/); enter opens one, esc
comes back.

--watch only looks: it sends no command and starts no loop, whether or not a
service runs, so an integrator can follow a customer's system without
changing it; "watch only" shows in the header. Without --watch, w switches
the same mode on and off. Logs go to ` + logFileName + ` next to the state database
while the dashboard is on screen (--log-file names another file): l shows
that log as it grows, with its levels (v sets the lowest shown) and a filter
(/). Point --log-file at the service's log — for instance the file systemd
appends its standard error to (StandardError=append:PATH) — to follow the
service.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return usageErr(err)
			}
			return a.runDashboard(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.watch, "watch", false, "only look: send no command and start no loop")
	fl.BoolVar(&f.runLoops, "run-loops", false, "run the loops of the automations nobody runs, in this process")
	fl.DurationVar(&f.refresh, "refresh", time.Second, "how often the screen reads the state database, from 100ms to 1h")
	fl.StringVar(&f.logFile, "log-file", "", "the log the log pane (l) follows and the dashboard writes to (default "+logFileName+" next to the state database)")
	return cmd
}

// validate checks the flags together.
func (f dashboardFlags) validate() error {
	if f.watch && f.runLoops {
		return errors.New("--watch and --run-loops exclude each other: watching starts no loop")
	}
	if f.refresh < minRefresh || f.refresh > maxRefresh {
		return fmt.Errorf("--refresh must be a duration from %s to %s, such as 2s, not %s", minRefresh, maxRefresh, f.refresh)
	}
	return nil
}

// runDashboard opens the dashboard.
func (a *app) runDashboard(cmd *cobra.Command, f dashboardFlags) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	return a.dashboard(cmd.Context(), cfg, f)
}

// dashboard runs the dashboard on the state database until the person quits.
func (a *app) dashboard(ctx context.Context, cfg *config.Config, f dashboardFlags) error {
	if err := a.needTerminal("the dashboard", "run it in a terminal, or use `invitesync status` and `invitesync run` in scripts and services"); err != nil {
		return err
	}
	// Every automation shows, enabled or not: the overview lists them all.
	autos := cfg.Automations
	if len(autos) == 0 {
		return usageErr(fmt.Errorf("no automation in %s: add one with `invitesync setup`", a.configPath))
	}
	if f.watch {
		// Watching creates nothing: no state database, no schema.
		if _, err := os.Stat(a.statePath); err != nil {
			return failedErr(fmt.Errorf("no state database to watch at %s (%w): start `invitesync run` first, or pass --state", a.statePath, err))
		}
	}
	st, err := store.Open(ctx, a.statePath)
	if err != nil {
		return failedErr(err)
	}
	defer st.Close()
	logPath := f.logFile
	if logPath == "" {
		logPath = defaultLogPath(st.Path())
	}
	// Watching writes nothing, not even a log: it only follows one.
	log, closeLog := slog.New(slog.DiscardHandler), func() error { return nil }
	if !f.watch {
		if log, closeLog, err = openLogFile(logPath); err != nil {
			return failedErr(err)
		}
	}
	defer closeLog()

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	sup := invsync.NewSupervisor(ctx, st, log)
	defer sup.Wait()
	opts := tui.DashboardOptions{
		Context:     ctx,
		Source:      st,
		Automations: autos,
		Refresh:     f.refresh,
		Watch:       f.watch,
		Logger:      log,
		LogFile:     logPath,
	}
	switch {
	case f.runLoops:
		if _, err := a.startLoops(ctx, cfg, st, sup, log); err != nil {
			return err
		}
	case !f.watch:
		opts.StartLoops = func() error {
			n, err := a.startLoops(ctx, cfg, st, sup, log)
			if err == nil && n == 0 {
				err = errors.New("another process runs every enabled automation: nothing to start")
			}
			return err
		}
	}
	if !f.watch {
		opts.RunsHere, opts.Changes = sup.RunsHere, sup.Changes()
	}
	err = tui.RunDashboard(opts, a.stdin, a.stdout)
	stop()
	if err != nil {
		return failedErr(err)
	}
	return nil
}

// defaultLogPath is where the dashboard logs unless told: next to the
// state database.
func defaultLogPath(statePath string) string {
	return filepath.Join(filepath.Dir(statePath), logFileName)
}

// openLog opens the log file next to the state database, for the time a
// full-screen view owns the terminal.
func openLog(statePath string) (*slog.Logger, func() error, error) {
	return openLogFile(defaultLogPath(statePath))
}

// openLogFile opens the log file at path for appending.
func openLogFile(path string) (*slog.Logger, func() error, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the log file: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: logLevel()})), f.Close, nil
}

// startLoops starts in sup the loop of every enabled automation that no
// process runs, and returns how many it started; the others are only shown
// (attached), and need no secret here. A loop that loses the race for its
// lease to another process leaves its automation attached too.
func (a *app) startLoops(ctx context.Context, cfg *config.Config, st *store.Store, sup *invsync.Supervisor, log *slog.Logger) (int, error) {
	free := *cfg
	var err error
	if free.Automations, err = sup.Unclaimed(ctx, cfg.Automations); err != nil {
		return 0, failedErr(err)
	}
	if len(free.Automations) == 0 {
		return 0, nil
	}
	engines, err := a.engines(&free, st, log, sup.Feed())
	if err != nil {
		return 0, err
	}
	return sup.Start(engines), nil
}
