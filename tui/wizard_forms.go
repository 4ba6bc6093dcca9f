package tui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/huh"

	"invitesync/config"
	"invitesync/internal/powershell"
	invsync "invitesync/sync"
)

// expiryHelp names the days before the secret's expiry at which every
// command, log and view warns (sync's thresholds).
var expiryHelp = fmt.Sprintf("Required: the integration stops the day the secret expires;\ninvitesync warns you %d, %d and %d days before.",
	invsync.ExpiryWarnDays, invsync.ExpiryUrgentDays, invsync.ExpiryCriticalDays)

// fields is what the step forms read and write: the draft and the secrets
// (both on the heap, bound with Value), plus the answers that only steer the
// wizard. Every form of a run shares one fields value.
type fields struct {
	d   *Draft
	sec *Secrets

	// editing: a secret left empty keeps the stored one.
	editing bool
	// taken are the names of the other automations in the configuration.
	taken []string
	// now is today, for the secret's expiry.
	now        time.Time
	accessible bool
	theme      *huh.Theme

	// envs is IDM's list of environments; empty when it could not be read,
	// and envErr says why.
	envs   []Environment
	envErr error

	offerCreate bool // step 1 offers "Create it for me"
	createApp   bool // and it was chosen
	useSecretID bool // the person insists the GUID-shaped value is right
	advanced    bool // show look-ahead and all-day hours
	copyScript  bool // step 5: copy the commands (OSC 52)

	groups []*huh.Group // the pages of the last step form, to fit the screen
	// pages are the field keys of each page of the last step form, and
	// pageHidden says whether a page is skipped now.
	pages      [][]string
	pageHidden []func() bool

	// problem holds, by field key, what a failed live test or save found
	// wrong: shown beside the field (see ask).
	problem map[string]string
	// width is the forms' width, for wrapping descriptions.
	width int
	// mailboxOwner names the other automation that watches a mailbox.
	mailboxOwner func(mailbox string) (string, bool)
}

// secretTitle names the automation whose client secret is asked for, when
// it has a name yet.
func (f *fields) secretTitle() string {
	if name := strings.TrimSpace(f.d.Name); name != "" {
		return fmt.Sprintf("Client secret value of %q", sanitize(name))
	}
	return "Client secret value"
}

// validateMailbox checks the address, and that no other automation of the
// configuration watches it: one mailbox, one automation.
func (f *fields) validateMailbox(s string) error {
	if err := config.ValidateMailbox(s); err != nil {
		return err
	}
	if f.mailboxOwner != nil {
		if owner, ok := f.mailboxOwner(s); ok {
			return config.MailboxTakenError(s, owner)
		}
	}
	return nil
}

// newForm applies what every wizard form shares.
func (f *fields) newForm(groups ...*huh.Group) *huh.Form {
	return huh.NewForm(groups...).
		WithTheme(f.theme).
		WithShowHelp(true).
		WithAccessible(f.accessible)
}

// question is one field of a step's form: huh's field, the key that names
// it (see Field keys) and its description, which accessible mode says
// before asking, since huh's plain prompts leave descriptions out.
type question struct {
	key, desc string
	field     huh.Field
}

// group is one page of a step's form; hide, when set, skips it.
type group struct {
	questions []question
	hide      func() bool
}

// huhGroup is g as huh shows it.
func (g group) huhGroup() *huh.Group {
	fs := make([]huh.Field, len(g.questions))
	for i, q := range g.questions {
		fs[i] = q.field
	}
	hg := huh.NewGroup(fs...)
	if g.hide != nil {
		hg = hg.WithHideFunc(g.hide)
	}
	return hg
}

// keyed is a huh field that takes a key and a description.
type keyed[F any] interface {
	huh.Field
	Key(string) F
	Description(string) F
}

// ask makes a question of field: its key, and its description followed by
// the problem a failed live test found in it (see fields.problem), so the
// message stands beside the field that fixes it.
func ask[F keyed[F]](f *fields, key, desc string, field F) question {
	if p := f.problem[key]; p != "" {
		if desc != "" {
			desc += "\n"
		}
		desc += symbolFail + " " + p
	}
	field.Key(key)
	if desc != "" {
		field.Description(f.wrapDesc(desc))
	}
	return question{key: key, desc: desc, field: field}
}

// wrapDesc wraps a description at spaces to the width huh gives it, so
// that huh's own wrapping, which also breaks at '-' and '.', never splits
// a GUID or an address.
func (f *fields) wrapDesc(s string) string {
	if f.width <= 0 {
		return s
	}
	return wrapWords(s, f.width-4)
}

// Field keys: what a failed check or save names to land on the field that
// fixes it.
const (
	keyAppName       = "app_name"
	keyCreateApp     = "create_app"
	keyConsent       = "consent"
	keyClientSecret  = "client_secret"
	keySecretExpires = "secret_expires"
	keySecretIsValue = "secret_is_value"
	keyTenantID      = "tenant_id"
	keyClientID      = "client_id"
	keyObjectID      = "enterprise_object_id"
	keyMailbox       = "mailbox"
	keyScope         = "scope"
	keyPolicyGroup   = "policy_group"
	keyFullAccess    = "full_access"
	keyScriptPath    = "script_path"
	keyCopyScript    = "copy_script"
	keyIDMURL        = "idm_url"
	keyIDMAPIKey     = "idm_api_key"
	keyEnvironment   = "environment"
	keyName          = "name"
	keyInterval      = "interval"
	keyTimeZone      = "time_zone"
	keyEnabled       = "enabled"
	keyInternal      = "internal_domains"
	keyExclude       = "exclude"
	keyReplies       = "replies"
	keyAdvanced      = "advanced"
	keyLookAhead     = "lookahead_days"
	keyDayStart      = "day_start"
	keyDayEnd        = "day_end"
	keyReady         = "ready"
)

// stepForm builds the form of step n; step 6 has two parts, the IDM
// connection (part 0) and the automation (part 1). A finished form is inert,
// so going back to a step builds a new one, prefilled from the draft.
func (f *fields) stepForm(n, part int) *huh.Form {
	gs := f.stepGroups(n, part)
	hg := make([]*huh.Group, len(gs))
	f.pages, f.pageHidden = make([][]string, len(gs)), make([]func() bool, len(gs))
	for i, g := range gs {
		hg[i] = g.huhGroup()
		for _, q := range g.questions {
			f.pages[i] = append(f.pages[i], q.key)
		}
		f.pageHidden[i] = func() bool { return false }
		if g.hide != nil {
			f.pageHidden[i] = g.hide
		}
	}
	f.groups = hg
	return f.newForm(hg...)
}

// stepGroups are the pages of step n's form, in order. Accessible mode asks
// their questions one by one, since huh's accessible mode ignores hidden
// groups and descriptions.
func (f *fields) stepGroups(n, part int) []group {
	one := func(qs ...question) []group { return []group{{questions: qs}} }
	page := func(qs ...question) group { return group{questions: qs} }
	switch n {
	case 1:
		desc := "The name you gave the app registration."
		if f.offerCreate {
			desc = "The name you gave the app registration, or the one to give it\n(e.g. Salto-IDM-Calendar-Integration-Production; one that exists is reused)."
		}
		name := ask(f, keyAppName, desc,
			huh.NewInput().Title(f.label("Application name", &f.d.AppName)).
				Value(&f.d.AppName).Validate(f.keep("Application name", &f.d.AppName, validateAppName)))
		if !f.offerCreate {
			return one(name)
		}
		return one(
			ask(f, keyCreateApp, "", huh.NewSelect[bool]().Title("Steps 1–4").Options(
				huh.NewOption("I do them in the Azure portal, as described above", false),
				huh.NewOption("Create it for me: an administrator signs in once, invitesync does steps 1–4", true),
			).Value(&f.createApp)),
			name,
		)
	case 2:
		return one(
			ask(f, keyConsent, "Both permissions show a green check mark in the Status column.",
				huh.NewConfirm().Title("Admin consent granted?").
					Affirmative("Yes, granted").Negative("Not yet").
					Value(&f.d.ConsentGranted).Validate(func(b bool) error { return named("Admin consent", validateConsent(b)) })),
		)
	case 3:
		secretHelp := "Paste the secret's Value (shown once, right after you create it)."
		if f.editing {
			secretHelp += " Leave empty to keep the secret already stored."
		}
		return []group{
			page(
				ask(f, keyClientSecret, secretHelp,
					huh.NewInput().Title(f.secretTitle()).
						EchoMode(huh.EchoModePassword).
						Value(&f.sec.ClientSecret).Validate(func(s string) error { return named("Client secret value", f.validateSecret(s)) })),
				ask(f, keySecretExpires, expiryHelp,
					huh.NewInput().Title(f.label("The secret expires on (YYYY-MM-DD)", &f.d.SecretExpires)).
						Placeholder("e.g. 2026-12-31").
						Value(&f.d.SecretExpires).Validate(f.keep("Secret expiry date", &f.d.SecretExpires, f.validateExpiry))),
			),
			{questions: []question{
				ask(f, keySecretIsValue, "The Secret ID is a GUID. Entra refuses it at sign-in (AADSTS7000215).\nCopy the Value column instead.",
					huh.NewConfirm().Title("That looks like the Secret ID, not the secret's Value").
						Affirmative("It is the Value").Negative("Let me paste the Value").
						Value(&f.useSecretID)),
			}, hide: func() bool { return !looksLikeSecretID(f.sec.ClientSecret) }},
		}
	case 4:
		return one(
			ask(f, keyTenantID, "The app's Overview page.",
				huh.NewInput().Title(f.label("Directory (tenant) ID", &f.d.TenantID)).
					Value(&f.d.TenantID).Validate(f.keep("Directory (tenant) ID", &f.d.TenantID, config.ValidateGUID))),
			ask(f, keyClientID, "The app's Overview page.",
				huh.NewInput().Title(f.label("Application (client) ID", &f.d.ClientID)).
					Value(&f.d.ClientID).Validate(f.keep("Application (client) ID", &f.d.ClientID, config.ValidateGUID))),
			ask(f, keyObjectID, "Enterprise applications → the app → Overview.",
				huh.NewInput().Title(f.label("Object ID of the enterprise application", &f.d.EnterpriseObjectID)).
					Value(&f.d.EnterpriseObjectID).Validate(f.keep("Enterprise application's Object ID", &f.d.EnterpriseObjectID, f.validateObjectID))),
			ask(f, keyMailbox, "The dedicated mailbox users add to their invitations.",
				huh.NewInput().Title(f.label("Mailbox address", &f.d.Mailbox)).
					Placeholder("e.g. visitors@contoso.com").
					Value(&f.d.Mailbox).Validate(f.keep("Mailbox address", &f.d.Mailbox, f.validateMailbox))),
		)
	case 5:
		return []group{
			page(
				ask(f, keyScope, "Without a limit, Calendars.ReadWrite reaches every mailbox in the tenant.",
					huh.NewSelect[powershell.Scope]().Title("Limit the app to this one mailbox?").
						Options(
							huh.NewOption("Not now", powershell.ScopeNone),
							huh.NewOption("Yes, with RBAC for Applications (recommended)", powershell.ScopeRBAC),
							huh.NewOption("Yes, with an application access policy (older)", powershell.ScopeAccessPolicy),
						).Value(&f.d.Scope)),
			),
			{questions: []question{
				ask(f, keyPolicyGroup, "An application access policy applies to the members of a group.",
					huh.NewInput().Title(f.label("Mail-enabled security group holding the mailbox", &f.d.PolicyGroup)).
						Placeholder("e.g. invitesync-mailboxes@contoso.com").
						Value(&f.d.PolicyGroup).Validate(f.keep("Security group", &f.d.PolicyGroup, config.ValidateAddress))),
			}, hide: func() bool { return f.d.Scope != powershell.ScopeAccessPolicy }},
			page(
				ask(f, keyFullAccess, "The vendor's guide lists it; Microsoft Graph does not need it,\nand it does not limit the app to the mailbox.",
					huh.NewConfirm().Title("Also give the app FullAccess to the mailbox?").
						Affirmative("Add it").Negative("Leave it out").
						Value(&f.d.FullAccess)),
			),
			page(
				ask(f, keyScriptPath, "A .ps1 file to run on a Windows machine; leave empty not to save.",
					huh.NewInput().Title(f.label("Save the commands as", &f.d.ScriptPath)).
						Value(&f.d.ScriptPath).Validate(f.keep("Script file", &f.d.ScriptPath, validateScriptPath))),
				ask(f, keyCopyScript, "Uses the terminal's clipboard (OSC 52); some terminals ignore it.",
					huh.NewConfirm().Title("Copy the commands to the clipboard too?").
						Value(&f.copyScript)),
			),
		}
	case 6:
		if part == 0 {
			keyHelp := "From Salto IDM's API settings."
			if f.editing {
				keyHelp += " Leave empty to keep the key already stored."
			}
			return one(
				ask(f, keyIDMURL, "The base address of Salto IDM's API.",
					huh.NewInput().Title(f.label("Salto IDM API address", &f.d.IDMURL)).Placeholder("e.g. https://idm.example.com/api/v1").
						Value(&f.d.IDMURL).Validate(f.keep("Salto IDM API address", &f.d.IDMURL, config.ValidateIDMURL))),
				ask(f, keyIDMAPIKey, keyHelp,
					huh.NewInput().Title("Salto IDM API key").
						EchoMode(huh.EchoModePassword).
						Value(&f.sec.IDMAPIKey).Validate(func(s string) error { return named("Salto IDM API key", f.validateAPIKey(s)) })),
			)
		}
		return []group{
			page(
				f.environmentField(),
				ask(f, keyName, "Short and unique, e.g. Front desk.",
					huh.NewInput().Title(f.label("Automation name", &f.d.Name)).
						Value(&f.d.Name).Validate(f.keep("Automation name", &f.d.Name, f.validateName))),
				ask(f, keyInterval, "Minutes (5) or a duration (15s, 1h). 15s = 40 requests/10 min, 0.4 % of Graph's budget.",
					huh.NewInput().Title(f.label("Poll every", &f.d.Interval)).
						Value(&f.d.Interval).Validate(f.keep("Poll interval", &f.d.Interval, validateInterval))),
				f.timeZoneField(),
				ask(f, keyEnabled, "A disabled automation is kept but not polled.",
					huh.NewConfirm().Title("Enabled?").Value(&f.d.Enabled)),
			),
			page(
				ask(f, keyInternal, "Addresses in these domains are colleagues, never visitors.\nComma-separated; empty means the mailbox's own domain.",
					huh.NewInput().Title(f.label("Internal domains", &f.d.InternalDomains)).
						Value(&f.d.InternalDomains).Validate(f.keep("Internal domains", &f.d.InternalDomains, validateDomains))),
				ask(f, keyExclude, "Comma-separated; may be empty.",
					huh.NewInput().Title(f.label("Never register these addresses", &f.d.Exclude)).
						Value(&f.d.Exclude).Validate(f.keep("Excluded addresses", &f.d.Exclude, validateAddresses))),
				ask(f, keyReplies, "Accept the meeting listing the registered visitors, or say why none were.",
					huh.NewConfirm().Title("Answer the organizer?").Value(&f.d.Replies)),
				ask(f, keyAdvanced, "Look-ahead window and the hours of all-day visits.",
					huh.NewConfirm().Title("Change the advanced settings?").
						Affirmative("Yes").Negative("No").Value(&f.advanced)),
			),
			{questions: []question{
				ask(f, keyLookAhead, "Meetings this far ahead become visits (1–365).",
					huh.NewInput().Title(f.label("Look ahead (days)", &f.d.LookAheadDays)).
						Value(&f.d.LookAheadDays).Validate(f.keep("Look-ahead days", &f.d.LookAheadDays, validateLookAhead))),
				ask(f, keyDayStart, "",
					huh.NewInput().Title(f.label("All-day visits start at (HH:MM)", &f.d.DayStart)).
						Value(&f.d.DayStart).Validate(f.keep("All-day start", &f.d.DayStart, config.ValidateDayTime))),
				ask(f, keyDayEnd, "",
					huh.NewInput().Title(f.label("All-day visits end at (HH:MM)", &f.d.DayEnd)).
						Value(&f.d.DayEnd).Validate(f.keep("All-day end", &f.d.DayEnd, f.validateDayEnd))),
			}, hide: func() bool { return !f.advanced }},
			page(
				question{key: keyReady, desc: readyText, field: huh.NewNote().Title("Ready to test and save").
					Description(readyText).Next(true).NextLabel("Test and save")},
			),
		}
	}
	panic(fmt.Sprintf("tui: no step %d", n))
}

// readyText is what Save does.
const readyText = "invitesync now signs in, reads the calendar and asks Salto IDM,\nthe same checks as \"invitesync check\". Nothing is saved unless all pass."

// setEnvironments records IDM's answer. The draft's environment becomes one
// IDM knows, and an unset time zone the environment's.
func (f *fields) setEnvironments(envs []Environment, err error) {
	f.envs, f.envErr = nil, err
	for _, e := range envs {
		if strings.TrimSpace(e.Name) != "" {
			f.envs = append(f.envs, e)
		}
	}
	if len(f.envs) == 0 {
		if err == nil && envs != nil {
			f.envErr = errors.New("Salto IDM lists no environments")
		}
		return
	}
	i := slices.IndexFunc(f.envs, func(e Environment) bool { return strings.EqualFold(e.Name, f.d.Environment) })
	if i < 0 {
		i = 0
	}
	f.d.Environment = f.envs[i].Name
	if f.d.TimeZone == "" {
		if tz, err := config.NormalizeTimeZone(f.envs[i].TimeZone); err == nil {
			f.d.TimeZone = tz
		}
	}
}

// environmentField offers IDM's environments when they could be read, and
// a text field (saying why) when not.
func (f *fields) environmentField() question {
	if len(f.envs) > 0 {
		opts := make([]huh.Option[string], len(f.envs))
		for i, e := range f.envs {
			label := sanitize(e.Name)
			if e.TimeZone != "" {
				label += " (" + sanitize(e.TimeZone) + ")"
			}
			opts[i] = huh.NewOption(label, e.Name)
		}
		return ask(f, keyEnvironment, "The environments Salto IDM reported.",
			huh.NewSelect[string]().Title("Salto IDM environment").Options(opts...).Value(&f.d.Environment))
	}
	desc := "The environment's name as Salto IDM shows it (e.g. Production)."
	if f.envErr != nil {
		desc += "\nIDM's list could not be read: " + sanitize(f.envErr.Error())
	}
	return ask(f, keyEnvironment, desc, huh.NewInput().Title(f.label("Salto IDM environment", &f.d.Environment)).
		Value(&f.d.Environment).Validate(f.keep("Salto IDM environment", &f.d.Environment, validateEnvironment)))
}

// timeZoneField is a searchable list of IANA zones; in accessible mode, where
// a list of hundreds would be read out, a text field that takes IANA or
// Windows names.
func (f *fields) timeZoneField() question {
	if tz, err := config.NormalizeTimeZone(f.d.TimeZone); err == nil {
		f.d.TimeZone = tz
	}
	if f.accessible {
		return ask(f, keyTimeZone, "An IANA name such as Europe/Berlin, or a Windows name such as W. Europe Standard Time.",
			huh.NewInput().Title(f.label("Time zone of the environment", &f.d.TimeZone)).
				Value(&f.d.TimeZone).Validate(f.keep("Time zone", &f.d.TimeZone, config.ValidateTimeZone)))
	}
	names := zoneNames
	if !slices.Contains(names, f.d.TimeZone) {
		f.d.TimeZone = "UTC"
	}
	opts := make([]huh.Option[string], len(names))
	for i, n := range names {
		opts[i] = huh.NewOption(n, n)
	}
	return ask(f, keyTimeZone, "Press / to search, e.g. /berlin.",
		huh.NewSelect[string]().Title("Time zone of the environment").
			Options(opts...).Height(8).
			Value(&f.d.TimeZone).Validate(f.keep("Time zone", &f.d.TimeZone, config.ValidateTimeZone)))
}

// keep is the validator of the field name bound to p: its message names the
// field. In huh's accessible prompts an empty answer keeps the current value,
// so that is what gets validated.
func (f *fields) keep(name string, p *string, validate func(string) error) func(string) error {
	return func(s string) error {
		if s == "" && f.accessible {
			s = *p
		}
		return named(name, validate(s))
	}
}

// named puts the field's name in front of a validation message, so it is
// clear which field it is about when a form holds several.
func named(name string, err error) error {
	if err == nil {
		return nil
	}
	if rest, ok := strings.CutPrefix(err.Error(), "required: "); ok {
		return fmt.Errorf("%s is required: %s", name, rest)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// label adds the current value to a title in accessible mode, where the
// prompt would not show it otherwise.
func (f *fields) label(title string, p *string) string {
	if !f.accessible || *p == "" {
		return title
	}
	return fmt.Sprintf("%s [Enter keeps %s]", title, sanitize(*p))
}
