package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/graph"
	"invitesync/internal/text"
	"invitesync/livecheck"
	invsync "invitesync/sync"
)

func newCheckCmd(a *app) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Live-test every automation; exit 0 only if all pass",
		Long: `Live-test every automation (or the one --automation names): sign in to Entra ID,
read the mailbox's calendar and calendar view, optionally prove that another
mailbox is refused (--probe-mailbox), reach Salto IDM with the API key and
find the automation's environment there. Every failure names the set-up step
to revisit and the fix. Exit status 0 when every check passes; 1 when one
fails; 3 when all pass but something needs attention: a warning (the probe
reached another mailbox, IDM's time zone differs), or a client secret that
expires within 14 days.

--json prints one document:
  {"ok":false,"automations":[{"name":"…","ok":false,"checks":[
    {"id":"token","ok":false,"step":3,"code":"AADSTS7000215","message":"…","fix":"…"}]}]}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.check(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "print the results as JSON")
	f.StringVar(&o.automation, "automation", "", "check only the automation with this name")
	f.StringVar(&o.probe, "probe-mailbox", "", "another mailbox the app must NOT be able to read (least-privilege probe)")
	return cmd
}

type checkOptions struct {
	json       bool
	automation string
	probe      string
}

// checkJSON is one check in `check --json`: always these keys (warning only
// when a passing check has something to act on).
type checkJSON struct {
	ID      string `json:"id"`
	OK      bool   `json:"ok"`
	Warning bool   `json:"warning,omitempty"`
	Step    int    `json:"step"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

type automationJSON struct {
	Name   string      `json:"name"`
	OK     bool        `json:"ok"`
	Checks []checkJSON `json:"checks"`
}

type checkReport struct {
	OK          bool             `json:"ok"`
	Automations []automationJSON `json:"automations"`
}

// check is `invitesync check`.
func (a *app) check(ctx context.Context, o checkOptions) error {
	if o.probe != "" {
		if err := config.ValidateAddress(o.probe); err != nil {
			return usageErr(fmt.Errorf("--probe-mailbox: %w", err))
		}
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	autos := cfg.Automations
	if o.automation != "" {
		autos = nil
		for _, au := range cfg.Automations {
			if au.Name == o.automation {
				autos = append(autos, au)
			}
		}
		if len(autos) == 0 {
			return usageErr(fmt.Errorf("--automation: no automation named %s in %s", text.Quote(o.automation), a.configPath))
		}
	}
	if len(autos) == 0 {
		return usageErr(fmt.Errorf("no automation in %s: run `invitesync setup` first", a.configPath))
	}
	gopts, err := graph.OptionsFromEnv()
	if err != nil {
		return usageErr(err)
	}
	secrets := a.secretStore()
	idmKey, _, idmKeyErr := config.IDMAPIKey().Resolve(secrets)
	report := checkReport{OK: true}
	var attention []string
	for _, au := range autos {
		secret, _, secretErr := config.ClientSecret(au.Name).Resolve(secrets)
		in := livecheck.Input{
			Automation: au, IDMURL: cfg.IDM.URL, ClientSecret: secret, IDMKey: idmKey,
			ProbeMailbox: o.probe, Graph: gopts,
		}
		var progress func(diag.Result)
		if !o.json {
			fmt.Fprintf(a.stdout, "%s\n", text.Clean(au.Name, 100))
			progress = func(r diag.Result) { printCheck(a.stdout, livecheck.ExplainSecrets(r, secretErr, idmKeyErr)) }
		}
		results := livecheck.Run(ctx, in, progress)
		out := automationJSON{Name: au.Name, OK: diag.Passed(results)}
		for _, r := range results {
			r = livecheck.ExplainSecrets(r, secretErr, idmKeyErr)
			out.Checks = append(out.Checks, checkJSON{ID: r.ID, OK: r.OK, Warning: r.Warning, Step: r.Step,
				Code: r.Code, Message: r.Message, Fix: r.Fix})
		}
		report.OK = report.OK && out.OK
		attention = append(attention, livecheck.Attention(au, results, time.Now())...)
		report.Automations = append(report.Automations, out)
	}
	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return failedErr(err)
		}
	}
	if !report.OK {
		return failedErr(errors.New("some checks failed"))
	}
	if len(attention) > 0 {
		if !o.json {
			fmt.Fprintln(a.stdout, "All checks passed, but something needs attention.")
		}
		h := invsync.NeedsAttention
		return &exitError{h.ExitCode(), fmt.Errorf("%s: %s", h, strings.Join(attention, " | "))}
	}
	if !o.json {
		fmt.Fprintln(a.stdout, "All checks passed.")
	}
	return nil
}

// printCheck prints one result: a symbol and a word with the message, and
// the fix on the next line.
func printCheck(w io.Writer, r diag.Result) {
	mark := "✓ ok  "
	switch {
	case !r.OK:
		mark = "✗ FAIL"
	case r.Warning:
		mark = "! warn"
	}
	where := ""
	if !r.OK && r.Step > 0 {
		where = fmt.Sprintf(" (step %d", r.Step)
		if r.Code != "" {
			where += ", " + r.Code
		}
		where += ")"
	}
	fmt.Fprintf(w, "  %s %-16s %s%s\n", mark, r.ID, r.Message, where)
	if r.Fix != "" && (!r.OK || r.Warning) {
		fmt.Fprintf(w, "         %-16s fix: %s\n", "", r.Fix)
	}
}
