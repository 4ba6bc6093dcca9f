// Package powershell writes Exchange Online PowerShell commands with every
// value quoted so that nothing in it can break out of its string.
package powershell

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrUnsafe is returned for a value that cannot be placed in a
// PowerShell command safely: one holding a newline or another control
// character.
var ErrUnsafe = errors.New("not usable in a PowerShell command")

// isSingleQuote reports whether PowerShell's tokenizer treats r as a single
// quote: the ASCII apostrophe and the four Unicode single quotation marks.
func isSingleQuote(r rune) bool {
	switch r {
	case '\'', '\u2018', '\u2019', '\u201A', '\u201B':
		return true
	}
	return false
}

// Quote returns s as a PowerShell single-quoted string literal.
// Inside single quotes PowerShell expands nothing ($, backticks, ; and double
// quotes are plain text); the only way out is a single quote, so every
// character PowerShell reads as one is doubled. A value holding a newline or
// another control character is refused: it could end the command line.
func Quote(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: it is not valid UTF-8", ErrUnsafe)
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\u0085':
			return "", fmt.Errorf("%w: it holds a control character (%U)", ErrUnsafe, r)
		case isSingleQuote(r):
			b.WriteRune(r)
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String(), nil
}

// Scope says how the step-5 script limits the app to its one mailbox.
type Scope string

// The scoping choices of step 5 (see graph-notes §6).
const (
	ScopeNone         Scope = "none"
	ScopeRBAC         Scope = "rbac"          // RBAC for Applications (current)
	ScopeAccessPolicy Scope = "access-policy" // application access policy (older)
)

// Input is what the Exchange Online commands of step 5 need.
type Input struct {
	TenantID           string
	ClientID           string
	EnterpriseObjectID string
	AppName            string // the enterprise application's display name
	Mailbox            string
	ScopeName          string // RBAC: the management scope's name
	Scope              Scope
	PolicyGroup        string // ScopeAccessPolicy: the mail-enabled security group holding the mailbox
	// FullAccess adds the vendor guide's Add-MailboxPermission … FullAccess,
	// which Microsoft Graph does not need; left out by default.
	FullAccess bool
}

// SetupScript returns the Exchange Online PowerShell commands of step 5
// with every value quoted for PowerShell. An error names the value that
// cannot be used.
func SetupScript(in Input) (string, error) {
	q := map[string]string{}
	for _, v := range []struct{ name, value string }{
		{"Directory (tenant) ID", in.TenantID},
		{"Application (client) ID", in.ClientID},
		{"enterprise application Object ID", in.EnterpriseObjectID},
		{"application name", in.AppName},
		{"mailbox address", in.Mailbox},
	} {
		s, err := Quote(v.value)
		if err != nil {
			return "", fmt.Errorf("the %s is %w", v.name, err)
		}
		q[v.name] = s
	}
	tenant, client, object := q["Directory (tenant) ID"], q["Application (client) ID"], q["enterprise application Object ID"]
	name, mailbox := q["application name"], q["mailbox address"]

	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# invitesync: Exchange Online set-up (step 5 of 6).")
	line("# Run in PowerShell as an administrator. Every value below is in single")
	line("# quotes, so nothing in it is expanded or run.")
	line("Install-Module -Name ExchangeOnlineManagement -Scope CurrentUser")
	line("Import-Module ExchangeOnlineManagement")
	line("")
	line("# Sign in with an Exchange administrator account of the tenant %s.", tenant)
	line("# Connect-ExchangeOnline has no -OrganizationId parameter; -Organization is only")
	line("# for certificate or managed-identity sign-in, so a person signs in without it.")
	line("Connect-ExchangeOnline")
	line("")
	line("# Register the app's service principal (the enterprise Object ID) in Exchange.")
	line("New-ServicePrincipal -AppId %s -ObjectId %s", client, object)
	line("Set-ServicePrincipal -Identity %s -DisplayName %s", object, name)
	line("")
	line("# The vendor's guide also gives the app FullAccess to the mailbox")
	line("# (Add-MailboxPermission). Microsoft Graph does not need it: the Calendars.ReadWrite")
	line("# application permission, or the RBAC role assignment, lets the app read and")
	line("# answer the calendar; FullAccess serves IMAP, POP and SMTP access with OAuth,")
	line("# which invitesync does not use. Nor does FullAccess limit the app to this")
	line("# mailbox: an RBAC for Applications scope (recommended) or an application access")
	line("# policy does that.")
	if in.FullAccess {
		line("# Included because it was asked for:")
		line("Add-MailboxPermission -Identity %s -User %s -AccessRights FullAccess", mailbox, object)
	} else {
		line("# Left out: added when asked (setup step 5, or exchange-script --full-access).")
	}

	if in.Scope != ScopeNone && in.Scope != "" {
		scope, err := ScopeCommands(in)
		if err != nil {
			return "", err
		}
		line("")
		b.WriteString(scope)
	}
	line("")
	line("Disconnect-ExchangeOnline -Confirm:$false")
	return b.String(), nil
}

// ScopeCommands returns the commands that limit the app to its one mailbox,
// as in.Scope says: RBAC for Applications or an application access policy.
func ScopeCommands(in Input) (string, error) {
	quoted := func(name, v string) (string, error) {
		s, err := Quote(v)
		if err != nil {
			return "", fmt.Errorf("the %s is %w", name, err)
		}
		return s, nil
	}
	client, err := quoted("Application (client) ID", in.ClientID)
	if err != nil {
		return "", err
	}
	object, err := quoted("enterprise application Object ID", in.EnterpriseObjectID)
	if err != nil {
		return "", err
	}
	mailbox, err := quoted("mailbox address", in.Mailbox)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	switch in.Scope {
	case ScopeRBAC:
		if strings.ContainsFunc(in.Mailbox, func(r rune) bool { return isSingleQuote(r) || r == '"' }) {
			return "", fmt.Errorf("the mailbox address holds a quote: create the management scope for it by hand")
		}
		scopeName, err := quoted("management scope name", in.ScopeName)
		if err != nil {
			return "", err
		}
		filter, _ := Quote("PrimarySmtpAddress -eq '" + in.Mailbox + "'")
		line("# Limit the app to this one mailbox: RBAC for Applications.")
		line("# RBAC adds to what Entra grants and cannot take anything away: remove the")
		line("# Calendars.ReadWrite application permission (and its admin consent) from the")
		line("# app registration, or the app keeps access to every mailbox.")
		line("New-ManagementScope -Name %s -RecipientRestrictionFilter %s", scopeName, filter)
		line("New-ManagementRoleAssignment -App %s -Role 'Application Calendars.ReadWrite' -CustomResourceScope %s", object, scopeName)
		line("# InScope must say True:")
		line("Test-ServicePrincipalAuthorization -Identity %s -Resource %s", object, mailbox)
	case ScopeAccessPolicy:
		if strings.TrimSpace(in.PolicyGroup) == "" {
			return "", errors.New("an application access policy needs the mail-enabled security group that holds the mailbox")
		}
		group, err := quoted("security group", in.PolicyGroup)
		if err != nil {
			return "", err
		}
		desc, err := quoted("mailbox address", "invitesync: only the mailboxes of this group ("+in.Mailbox+")")
		if err != nil {
			return "", err
		}
		line("# Limit the app to this one mailbox: an application access policy.")
		line("# The mailbox must be a member of this mail-enabled security group.")
		line("New-ApplicationAccessPolicy -AppId %s -PolicyScopeGroupId %s -AccessRight RestrictAccess -Description %s", client, group, desc)
		line("# AccessCheckResult must say Granted (Graph can take an hour to follow):")
		line("Test-ApplicationAccessPolicy -Identity %s -AppId %s", mailbox, client)
	default:
		return "", fmt.Errorf("unknown scope %q", in.Scope)
	}
	return b.String(), nil
}

// utf8BOM starts every saved .ps1 file. Windows PowerShell 5.1 reads a file
// without it in the ANSI code page, where bytes of a UTF-8 name such as
// "đ" (C4 91) become a typographic quote (‘) and would end a string early.
const utf8BOM = "\uFEFF"

// File returns script as the bytes of a .ps1 file: UTF-8 with a byte
// order mark and Windows line endings.
func File(script string) []byte {
	return []byte(utf8BOM + strings.ReplaceAll(script, "\n", "\r\n"))
}
