package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	stdsync "sync"

	"github.com/spf13/cobra"

	"invitesync/config"
	invsync "invitesync/sync"
	"invitesync/sync/store"
	"invitesync/tui"
)

// logFileName is where the dashboard's process logs while the screen is
// taken: next to the state database.
const logFileName = "invitesync.log"

func newDashboardCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "dashboard",
		Short: "Keyboard dashboard of the poll loop; attaches to a running service",
		Long: `Show each automation's poll loop: its state, the last and next poll, the counts,
the client secret's expiry, and the processed events with their details.

The dashboard runs the loops of the enabled automations itself, except those
another invitesync process (such as an ` + "`invitesync run`" + ` service on the same
state database) already runs: it attaches to those, reading the state database
and sending poll now, pause, resume and retry to that process through it. Two
loops never run one automation. Logs go to ` + logFileName + ` next to the state
database while the dashboard is on screen.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runDashboard(cmd) },
	}
}

// runDashboard opens the dashboard.
func (a *app) runDashboard(cmd *cobra.Command) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	return a.dashboard(cmd.Context(), cfg)
}

// dashboard runs the dashboard on the state database until the person quits.
func (a *app) dashboard(ctx context.Context, cfg *config.Config) error {
	if err := a.needTerminal("the dashboard", "run it in a terminal, or use `invitesync status` and `invitesync run` in scripts and services"); err != nil {
		return err
	}
	var autos []config.Automation
	for _, au := range cfg.Automations {
		if au.Enabled {
			autos = append(autos, au)
		}
	}
	if len(autos) == 0 {
		return usageErr(fmt.Errorf("no enabled automation in %s: add or enable one with `invitesync setup`", a.configPath))
	}
	st, err := store.Open(ctx, a.statePath)
	if err != nil {
		return failedErr(err)
	}
	defer st.Close()
	log, closeLog, err := openLog(st.Path())
	if err != nil {
		return failedErr(err)
	}
	defer closeLog()

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	loops, err := a.startLoops(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	defer loops.wait()

	err = tui.RunDashboard(tui.DashboardOptions{
		Context:     ctx,
		Source:      st,
		Automations: autos,
		RunsHere:    loops.runsHere,
		Changes:     loops.changes,
		Logger:      log,
	}, a.stdin, a.stdout)
	stop()
	if err != nil {
		return failedErr(err)
	}
	return nil
}

// openLog opens the log file next to the state database, for the time the
// dashboard owns the terminal.
func openLog(statePath string) (*slog.Logger, func() error, error) {
	path := filepath.Join(filepath.Dir(statePath), logFileName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the log file: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: logLevel()})), f.Close, nil
}

// loops are the poll loops this process runs for its dashboard.
type loops struct {
	changes chan struct{} // a nudge per piece of engine news, never blocking
	wg      stdsync.WaitGroup

	mu   stdsync.Mutex
	here map[string]bool // automations whose loop runs in this process
}

// startLoops starts the loop of every enabled automation that no other
// process runs; the others are only shown (attached), and need no secret
// here. A loop that loses the race for its lease to another process leaves
// its automation attached too.
func (a *app) startLoops(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) (*loops, error) {
	l := &loops{changes: make(chan struct{}, 1), here: map[string]bool{}}
	free := *cfg
	free.Automations = nil
	for _, au := range cfg.Automations {
		if !au.Enabled {
			continue
		}
		lease, held, err := st.Lease(ctx, au.Name)
		if err != nil {
			return nil, failedErr(err)
		}
		if held {
			log.Info("attached: another process runs this automation", "automation", au.Name, "owner", lease.Owner)
			continue
		}
		free.Automations = append(free.Automations, au)
	}
	if len(free.Automations) == 0 {
		return l, nil
	}
	feed := invsync.NewFeed(64)
	engines, err := a.engines(&free, st, log, feed)
	if err != nil {
		return nil, err
	}
	for _, e := range engines {
		l.set(e.Name(), true)
		l.wg.Go(func() {
			err := e.Run(ctx)
			l.set(e.Name(), false)
			switch {
			case errors.Is(err, store.ErrLeaseHeld):
				log.Info("attached: another process took this automation first", "automation", e.Name(), "error", err)
			case err != nil:
				log.Error("automation stopped", "automation", e.Name(), "error", err)
			}
			l.nudge()
		})
	}
	l.wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-feed.Events():
				l.nudge()
			}
		}
	})
	return l, nil
}

func (l *loops) set(automation string, here bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.here[automation] = here
}

// runsHere reports whether this process runs the automation's loop.
func (l *loops) runsHere(automation string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.here[automation]
}

// nudge tells the dashboard to read the store, unless it has been told already.
func (l *loops) nudge() {
	select {
	case l.changes <- struct{}{}:
	default:
	}
}

// wait returns once every loop has stopped (and released its lease).
func (l *loops) wait() { l.wg.Wait() }
