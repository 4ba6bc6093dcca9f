package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/graph"
	"invitesync/internal/text"
	"invitesync/livecheck"
	"invitesync/setup"
)

func newSetupCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Set up or edit an automation (the wizard; --no-input for flags only)",
		Long: `Set up or edit an automation.

Without --no-input this is the wizard. With --no-input every answer comes from
flags: the automation named by --name is created, or edited when it exists (only
the flags given change). Nothing is saved unless the result is complete, as the
wizard asks for it: environment, mailbox (watched by no other automation), time
zone, tenant and client IDs, client secret and its expiry date (today or later), IDM
URL and API key. Each missing or bad field gets its own line, exit status 2.

Without --check nothing is tested: the configuration is saved as given, and
` + "`invitesync check`" + ` tests it later. With --check the live test of ` + "`invitesync check`" + `
runs first, on the automation as it would be saved; when it fails, nothing is
saved and the exit status is 1, with the diagnosis.

Secrets are never flag values: the client secret comes from --client-secret-file,
--client-secret-stdin, INVITESYNC_CLIENT_SECRET_FILE_<NAME> or
INVITESYNC_CLIENT_SECRET_<NAME> (the automation's name upper-cased, every
character but A-Z and 0-9 as _: "Front desk" is FRONT_DESK), or
INVITESYNC_CLIENT_SECRET(_FILE); the IDM API key from --idm-api-key-file or
INVITESYNC_IDM_API_KEY(_FILE). They are stored in the OS keyring when one is
available, under this configuration's own id (written into the file), so two
configurations never share one. A new automation's client secret, and a new
configuration's IDM API key, must be given; otherwise a secret not given is the
one already stored, and setup says which keyring item it keeps (never its value).

With --create-app an administrator signs in once, with a device code shown
here (open the page on any device and enter the code), and invitesync does steps
1–4 through Microsoft Graph: the app registration --app-name (default
Salto-IDM-Calendar-Integration-<environment>; one that exists is reused, and only
what it lacks is added), its enterprise application, admin consent for
Calendars.ReadWrite, and a client secret of --secret-months (default 12, at most
24). That needs the directory role Global Administrator or Privileged Role
Administrator (Application Administrators cannot consent to Microsoft Graph
application permissions). The secret is never shown: it goes into the OS keyring
once the live test passes; the test waits up to --consent-wait for Entra ID to
apply the new app and consent. Everything else is given as with --no-input. A
failure after something was created says what, and --delete-app removes it.`,
		Example: `  invitesync setup --no-input --name "Front desk" --environment Production \
    --mailbox visitors@contoso.com --timezone "W. Europe Standard Time" \
    --tenant-id 3f9a2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b \
    --client-id 0e9f8a7b-6c5d-4e3f-2a1b-0c9d8e7f6a5b \
    --client-secret-file ./client-secret --secret-expires 2027-05-31 \
    --idm-url https://idm.example.com/api/v1 --idm-api-key-file ./idm-api-key --check

  # Steps 1-4 done by an administrator's sign-in, then tested and saved:
  invitesync setup --create-app --name "Front desk" --environment Production \
    --mailbox visitors@contoso.com --timezone "W. Europe Standard Time" \
    --idm-url https://idm.example.com/api/v1 --idm-api-key-file ./idm-api-key

  # Give a new client secret by hand to an existing automation, and test before saving:
  invitesync setup --no-input --name "Front desk" --client-secret-stdin \
    --secret-expires 2029-05-31 --check < new-secret`,
		Args: noSetupArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if create, _ := cmd.Flags().GetBool("create-app"); create {
				return a.runCreateApp(cmd.Context(), cmd.Flags())
			}
			if del, _ := cmd.Flags().GetBool("delete-app"); del {
				return a.runDeleteApp(cmd.Context(), cmd.Flags())
			}
			if noInput, _ := cmd.Flags().GetBool("no-input"); noInput {
				return a.runSetupNoInput(cmd.Context(), cmd.Flags())
			}
			return a.runWizard(cmd)
		},
	}
	f := cmd.Flags()
	f.Bool("no-input", false, "take every answer from flags; never prompt")
	f.Bool("check", false, "with --no-input: run the live test before saving, and save only if it passes (without it nothing is tested)")
	addWizardFlags(f)
	f.String("name", "", "the automation to create or edit (required with --no-input)")
	for _, s := range setupFields {
		if s.list {
			f.StringSlice(s.flag, nil, s.usage)
		} else {
			f.String(s.flag, "", s.usage)
		}
	}
	f.Bool("disabled", false, "keep the automation switched off (--disabled=false switches it on)")
	f.Bool("no-replies", false, "do not answer organizers (--no-replies=false turns replies on)")
	f.String("client-secret-file", "", "read the client secret's Value from this file")
	f.Bool("client-secret-stdin", false, "read the client secret's Value from standard input")
	f.String("idm-api-key-file", "", "read the Salto IDM API key from this file")
	f.Bool("create-app", false, "steps 1–4 done for you after one administrator sign-in (device code): create or reuse the app registration (--app-name), its enterprise application, admin consent and a client secret, then test and save; never prompts")
	f.Bool("delete-app", false, "remove an app registration (--app-name or --client-id) and its enterprise application, after one administrator sign-in")
	addAdminFlags(f)
	return cmd
}

// noSetupArgs refuses arguments without repeating them: a stray argument
// to setup is most often a secret typed after a flag such as
// --client-secret-stdin, and it must not be echoed to the terminal or a log.
func noSetupArgs(_ *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return usageErr(errors.New("setup takes no arguments, only flags: secrets come from --client-secret-file, --client-secret-stdin or --idm-api-key-file, never from the command line (the argument is not repeated here)"))
}

// setupField is one `setup --no-input` flag that sets a configuration field.
type setupField struct {
	flag  string // flag name
	field string // the key in the file, as config.FieldError names it
	usage string
	list  bool // repeatable
	set   func(idm *config.IDM, a *config.Automation, v string) error
	setN  func(a *config.Automation, v []string)
}

var setupFields = []setupField{
	{flag: "environment", field: "environment", usage: "environment label, e.g. Production",
		set: func(_ *config.IDM, a *config.Automation, v string) error { a.Environment = v; return nil }},
	{flag: "mailbox", field: "mailbox", usage: "the dedicated mailbox users invite, e.g. visitors@contoso.com",
		set: func(_ *config.IDM, a *config.Automation, v string) error { a.Mailbox = v; return nil }},
	{flag: "tenant-id", field: "tenant_id", usage: "directory (tenant) ID, a GUID",
		set: func(_ *config.IDM, a *config.Automation, v string) error { a.TenantID = v; return nil }},
	{flag: "client-id", field: "client_id", usage: "application (client) ID, a GUID",
		set: func(_ *config.IDM, a *config.Automation, v string) error { a.ClientID = v; return nil }},
	{flag: "timezone", field: "time_zone", usage: `time zone, IANA ("Europe/Berlin") or Windows ("W. Europe Standard Time")`,
		set: func(_ *config.IDM, a *config.Automation, v string) error {
			tz, err := config.NormalizeTimeZone(v)
			if err == nil {
				a.TimeZone = tz
			}
			return err
		}},
	{flag: "interval", field: "interval", usage: "poll interval, at least 15s (default 5m)",
		set: func(_ *config.IDM, a *config.Automation, v string) error {
			d, err := config.ParseInterval(v)
			if err == nil {
				a.Interval = d
			}
			return err
		}},
	{flag: "idm-url", field: "idm.url", usage: "Salto IDM API base URL, e.g. https://idm.example.com/api/v1",
		set: func(idm *config.IDM, _ *config.Automation, v string) error { idm.URL = v; return nil }},
	{flag: "secret-expires", field: "secret_expires", usage: "the client secret's expiry date, YYYY-MM-DD (not past)",
		set: func(_ *config.IDM, a *config.Automation, v string) error {
			d, err := config.ParseDate(v)
			if err == nil {
				a.SecretExpires = d
			}
			return err
		}},
	{flag: "app-name", field: "app_name", usage: "the app's display name (Enterprise applications → Name)",
		set: func(_ *config.IDM, a *config.Automation, v string) error { a.AppName = v; return nil }},
	{flag: "enterprise-object-id", field: "enterprise_object_id", usage: "the enterprise application's Object ID, a GUID",
		set: func(_ *config.IDM, a *config.Automation, v string) error { a.EnterpriseObjectID = v; return nil }},
	{flag: "lookahead", field: "lookahead_days", usage: "days ahead to handle, 1–365 (default 30)",
		set: func(_ *config.IDM, a *config.Automation, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%s is not a number of days: expected 1 to %d", text.Quote(v), config.MaxLookAheadDays)
			}
			a.LookAheadDays = n
			return nil
		}},
	{flag: "day-start", field: "day_start", usage: "start of visits for all-day events, HH:MM (default 08:00)",
		set: func(_ *config.IDM, a *config.Automation, v string) error { a.DayStart = v; return nil }},
	{flag: "day-end", field: "day_end", usage: "end of visits for all-day events, HH:MM (default 18:00)",
		set: func(_ *config.IDM, a *config.Automation, v string) error { a.DayEnd = v; return nil }},
	{flag: "internal-domain", field: "internal_domains", list: true,
		usage: "a domain whose people are never visitors (repeatable; default the mailbox's domain; \"\" clears)",
		setN:  func(a *config.Automation, v []string) { a.InternalDomains = v }},
	{flag: "exclude", field: "exclude", list: true,
		usage: "an address that is never a visitor (repeatable; \"\" clears)",
		setN:  func(a *config.Automation, v []string) { a.Exclude = v }},
}

// flagProblems collects one message per bad flag, in the order found.
type flagProblems struct {
	lines []string
	seen  map[string]bool
}

// add records err about flag, once per flag; nil is nothing. A source
// written in capitals is an environment variable, not a flag.
func (p *flagProblems) add(flag string, err error) {
	if err == nil {
		return
	}
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[flag] {
		return
	}
	p.seen[flag] = true
	if strings.ToUpper(flag) != flag {
		flag = "--" + flag
	}
	p.lines = append(p.lines, fmt.Sprintf("  %s: %v", flag, err))
}

func (p *flagProblems) err() error {
	if len(p.lines) == 0 {
		return nil
	}
	return usageErr(fmt.Errorf("nothing was saved; fix these and run again:\n%s", strings.Join(p.lines, "\n")))
}

// runSetupNoInput is `setup --no-input`: create or edit one automation from
// flags, live-test it when asked (--check), store its secrets, save the
// file. Nothing is written unless the result is a complete, valid
// automation and, with --check, passes the live test.
func (a *app) runSetupNoInput(ctx context.Context, f *pflag.FlagSet) error {
	name, _ := f.GetString("name")
	if err := config.ValidateName(name); err != nil {
		return usageErr(fmt.Errorf("--name: %w", err))
	}
	c, err := config.Read(a.configPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		c = nil
	case err != nil:
		return usageErr(fmt.Errorf("cannot edit the configuration: %w\nFix the file or move it away, then run setup again", err))
	}
	ch := config.Change{Automation: config.NewAutomation(name), KeyringOptional: true}
	if c != nil {
		ch.IDM = c.IDM
		if cur, ok := c.Automation(name); ok {
			ch.Automation, ch.Editing = *cur, name
		}
	}
	var problems flagProblems
	applySetupFlags(f, &ch, &problems)

	clientFile, _ := f.GetString("client-secret-file")
	clientStdin, _ := f.GetBool("client-secret-stdin")
	var clientFrom, idmFrom string
	ch.ClientSecret, clientFrom, err = a.secretFrom(config.ClientSecret(name), "client-secret-file", clientFile, clientStdin)
	problems.add(clientFrom, err)
	idmFile, _ := f.GetString("idm-api-key-file")
	ch.IDMAPIKey, idmFrom, err = a.secretFrom(config.IDMAPIKey(), "idm-api-key-file", idmFile, false)
	problems.add(idmFrom, err)

	req := setup.Request{ConfigPath: a.configPath, Secrets: a.secretStore(), Change: ch, Now: time.Now()}
	if len(problems.lines) > 0 { // nothing is tested or saved: every problem is said
		_, err := setup.Plan(req)
		if err := planProblems(err, ch, name, clientFrom, idmFrom, &problems); err != nil {
			return err
		}
		return problems.err()
	}
	check, _ := f.GetBool("check")
	if check {
		gopts, err := graph.OptionsFromEnv()
		if err != nil {
			return usageErr(err)
		}
		req.Test = a.setupTest(gopts)
	}
	plan, _, err := setup.Save(ctx, req)
	var failed *setup.TestFailedError
	switch {
	case errors.As(err, &failed):
		return failedErr(err)
	case err != nil && plan == nil:
		if err := planProblems(err, ch, name, clientFrom, idmFrom, &problems); err != nil {
			return err
		}
		return problems.err()
	case err != nil:
		return failedErr(err)
	}
	if check {
		fmt.Fprintln(a.stdout)
	}
	if plan.NotStored != nil {
		fmt.Fprintf(a.stderr, "warning: the secrets were not stored: %v.\nAt run time the service will need:\n", plan.NotStored)
		for _, s := range plan.ToStore() {
			fmt.Fprintf(a.stderr, "  for %s: %s\n", s.Label, s.Variables())
		}
	}
	printSaved(a.stdout, plan, a.stepsState(), check)
	return nil
}

// planProblems files PlanChange's field errors under the flags behind them
// (clientFrom and idmFrom: where the secrets came from); another error is
// returned as a usage error.
func planProblems(err error, ch config.Change, name, clientFrom, idmFrom string, problems *flagProblems) error {
	var fieldErrs config.Errors
	switch {
	case errors.As(err, &fieldErrs):
		for _, fe := range fieldErrs {
			switch flag := flagFor(fe, name); {
			case fe.Field == config.FieldClientSecret && ch.ClientSecret == "":
				problems.add("client-secret-file", fmt.Errorf("%s: pass --client-secret-file PATH or --client-secret-stdin, or set %s",
					fe.Message, config.ClientSecret(name).Variables()))
			case fe.Field == config.FieldClientSecret:
				problems.add(clientFrom, errors.New(fe.Message))
			case fe.Field == config.FieldIDMAPIKey && ch.IDMAPIKey == "":
				problems.add("idm-api-key-file", fmt.Errorf("%s: pass --idm-api-key-file PATH, or set %s",
					fe.Message, config.IDMAPIKey().Variables()))
			case fe.Field == config.FieldIDMAPIKey:
				problems.add(idmFrom, errors.New(fe.Message))
			case flag != "":
				problems.add(flag, errors.New(fe.Message))
			default:
				problems.lines = append(problems.lines, "  "+fe.Error())
			}
		}
	case err != nil:
		return usageErr(err)
	}
	return nil
}

// applySetupFlags sets the fields whose flags were given on ch's
// automation and IDM connection; a value that does not parse is a problem.
func applySetupFlags(f *pflag.FlagSet, ch *config.Change, problems *flagProblems) {
	for _, s := range setupFields {
		if !f.Changed(s.flag) {
			continue
		}
		if s.list {
			v, _ := f.GetStringSlice(s.flag)
			s.setN(&ch.Automation, nonEmpty(v))
			continue
		}
		v, _ := f.GetString(s.flag)
		problems.add(s.flag, s.set(&ch.IDM, &ch.Automation, v))
	}
	if f.Changed("disabled") {
		off, _ := f.GetBool("disabled")
		ch.Automation.Enabled = !off
	}
	if f.Changed("no-replies") {
		off, _ := f.GetBool("no-replies")
		ch.Automation.Replies = !off
	}
}

// setupTest is the live test of `setup --no-input --check`: the one of
// `invitesync check`, on the automation as it would be saved, with the
// secrets it would use, each check printed as it ends.
func (a *app) setupTest(gopts graph.Options) func(context.Context, *config.Plan) []diag.Result {
	return func(ctx context.Context, p *config.Plan) []diag.Result {
		fmt.Fprintf(a.stdout, "Testing %s before saving it\n", text.Clean(p.Automation.Name, 100))
		return livecheck.Run(ctx, livecheck.Input{
			Automation: p.Automation, IDMURL: p.Config.IDM.URL,
			ClientSecret: p.ClientSecret, IDMKey: p.IDMAPIKey, Graph: gopts,
		}, func(r diag.Result) { printCheck(a.stdout, r) })
	}
}

// secretFrom reads a secret from its file flag, standard input, or its
// variables, in that order. from names the flag (or variable) it came from,
// which is also the flag an error belongs to. White space around the value
// is removed, with a note on standard error.
func (a *app) secretFrom(s config.Secret, fileFlag, path string, stdin bool) (value, from string, err error) {
	var f config.Found
	switch {
	case path != "" && stdin:
		return "", fileFlag, errors.New("give the secret either from a file or from standard input, not both")
	case path != "":
		f.From = "--" + fileFlag
		if f.Value, f.Trimmed, err = config.ReadSecretFile(path); err != nil {
			return "", fileFlag, err
		}
	case stdin:
		data, err := io.ReadAll(a.stdin)
		if err != nil {
			return "", "client-secret-stdin", err
		}
		f.From = "standard input"
		if f.Value, f.Trimmed = config.TrimSecret(string(data), true); f.Value == "" {
			return "", "client-secret-stdin", errors.New("standard input was empty: expected the client secret's Value")
		}
	default:
		if f, err = s.Environment(); err != nil {
			return "", fileFlag, err
		}
	}
	if note := f.Note(s); note != "" {
		fmt.Fprintf(a.stderr, "invitesync: note: %s.\n", note)
	}
	switch {
	case path != "":
		return f.Value, fileFlag, nil
	case stdin:
		return f.Value, "client-secret-stdin", nil
	}
	return f.Value, f.From, nil
}

// flagFor names the flag behind a field error of the edited automation (or
// of the IDM connection); "" for errors elsewhere in the file.
func flagFor(fe *config.FieldError, name string) string {
	if fe.Automation != "" && fe.Automation != strconv.Quote(name) {
		return ""
	}
	if fe.Field == "name" {
		return "name"
	}
	for _, s := range setupFields {
		if s.field == fe.Field {
			return s.flag
		}
	}
	return ""
}

// secretStore is the configuration's secrets (see config.OpenSecrets): in
// the OS keyring, or in the store the app was given (the demo). When it
// first moves the configuration's secrets from the machine-wide keyring
// items to its own, it says so on standard error.
func (a *app) secretStore() *config.Secrets {
	var base config.SecretStore = a.secrets
	if base == nil {
		base = config.NewKeyring()
	}
	s, notes := config.OpenSecrets(a.configPath, base)
	for _, n := range notes {
		fmt.Fprintf(a.stderr, "invitesync: %s.\n", n)
	}
	return s
}

func nonEmpty(v []string) []string {
	var out []string
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
