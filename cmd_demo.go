package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"invitesync/config"
	"invitesync/demo"
	"invitesync/graph"
	"invitesync/setup"
	"invitesync/sync/store"
	"invitesync/tui"
)

// demoEvery is how often the demo's calendar changes by default.
const demoEvery = 5 * time.Second

func newDemoCmd(a *app) *cobra.Command {
	var (
		skipWizard bool
		every      time.Duration
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Everything against built-in simulators, with a realistic week of meetings",
		Long: `Try invitesync without Microsoft 365 or Salto IDM: the demo starts simulators of
both on this machine, with a dedicated mailbox whose calendar holds a realistic
week (external and internal meetings, a recurring one, an all-day one, one whose
host is not an employee, one cancelled). The set-up wizard opens with every field
filled in: press Enter through it. Then the dashboard shows the invitations
becoming visits while new invitations, moves and cancellations keep arriving.

The demo never touches your configuration, state or keyring: it works in a
temporary directory, keeps its secrets in memory, and removes everything when
you quit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if every <= 0 {
				return usageErr(fmt.Errorf("--every must be a positive duration such as 5s, not %s", every))
			}
			return a.demo(cmd.Context(), skipWizard, every)
		},
	}
	cmd.Flags().BoolVar(&skipWizard, "skip-wizard", false, "go straight to the dashboard")
	cmd.Flags().DurationVar(&every, "every", demoEvery, "how often a new invitation, move or cancellation arrives")
	return cmd
}

// demo runs the wizard and the dashboard against the simulators, in a
// temporary directory that is removed on the way out.
func (a *app) demo(ctx context.Context, skipWizard bool, every time.Duration) (err error) {
	// Closing the terminal (SIGHUP, see main) ends the demo the way q does,
	// so its temporary directory goes too.
	if err := a.needTerminal("the demo", "run `invitesync demo` in a terminal"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "invitesync-demo-")
	if err != nil {
		return failedErr(fmt.Errorf("demo: cannot create its temporary directory: %w", err))
	}
	defer func() {
		if rmErr := os.RemoveAll(dir); rmErr != nil && err == nil {
			err = failedErr(fmt.Errorf("demo: cannot remove %s: %w", dir, rmErr))
		}
	}()
	now := time.Now()
	d, err := demo.Start(dir, now)
	if err != nil {
		return failedErr(err)
	}
	defer d.Close()
	if err := useDemoEndpoints(d); err != nil {
		return failedErr(err)
	}
	a.configPath = filepath.Join(dir, "config.toml")
	a.statePath = filepath.Join(dir, stateDBName)
	a.secrets = config.NewMemoryStore()

	cfg, clientSecret, apiKey := d.Config(now)
	if skipWizard {
		if err := saveDemoConfig(ctx, a.configPath, a.secretStore(), cfg, clientSecret, apiKey, now); err != nil {
			return failedErr(err)
		}
	} else if err := a.demoWizard(ctx, cfg, clientSecret, apiKey); err != nil {
		return err
	}
	if cfg, err = a.loadConfig(); err != nil {
		return err
	}

	st, err := store.Open(ctx, a.statePath)
	if err != nil {
		return failedErr(err)
	}
	defer st.Close()
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	log, closeLog, err := openLog(a.statePath)
	if err != nil {
		return failedErr(err)
	}
	defer closeLog()
	var names []string
	for _, au := range cfg.Automations {
		names = append(names, au.Name)
	}
	// The calendar changed: ask every loop that is not paused to poll rather
	// than wait for its interval.
	poke := demo.NudgeLoops(streamCtx, st, names, func(err error) { log.Warn(err.Error()) })
	go d.NewStream(uint64(now.UnixNano()), nil).Run(streamCtx, every, poke,
		func(err error) { log.Warn("demo: calendar change failed", "error", err) })
	return a.dashboard(ctx, cfg, dashboardFlags{runLoops: true, refresh: time.Second})
}

// useDemoEndpoints points this process at the simulators the way an
// administrator points invitesync at a private cloud: the endpoint variables
// and SSL_CERT_FILE for the simulators' certificate. Secrets given to a
// service through the environment are ignored: the demo's are in memory.
func useDemoEndpoints(d *demo.Demo) error {
	for k, v := range map[string]string{
		graph.EnvAuthorityHost: d.Graph.AuthorityHost(),
		graph.EnvGraphURL:      d.Graph.GraphURL(),
		"SSL_CERT_FILE":        d.CAFile,
	} {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	for _, k := range []string{config.EnvClientSecret, config.EnvClientSecretFile, config.EnvIDMAPIKey, config.EnvIDMAPIKeyFile} {
		if err := os.Unsetenv(k); err != nil {
			return err
		}
	}
	return nil
}

// saveDemoConfig saves the demo's automation the way every set-up saves
// one (setup.Save), without the wizard and its live test.
func saveDemoConfig(ctx context.Context, path string, secrets *config.Secrets, cfg *config.Config, clientSecret, apiKey string, now time.Time) error {
	_, _, err := setup.Save(ctx, setup.Request{ConfigPath: path, Secrets: secrets, Now: now, Change: config.Change{
		Automation: cfg.Automations[0], IDM: cfg.IDM, ClientSecret: clientSecret, IDMAPIKey: apiKey,
	}})
	return err
}

// demoWizard runs the set-up wizard prefilled with the simulators' values,
// so a newcomer can press Enter through it; its live test and Save are the
// real ones. Leaving it before Save ends the demo.
func (a *app) demoWizard(ctx context.Context, cfg *config.Config, clientSecret, apiKey string) error {
	draft := tui.DraftFromAutomation(cfg.Automations[0], cfg.IDM)
	draft.Editing = "" // a new automation
	accessible := os.Getenv(envAccessible) != "" && os.Getenv(envAccessible) != "0"
	res, err := a.wizard(ctx, &draft, tui.Secrets{ClientSecret: clientSecret, IDMAPIKey: apiKey}, accessible)
	if err != nil && !res.Saved && res.Step > 0 {
		return failedErr(errors.New("the demo ended before the set-up was saved"))
	}
	return err
}
