package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"invitesync/config"
	"invitesync/idm"
	"invitesync/internal/text"
	invsync "invitesync/sync"
	"invitesync/sync/store"
)

func newRemoveCmd(a *app) *cobra.Command {
	var cancel, keep bool
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an automation, its keyring items and its state",
		Long: `Remove the automation NAME: from the configuration file, its client secret
from the OS keyring (and the IDM API key when no automation is left), and
everything the state database holds about it.

Its visits still to come stay in Salto IDM unless you say otherwise: remove
lists them and asks whether to cancel them; --cancel-visits cancels them
without asking, --keep-visits keeps them without asking. When they cannot all
be cancelled, nothing is removed, so that running remove again finishes the
job.

A running ` + "`invitesync run`" + ` that drives the automation must be stopped first.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cancel && keep {
				return usageErr(errors.New("--cancel-visits and --keep-visits: give one of them, not both"))
			}
			return a.remove(cmd.Context(), args[0], cancel, keep)
		},
	}
	cmd.Flags().BoolVar(&cancel, "cancel-visits", false, "cancel the automation's future visits in Salto IDM without asking")
	cmd.Flags().BoolVar(&keep, "keep-visits", false, "keep the automation's future visits in Salto IDM without asking")
	return cmd
}

// remove is `invitesync remove NAME`.
func (a *app) remove(ctx context.Context, name string, cancel, keep bool) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	auto, ok := findAutomation(cfg, name)
	if !ok {
		return usageErr(fmt.Errorf("there is no automation %q in %s (there are: %s)", name, a.configPath, automationNames(cfg)))
	}
	name = auto.Name
	secrets := a.secretStore()

	var st *store.Store
	if _, err := os.Stat(a.statePath); err == nil {
		if st, err = store.Open(ctx, a.statePath); err != nil {
			return failedErr(err)
		}
		defer st.Close()
		owner := fmt.Sprintf("invitesync remove, pid %d", os.Getpid())
		if _, err := st.Acquire(ctx, name, owner, 10*time.Minute); err != nil {
			return failedErr(fmt.Errorf("not removed: %w", err))
		}
		defer st.Release(context.WithoutCancel(ctx), name, owner)
		future, err := st.FutureVisits(ctx, name, time.Now())
		if err != nil {
			return failedErr(err)
		}
		if len(future) > 0 {
			if !cancel && !keep {
				cancel = a.askCancel(name, auto.TimeZone, future)
			}
			if cancel {
				if err := a.cancelVisits(ctx, cfg, secrets, future); err != nil {
					return failedErr(fmt.Errorf("nothing was removed: %w; run remove again to finish", err))
				}
				fmt.Fprintf(a.stdout, "Cancelled %d future visits in Salto IDM.\n", len(future))
			} else {
				fmt.Fprintf(a.stdout, "Kept %d future visits in Salto IDM; cancel them there if they should not happen.\n", len(future))
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return failedErr(fmt.Errorf("state database %s: %w", a.statePath, err))
	}

	next := *cfg
	next.Automations = nil
	for _, x := range cfg.Automations {
		if x.Name != name {
			next.Automations = append(next.Automations, x)
		}
	}
	if err := config.Save(a.configPath, &next); err != nil {
		return failedErr(fmt.Errorf("nothing was removed: %w", err))
	}
	fmt.Fprintf(a.stdout, "Removed automation %q from %s.\n", text.Clean(name, 100), a.configPath)

	var problems []error
	items := []config.Secret{config.ClientSecret(name)}
	if len(next.Automations) == 0 {
		items = append(items, config.IDMAPIKey())
	}
	for _, s := range items {
		switch err := secrets.Delete(s.Key); {
		case err == nil:
			fmt.Fprintf(a.stdout, "Deleted %s from the OS keyring (item %q).\n", s.Label, secrets.StoreKey(s.Key))
		case errors.Is(err, config.ErrSecretNotFound):
		case errors.Is(err, config.ErrKeyringUnavailable):
			fmt.Fprintf(a.stdout, "No OS keyring to delete %s from (%v).\n", s.Label, err)
		default:
			problems = append(problems, fmt.Errorf("%s could not be deleted from the OS keyring (item %q): %w", s.Label, secrets.StoreKey(s.Key), err))
		}
	}
	if st != nil {
		if err := st.Forget(ctx, name); err != nil {
			problems = append(problems, fmt.Errorf("its state could not be deleted: %w", err))
		} else {
			fmt.Fprintf(a.stdout, "Deleted its state from %s.\n", st.Path())
		}
	}
	if len(next.Automations) == 0 {
		fmt.Fprintln(a.stdout, "No automation is left: `invitesync setup` adds one (and asks for the IDM API key again).")
	}
	if len(problems) > 0 {
		return failedErr(fmt.Errorf("removed from the configuration, but: %w", errors.Join(problems...)))
	}
	return nil
}

// findAutomation finds name exactly, else as the one automation whose
// name matches it ignoring case.
func findAutomation(cfg *config.Config, name string) (config.Automation, bool) {
	if a, ok := cfg.Automation(name); ok {
		return *a, true
	}
	var found []config.Automation
	for _, a := range cfg.Automations {
		if strings.EqualFold(a.Name, name) {
			found = append(found, a)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return config.Automation{}, false
}

// askCancel lists the future visits and asks whether to cancel them; no
// answer (end of input) keeps them.
func (a *app) askCancel(name, zone string, future []store.Visit) bool {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.Local
	}
	fmt.Fprintf(a.stdout, "Automation %q has %d visits still to come in Salto IDM:\n", text.Clean(name, 100), len(future))
	for i, v := range future {
		if i == 5 {
			fmt.Fprintf(a.stdout, "  … and %d more\n", len(future)-i)
			break
		}
		fmt.Fprintf(a.stdout, "  %s  %s\n", v.Arrival.In(loc).Format("Mon 02 Jan 15:04 MST"), text.Clean(v.VisitorEmail, 254))
	}
	fmt.Fprint(a.stdout, "Cancel them in Salto IDM? [y/N] ")
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	fmt.Fprintln(a.stdout)
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// cancelVisits cancels the visits in IDM, stopping at the first failure.
func (a *app) cancelVisits(ctx context.Context, cfg *config.Config, secrets config.SecretStore, visits []store.Visit) error {
	key, _, err := config.IDMAPIKey().Resolve(secrets)
	if err != nil {
		return err
	}
	client, err := idm.New(cfg.IDM.URL, key, idm.Options{HTTPClient: invsync.PooledClient(nil)})
	if err != nil {
		return fmt.Errorf("idm.url: %w", err)
	}
	for i, v := range visits {
		if err := client.DeleteVisit(ctx, v.Ref); err != nil {
			return fmt.Errorf("cancelled %d of %d visits, then Salto IDM refused the visit of %s: %w", i, len(visits), text.Clean(v.VisitorEmail, 254), err)
		}
	}
	return nil
}
