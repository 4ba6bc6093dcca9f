package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"invitesync/config"
)

func newSetupCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Set up or edit an automation (the wizard; --no-input for flags only)",
		Long: `Set up or edit an automation.

Without --no-input this is the wizard. With --no-input every answer comes from
flags: the automation named by --name is created, or edited when it exists (only
the flags given change). Secrets are never flag values: the client secret comes
from --client-secret-file, --client-secret-stdin or INVITESYNC_CLIENT_SECRET(_FILE),
the IDM API key from --idm-api-key-file or INVITESYNC_IDM_API_KEY(_FILE). They are
stored in the OS keyring when one is available.`,
		Example: `  invitesync setup --no-input --name "Front desk" --environment Production \
    --mailbox visitors@contoso.com --timezone "W. Europe Standard Time" \
    --tenant-id 3f9a2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b \
    --client-id 0e9f8a7b-6c5d-4e3f-2a1b-0c9d8e7f6a5b \
    --client-secret-file ./client-secret --secret-expires 2027-05-31 \
    --idm-url https://idm.example.com/api/v1 --idm-api-key-file ./idm-api-key`,
		Args: noSetupArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if noInput, _ := cmd.Flags().GetBool("no-input"); noInput {
				return a.runSetupNoInput(cmd.Flags())
			}
			return a.runWizard(cmd)
		},
	}
	f := cmd.Flags()
	f.Bool("no-input", false, "take every answer from flags; never prompt")
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
	set   func(c *config.Config, a *config.Automation, v string) error
	setN  func(a *config.Automation, v []string)
}

var setupFields = []setupField{
	{flag: "environment", field: "environment", usage: "environment label, e.g. Production",
		set: func(_ *config.Config, a *config.Automation, v string) error { a.Environment = v; return nil }},
	{flag: "mailbox", field: "mailbox", usage: "the dedicated mailbox users invite, e.g. visitors@contoso.com",
		set: func(_ *config.Config, a *config.Automation, v string) error { a.Mailbox = v; return nil }},
	{flag: "tenant-id", field: "tenant_id", usage: "directory (tenant) ID, a GUID",
		set: func(_ *config.Config, a *config.Automation, v string) error { a.TenantID = v; return nil }},
	{flag: "client-id", field: "client_id", usage: "application (client) ID, a GUID",
		set: func(_ *config.Config, a *config.Automation, v string) error { a.ClientID = v; return nil }},
	{flag: "timezone", field: "time_zone", usage: `time zone, IANA ("Europe/Berlin") or Windows ("W. Europe Standard Time")`,
		set: func(_ *config.Config, a *config.Automation, v string) error {
			tz, err := config.NormalizeTimeZone(v)
			if err == nil {
				a.TimeZone = tz
			}
			return err
		}},
	{flag: "interval", field: "interval", usage: "poll interval, at least 1m (default 5m)",
		set: func(_ *config.Config, a *config.Automation, v string) error {
			d, err := config.ParseInterval(v)
			if err == nil {
				a.Interval = d
			}
			return err
		}},
	{flag: "idm-url", field: "idm.url", usage: "Salto IDM API base URL, e.g. https://idm.example.com/api/v1",
		set: func(c *config.Config, _ *config.Automation, v string) error { c.IDM.URL = v; return nil }},
	{flag: "secret-expires", field: "secret_expires", usage: "the client secret's expiry date, YYYY-MM-DD",
		set: func(_ *config.Config, a *config.Automation, v string) error {
			d, err := config.ParseDate(v)
			if err == nil {
				a.SecretExpires = d
			}
			return err
		}},
	{flag: "app-name", field: "app_name", usage: "the app's display name (Enterprise applications → Name)",
		set: func(_ *config.Config, a *config.Automation, v string) error { a.AppName = v; return nil }},
	{flag: "enterprise-object-id", field: "enterprise_object_id", usage: "the enterprise application's Object ID, a GUID",
		set: func(_ *config.Config, a *config.Automation, v string) error { a.EnterpriseObjectID = v; return nil }},
	{flag: "lookahead", field: "lookahead_days", usage: "days ahead to handle, 1–365 (default 30)",
		set: func(_ *config.Config, a *config.Automation, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a number of days: expected 1 to %d", v, config.MaxLookAheadDays)
			}
			a.LookAheadDays = n
			return nil
		}},
	{flag: "day-start", field: "day_start", usage: "start of visits for all-day events, HH:MM (default 08:00)",
		set: func(_ *config.Config, a *config.Automation, v string) error { a.DayStart = v; return nil }},
	{flag: "day-end", field: "day_end", usage: "end of visits for all-day events, HH:MM (default 18:00)",
		set: func(_ *config.Config, a *config.Automation, v string) error { a.DayEnd = v; return nil }},
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

func (p *flagProblems) add(flag string, err error) {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[flag] {
		return
	}
	p.seen[flag] = true
	p.lines = append(p.lines, fmt.Sprintf("  --%s: %v", flag, err))
}

func (p *flagProblems) err() error {
	if len(p.lines) == 0 {
		return nil
	}
	return usageErr(fmt.Errorf("nothing was saved; fix these and run again:\n%s", strings.Join(p.lines, "\n")))
}

// secretInput is a secret given to setup, and where it came from.
type secretInput struct {
	secret config.Secret
	value  string
	from   string // "--client-secret-file", INVITESYNC_CLIENT_SECRET, …
}

// runSetupNoInput is `setup --no-input`: create or edit one automation from
// flags, store its secrets, save the file. Nothing is written unless every
// flag is valid.
func (a *app) runSetupNoInput(f *pflag.FlagSet) error {
	name, _ := f.GetString("name")
	if err := config.ValidateName(name); err != nil {
		return usageErr(fmt.Errorf("--name: %w", err))
	}
	c, err := config.Read(a.configPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		c = &config.Config{}
	case err != nil:
		return usageErr(fmt.Errorf("cannot edit the configuration: %w\nFix the file or move it away, then run setup again", err))
	}
	firstIDM := c.IDM.URL == ""
	auto, exists := c.Automation(name)
	if !exists {
		fresh := config.NewAutomation(name)
		auto = &fresh
	}
	edited := *auto

	var problems flagProblems
	for _, s := range setupFields {
		if !f.Changed(s.flag) {
			continue
		}
		if s.list {
			v, _ := f.GetStringSlice(s.flag)
			s.setN(&edited, nonEmpty(v))
			continue
		}
		v, _ := f.GetString(s.flag)
		if err := s.set(c, &edited, v); err != nil {
			problems.add(s.flag, err)
		}
	}
	if f.Changed("disabled") {
		off, _ := f.GetBool("disabled")
		edited.Enabled = !off
	}
	if f.Changed("no-replies") {
		off, _ := f.GetBool("no-replies")
		edited.Replies = !off
	}

	next := *c
	next.Automations = append([]config.Automation(nil), c.Automations...)
	next.Upsert(edited)
	var fieldErrs config.Errors
	if errors.As(next.Validate(), &fieldErrs) {
		for _, fe := range fieldErrs {
			if flag := flagFor(fe, name); flag != "" {
				problems.add(flag, errors.New(fe.Message))
			} else {
				problems.lines = append(problems.lines, "  "+fe.Error())
			}
		}
	}

	store := a.secretStore()
	secrets := a.setupSecrets(f, &problems, store, name, !exists, firstIDM)
	if err := problems.err(); err != nil {
		return err
	}

	// Store the secrets; without a keyring, say once what the service will
	// need instead, and carry on: the configuration is still worth saving.
	var unavailable error
	for _, s := range secrets {
		err := store.Set(s.secret.Key, s.value)
		if errors.Is(err, config.ErrKeyringUnavailable) {
			unavailable = err
			break
		}
		if err != nil {
			return failedErr(fmt.Errorf("store %s: %w", s.secret.Label, err))
		}
	}
	if err := config.Save(a.configPath, &next); err != nil {
		return failedErr(fmt.Errorf("save the configuration: %w", err))
	}
	if unavailable != nil {
		var need []string
		for _, s := range secrets {
			need = append(need, fmt.Sprintf("%s (or %s) for %s", s.secret.FileEnv, s.secret.Env, s.secret.Label))
		}
		fmt.Fprintf(a.stderr, "warning: the secrets were not stored: %v.\nThe service will need %s at run time.\n",
			unavailable, strings.Join(need, " and "))
	}
	saved, _ := next.Automation(name)
	printSaved(a.stdout, a.configPath, &next, saved, !exists, secrets, unavailable == nil)
	return nil
}

// setupSecrets gathers the secrets given to setup and checks them. A new
// automation needs its client secret and a first IDM connection its API
// key, unless the store already holds them.
func (a *app) setupSecrets(f *pflag.FlagSet, problems *flagProblems, store config.SecretStore, name string, newAutomation, firstIDM bool) []secretInput {
	var out []secretInput
	client := config.ClientSecret(name)
	clientFile, _ := f.GetString("client-secret-file")
	clientStdin, _ := f.GetBool("client-secret-stdin")
	switch v, from, err := a.secretFrom(client, "client-secret-file", clientFile, clientStdin); {
	case err != nil:
		problems.add(from, err)
	case v != "":
		if err := config.ValidateClientSecret(v); err != nil {
			problems.add(from, err)
		} else {
			out = append(out, secretInput{client, v, from})
		}
	case newAutomation && !stored(store, client):
		problems.add("client-secret-file", fmt.Errorf("a new automation needs its client secret: pass --client-secret-file PATH or --client-secret-stdin, or set %s or %s", config.EnvClientSecretFile, config.EnvClientSecret))
	}

	idm := config.IDMAPIKey()
	idmFile, _ := f.GetString("idm-api-key-file")
	switch v, from, err := a.secretFrom(idm, "idm-api-key-file", idmFile, false); {
	case err != nil:
		problems.add(from, err)
	case v != "":
		if err := config.ValidateAPIKey(v); err != nil {
			problems.add(from, err)
		} else {
			out = append(out, secretInput{idm, v, from})
		}
	case firstIDM && !stored(store, idm):
		problems.add("idm-api-key-file", fmt.Errorf("the first IDM connection needs its API key: pass --idm-api-key-file PATH, or set %s or %s", config.EnvIDMAPIKeyFile, config.EnvIDMAPIKey))
	}
	return out
}

// secretFrom reads a secret from its file flag, standard input, or its
// variables, in that order. from names the flag (or variable) it came from,
// which is also the flag an error belongs to.
func (a *app) secretFrom(s config.Secret, fileFlag, path string, stdin bool) (value, from string, err error) {
	switch {
	case path != "" && stdin:
		return "", fileFlag, errors.New("give the secret either from a file or from standard input, not both")
	case path != "":
		v, err := config.ReadSecretFile(path)
		return v, fileFlag, err
	case stdin:
		data, err := io.ReadAll(a.stdin)
		if err != nil {
			return "", "client-secret-stdin", err
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
		if v == "" {
			return "", "client-secret-stdin", errors.New("standard input was empty: expected the client secret's Value")
		}
		return v, "client-secret-stdin", nil
	}
	v, from, err := s.FromEnvironment()
	if err != nil {
		return "", fileFlag, err
	}
	return v, from, nil
}

// stored reports whether store already holds the secret.
func stored(store config.SecretStore, s config.Secret) bool {
	_, err := store.Get(s.Key)
	return err == nil
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

// secretStore is where secrets live: the OS keyring unless the app was
// given another store (the demo).
func (a *app) secretStore() config.SecretStore {
	if a.secrets != nil {
		return a.secrets
	}
	return config.NewKeyring()
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

// printSaved shows what was saved (never a secret) and the next step.
func printSaved(w io.Writer, path string, c *config.Config, au *config.Automation, created bool, secrets []secretInput, inKeyring bool) {
	verb := "Updated"
	if created {
		verb = "Added"
	}
	fmt.Fprintf(w, "%s automation %q in %s\n\n", verb, au.Name, path)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	row("environment", orNone(au.Environment))
	row("enabled", yesNo(au.Enabled))
	row("poll interval", config.FormatDuration(au.Interval))
	row("protocol", au.Protocol)
	row("mailbox", au.Mailbox)
	row("time zone", au.TimeZone)
	row("tenant ID", au.TenantID)
	row("client ID", au.ClientID)
	row("app name", orNone(au.AppName))
	row("enterprise object ID", orNone(au.EnterpriseObjectID))
	row("client secret", secretState(secrets, au.Name, inKeyring)+expiry(au.SecretExpires))
	internal := strings.Join(au.Internal(), ", ")
	if len(au.InternalDomains) == 0 {
		internal += " (the mailbox's domain)"
	}
	row("internal domains", internal)
	row("excluded", orNone(strings.Join(au.Exclude, ", ")))
	row("look-ahead", fmt.Sprintf("%d days", au.LookAheadDays))
	row("all-day visits", au.DayStart+"–"+au.DayEnd)
	row("replies", yesNo(au.Replies))
	row("IDM", c.IDM.URL)
	row("IDM API key", secretState(secrets, "", inKeyring))
	tw.Flush()
	fmt.Fprintln(w, "\nNext: run `invitesync check` to test every link, from Entra ID to Salto IDM.")
}

// secretState says what happened to one secret: stored, given at run time
// instead, or untouched.
func secretState(secrets []secretInput, automation string, inKeyring bool) string {
	key := config.IDMAPIKeyKey
	if automation != "" {
		key = config.ClientSecretKey(automation)
	}
	for _, s := range secrets {
		if s.secret.Key == key {
			if inKeyring {
				return "stored in the OS keyring"
			}
			return fmt.Sprintf("not stored (no keyring): set %s at run time", s.secret.FileEnv)
		}
	}
	return "unchanged"
}

func expiry(d config.Date) string {
	if d.IsZero() {
		return ""
	}
	days := d.DaysUntil(time.Now())
	switch {
	case days < 0:
		return fmt.Sprintf(" (EXPIRED on %s: create a new one)", d)
	case days <= 30:
		return fmt.Sprintf(" (expires %s, in %d days)", d, days)
	}
	return fmt.Sprintf(" (expires %s)", d)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
