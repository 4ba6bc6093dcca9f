package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	stdsync "sync"

	"github.com/spf13/cobra"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/idm"
	invsync "invitesync/sync"
	"invitesync/sync/store"
)

func newRunCmd(a *app) *cobra.Command {
	var once bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the poll loop headless (as a service)",
		Long: `Run the poll loop of every enabled automation until SIGINT, SIGTERM or SIGHUP,
with structured logs on standard error (INVITESYNC_DEBUG=1 for debug level).
With --once: one full poll per automation and an outbox drain, then exit — 0
only when nothing failed and nothing is still waiting.

Secrets come from the OS keyring, or from INVITESYNC_CLIENT_SECRET(_FILE) and
INVITESYNC_IDM_API_KEY(_FILE), which win when set. INVITESYNC_AUTHORITY_HOST
and INVITESYNC_GRAPH_URL redirect the Microsoft endpoints; SSL_CERT_FILE adds
a private CA.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.run(cmd.Context(), once) },
	}
	cmd.Flags().BoolVar(&once, "once", false, "poll every automation once, deliver the outbox, then exit")
	return cmd
}

// run is `invitesync run [--once]`.
func (a *app) run(ctx context.Context, once bool) error {
	log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: logLevel()}))
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
		return runOnce(ctx, engines, log)
	}
	log.Info("invitesync running", "version", version, "automations", len(engines), "state", st.Path())
	var wg stdsync.WaitGroup
	errs := make([]error, len(engines))
	for i, e := range engines {
		wg.Go(func() {
			if errs[i] = e.Run(ctx); errs[i] != nil {
				log.Error("automation stopped", "automation", e.Name(), "error", errs[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return failedErr(err)
	}
	log.Info("invitesync stopped")
	return nil
}

// runOnce polls each automation once and drains its outbox.
func runOnce(ctx context.Context, engines []*invsync.Engine, log *slog.Logger) error {
	var failed []string
	for _, e := range engines {
		res, err := e.RunOnce(ctx)
		l := log.With("automation", e.Name())
		switch {
		case err != nil: // the engine has logged it
			failed = append(failed, fmt.Sprintf("%s: %v", e.Name(), err))
		case !res.OK():
			l.Error("operations not delivered", "failed", res.Drain.Failed, "pending", res.Pending)
			failed = append(failed, fmt.Sprintf("%s: %d operation(s) failed, %d still pending", e.Name(), res.Drain.Failed, res.Pending))
		default:
			l.Info("cycle complete", "events", res.Events, "delivered", res.Drain.Done, "kept_checked_in", res.Drain.Kept)
		}
	}
	if len(failed) > 0 {
		return failedErr(fmt.Errorf("run --once: %s", joinLines(failed)))
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
	secrets := a.secretStore()
	key, _, err := config.IDMAPIKey().Resolve(secrets)
	if err != nil {
		return nil, usageErr(err)
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
		secret, _, err := config.ClientSecret(auto.Name).Resolve(secrets)
		if err != nil {
			problems = append(problems, err)
			continue
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

// joinLines puts one item on a line, indented, after a first line break.
func joinLines(lines []string) string {
	if len(lines) == 1 {
		return lines[0]
	}
	return "\n  " + strings.Join(lines, "\n  ")
}
