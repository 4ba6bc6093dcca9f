package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/idm"
	"invitesync/internal/text"
	invsync "invitesync/sync"
	"invitesync/sync/store"
)

func newRunCmd(a *app) *cobra.Command {
	var once bool
	var window time.Duration
	var logFile string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the poll loop headless (as a service)",
		Long: `Run the poll loop of every enabled automation until SIGINT, SIGTERM or SIGHUP,
with structured logs on standard error (INVITESYNC_DEBUG=1 for debug level),
or appended to --log-file, which the dashboard's log pane (l) can follow
(invitesync dashboard --watch --log-file PATH).
Each loop holds a lease on its automation and its mailbox in the state
database, renewed while it works; a loop that loses it stops (the others go
on) and says which process holds it now.

With --once: one full poll per automation (all at once) and an outbox drain,
then one line per automation on standard output — delivered, failed (with the
first reason), still waiting (with the next try) — and exit 0 only when
nothing failed and nothing is still waiting. An operation that fails for good
is not retried; a retryable one is retried while it falls due within
--retry-window of the first delivery pass, and a pass still running 30 s
after the window closes is cut short. So --once ends at most the window plus
30 s after its first delivery pass.

Secrets come from the OS keyring, or from INVITESYNC_CLIENT_SECRET(_FILE) and
INVITESYNC_IDM_API_KEY(_FILE), which win when set; one automation's own
INVITESYNC_CLIENT_SECRET_<NAME> or INVITESYNC_CLIENT_SECRET_FILE_<NAME> (its
name upper-cased, other characters than A-Z and 0-9 as _) wins over the shared
one, so automations on different apps run headless. INVITESYNC_AUTHORITY_HOST
and INVITESYNC_GRAPH_URL redirect the Microsoft endpoints; SSL_CERT_FILE adds
a private CA.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if window < 0 {
				return usageErr(fmt.Errorf("--retry-window %s: want a duration of 0 or more, e.g. 20s", window))
			}
			log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: logLevel()}))
			if logFile != "" {
				fileLog, closeLog, err := openLogFile(logFile)
				if err != nil {
					return failedErr(fmt.Errorf("--log-file %s: %w", logFile, err))
				}
				defer closeLog()
				log = fileLog
			}
			return a.run(cmd.Context(), once, window, log)
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "poll every automation once, deliver the outbox, then exit")
	cmd.Flags().DurationVar(&window, "retry-window", invsync.OnceRetryWindow, "with --once: how long after the first delivery pass retries are still made")
	cmd.Flags().StringVar(&logFile, "log-file", "", "append the log to this file instead of standard error")
	return cmd
}

// run is `invitesync run [--once]`.
func (a *app) run(ctx context.Context, once bool, window time.Duration, log *slog.Logger) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, a.statePath)
	if err != nil {
		return failedErr(err)
	}
	defer st.Close()
	engines, err := a.engines(cfg, st, log, nil)
	if err != nil {
		return err
	}
	tuneGC()
	if once {
		return a.runOnce(ctx, engines, window, log)
	}
	log.Info("invitesync running", "version", version, "automations", len(engines), "state", st.Path())
	sup := invsync.NewSupervisor(ctx, st, log)
	sup.Start(engines)
	if err := sup.Wait(); err != nil {
		return failedErr(err)
	}
	log.Info("invitesync stopped")
	return nil
}

// runOnce polls every automation once, at the same time, drains each
// outbox, and prints one line per automation.
func (a *app) runOnce(ctx context.Context, engines []*invsync.Engine, window time.Duration, log *slog.Logger) error {
	results, errs := invsync.RunOnceAll(ctx, engines, window)
	now := time.Now()
	unfinished := 0
	for i, e := range engines {
		res, err := results[i], errs[i]
		line := res.Summary(now)
		l := log.With("automation", e.Name())
		switch {
		case errors.Is(err, store.ErrLeaseHeld) || errors.Is(err, store.ErrMailboxWatched):
			line = "not run: " + err.Error()
			l.Error("not run", "error", err)
		case err != nil: // the engine has logged it
			line = "failed: " + err.Error() + "; " + line
		case !res.OK():
			l.Error("operations not delivered", "delivered", res.Drain.Done, "failed", res.Drain.Failed, "waiting", res.Waiting.Pending)
		default:
			l.Info("cycle complete", "events", res.Events, "delivered", res.Drain.Done, "kept_checked_in", res.Drain.Kept)
		}
		if err != nil || !res.OK() {
			unfinished++
		}
		fmt.Fprintf(a.stdout, "%s: %s\n", text.Clean(e.Name(), 100), text.Clean(line, 0))
	}
	if unfinished > 0 {
		return failedErr(fmt.Errorf("run --once: %d of %d automations did not deliver everything (see above)", unfinished, len(engines)))
	}
	return nil
}

// loadConfig reads and validates the configuration; problems are usage errors.
func (a *app) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(a.configPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, usageErr(fmt.Errorf("no configuration at %s: run `invitesync setup` first, or pass --config", a.configPath))
	}
	if err != nil {
		return nil, usageErr(err)
	}
	return cfg, nil
}

// engines builds an engine for every enabled automation: its secrets, its
// Graph client (endpoints from the environment) and the shared IDM client.
func (a *app) engines(cfg *config.Config, st *store.Store, log *slog.Logger, feed *invsync.Feed) ([]*invsync.Engine, error) {
	gopts, err := graph.OptionsFromEnv()
	if err != nil {
		return nil, usageErr(err)
	}
	gopts.Logger = log
	gopts.Tokens = graph.NewTokens() // automations of one app sign in once
	secrets := a.secretStore()
	keyFound, err := config.IDMAPIKey().Lookup(secrets)
	if err != nil {
		return nil, usageErr(err)
	}
	key := keyFound.Value
	if note := keyFound.Note(config.IDMAPIKey()); note != "" {
		log.Info(note)
	}
	idmClient, err := idm.New(cfg.IDM.URL, key, idm.Options{HTTPClient: invsync.PooledClient(nil), Logger: log})
	if err != nil {
		return nil, usageErr(fmt.Errorf("idm.url: %w", err))
	}
	var engines []*invsync.Engine
	var problems []error
	for _, auto := range cfg.Automations {
		if !auto.Enabled {
			continue
		}
		found, err := config.ClientSecret(auto.Name).Lookup(secrets)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		secret := found.Value
		if note := found.Note(config.ClientSecret(auto.Name)); note != "" {
			log.Info(note)
		}
		gc, err := graph.New(auto, secret, gopts)
		if err != nil {
			problems = append(problems, fmt.Errorf("automation %q: %w", auto.Name, err))
			continue
		}
		e, err := invsync.NewEngine(invsync.Options{
			Automation: auto, Store: st, Calendar: gc, IDM: idmClient, Logger: log, Feed: feed,
		})
		if err != nil {
			problems = append(problems, err)
			continue
		}
		engines = append(engines, e)
	}
	if len(problems) > 0 {
		return nil, usageErr(errors.Join(problems...))
	}
	if len(engines) == 0 {
		return nil, usageErr(fmt.Errorf("no enabled automation in %s: enable one with `invitesync setup`", a.configPath))
	}
	return engines, nil
}

// tuneGC makes the garbage collector run less often than Go's default. The
// runner's live heap is small (tens of MB) but parsing Graph pages allocates
// a lot, so with the default GOGC=100 a first round over a large calendar
// spends a good part of its time collecting; a soft memory limit keeps the
// peak bounded all the same. GOGC and GOMEMLIMIT, when set, win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}

// logLevel is debug when INVITESYNC_DEBUG is set, else info.
func logLevel() slog.Level {
	if os.Getenv("INVITESYNC_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}
