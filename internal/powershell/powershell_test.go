package powershell

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// psReadSingleQuoted reads one single-quoted literal the way PowerShell's
// tokenizer does: any of its five single-quote characters opens and closes
// it, and two in a row stand for the first one. It returns the value and
// what follows the literal.
func psReadSingleQuoted(t *testing.T, s string) (value, rest string) {
	t.Helper()
	rs := []rune(s)
	if len(rs) == 0 || !isSingleQuote(rs[0]) {
		t.Fatalf("%q does not start with a single quote", s)
	}
	var b strings.Builder
	for i := 1; i < len(rs); i++ {
		if isSingleQuote(rs[i]) {
			if i+1 < len(rs) && isSingleQuote(rs[i+1]) {
				b.WriteRune(rs[i])
				i++
				continue
			}
			return b.String(), string(rs[i+1:])
		}
		b.WriteRune(rs[i])
	}
	t.Fatalf("%q never closes", s)
	return "", ""
}

func TestQuote(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Salto IDM Production", `'Salto IDM Production'`},
		{"empty", "", `''`},
		{"apostrophe", "O'Brien's app", `'O''Brien''s app'`},
		{"only quotes", "'''", `''''''''`},
		{"breakout attempt", "x'; Remove-Mailbox -Identity * ; '", `'x''; Remove-Mailbox -Identity * ; '''`},
		{"double quotes", `say "hi"`, `'say "hi"'`},
		{"dollar", "$env:USERNAME $(Get-Date) ${x}", `'$env:USERNAME $(Get-Date) ${x}'`},
		{"backtick", "a`'b`n", "'a`''b`n'"},
		{"semicolon and pipe", "a; b | c & d", `'a; b | c & d'`},
		{"non-ASCII", "Zoë Ñandú – 東京 🚀", `'Zoë Ñandú – 東京 🚀'`},
		{"left single quote", "a\u2018b", "'a\u2018\u2018b'"},
		{"right single quote", "it\u2019s", "'it\u2019\u2019s'"},
		{"low-9 quote", "a\u201Ab", "'a\u201A\u201Ab'"},
		{"reversed-9 quote", "a\u201Bb", "'a\u201B\u201Bb'"},
		{"unicode quote breakout", "x\u2019; Stop-Computer; \u2018", "'x\u2019\u2019; Stop-Computer; \u2018\u2018'"},
		{"double curly quotes stay", "\u201Cq\u201D", "'\u201Cq\u201D'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Quote(tt.in)
			if err != nil {
				t.Fatalf("Quote(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
			}
			// Whatever the input, PowerShell reads back exactly it, and the
			// literal ends where the quoted text ends.
			value, rest := psReadSingleQuoted(t, got)
			if value != tt.in || rest != "" {
				t.Errorf("PowerShell would read %q then %q, want %q and nothing after", value, rest, tt.in)
			}
		})
	}
}

func TestQuotePowerShellRefusesControlCharacters(t *testing.T) {
	for _, in := range []string{
		"line\nRemove-Mailbox x",
		"cr\rreturn",
		"tab\there",
		"nul\x00",
		"esc\x1b[31m",
		"del\x7f",
		"c1\u0085next line",
		"line separator\u2028x",
		"paragraph separator\u2029x",
		"bad utf-8 \xff",
	} {
		got, err := Quote(in)
		if !errors.Is(err, ErrUnsafe) {
			t.Errorf("Quote(%q) = %q, %v; want ErrUnsafe", in, got, err)
		}
	}
}

func testInput() Input {
	return Input{
		TenantID:           "72f988bf-86f1-41af-91ab-2d7cd011db47",
		ClientID:           "3f9a2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b",
		EnterpriseObjectID: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
		AppName:            "Salto-IDM-Calendar-Integration-Production",
		Mailbox:            "visitors@contoso.com",
		ScopeName:          "invitesync visitors@contoso.com",
		Scope:              ScopeNone,
	}
}

// commands returns the script's lines that PowerShell runs: not comments,
// not blank.
func commands(script string) []string {
	var out []string
	for l := range strings.Lines(script) {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func TestSetupScript(t *testing.T) {
	const fullAccess = "Add-MailboxPermission -Identity 'visitors@contoso.com' -User '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' -AccessRights FullAccess"
	always := []string{
		"Install-Module -Name ExchangeOnlineManagement -Scope CurrentUser",
		"Import-Module ExchangeOnlineManagement",
		"Connect-ExchangeOnline",
		"New-ServicePrincipal -AppId '3f9a2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b' -ObjectId '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a'",
		"Set-ServicePrincipal -Identity '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' -DisplayName 'Salto-IDM-Calendar-Integration-Production'",
	}
	rbac := []string{
		"New-ManagementScope -Name 'invitesync visitors@contoso.com' -RecipientRestrictionFilter 'PrimarySmtpAddress -eq ''visitors@contoso.com'''",
		"New-ManagementRoleAssignment -App '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' -Role 'Application Calendars.ReadWrite' -CustomResourceScope 'invitesync visitors@contoso.com'",
		"Test-ServicePrincipalAuthorization -Identity '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' -Resource 'visitors@contoso.com'",
	}
	tests := []struct {
		name       string
		scope      Scope
		fullAccess bool
		want       []string // the commands, in order
	}{
		{"default: no FullAccess, no scope", ScopeNone, false, always},
		{"FullAccess when asked", ScopeNone, true, append(slices.Clone(always), fullAccess)},
		{"RBAC scope without FullAccess", ScopeRBAC, false, append(slices.Clone(always), rbac...)},
		{"RBAC scope with FullAccess", ScopeRBAC, true, append(append(slices.Clone(always), fullAccess), rbac...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput()
			in.Scope, in.FullAccess = tt.scope, tt.fullAccess
			script, err := SetupScript(in)
			if err != nil {
				t.Fatal(err)
			}
			want := append(slices.Clone(tt.want), "Disconnect-ExchangeOnline -Confirm:$false")
			if got := commands(script); !slices.Equal(got, want) {
				t.Errorf("commands:\n%s\nwant:\n%s\nscript:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), script)
			}
			// Whether or not it is included, the script says why FullAccess
			// is not needed and what does limit the app.
			for _, say := range []string{
				"The vendor's guide also gives the app FullAccess",
				"Microsoft Graph does not need it",
				"RBAC for Applications scope (recommended)",
				"application access\n# policy does that",
			} {
				if !strings.Contains(script, say) {
					t.Errorf("the script does not say %q:\n%s", say, script)
				}
			}
		})
	}
}

func TestExchangeScriptHostileDisplayName(t *testing.T) {
	in := testInput()
	in.AppName = "Evil' ; Remove-Mailbox -Identity * -Confirm:$false ; `$x \u2019 \u2018 \u201A \u201B ünï"
	script, err := SetupScript(in)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "-DisplayName "
	i := strings.Index(script, prefix)
	if i < 0 {
		t.Fatalf("no -DisplayName in:\n%s", script)
	}
	line := script[i+len(prefix):]
	line = line[:strings.IndexByte(line, '\n')]
	value, rest := psReadSingleQuoted(t, line)
	if value != in.AppName || rest != "" {
		t.Errorf("the display name reads back as %q followed by %q", value, rest)
	}

	in.AppName = "two\nlines"
	if _, err := SetupScript(in); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "application name") {
		t.Errorf("a newline in the display name gave %v, want an error naming the application name", err)
	}
}

func TestExchangeScriptScoping(t *testing.T) {
	in := testInput()
	in.Scope = ScopeRBAC
	script, err := SetupScript(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`New-ManagementScope -Name 'invitesync visitors@contoso.com' -RecipientRestrictionFilter 'PrimarySmtpAddress -eq ''visitors@contoso.com'''`,
		`New-ManagementRoleAssignment -App '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' -Role 'Application Calendars.ReadWrite' -CustomResourceScope 'invitesync visitors@contoso.com'`,
		`Test-ServicePrincipalAuthorization -Identity '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' -Resource 'visitors@contoso.com'`,
		"remove the\n# Calendars.ReadWrite application permission",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("RBAC script lacks %q:\n%s", want, script)
		}
	}

	in.Scope = ScopeAccessPolicy
	if _, err := SetupScript(in); err == nil {
		t.Error("an access policy without a group was accepted")
	}
	in.PolicyGroup = "invitesync-mailboxes@contoso.com"
	script, err = SetupScript(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`New-ApplicationAccessPolicy -AppId '3f9a2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b' -PolicyScopeGroupId 'invitesync-mailboxes@contoso.com' -AccessRight RestrictAccess`,
		`Test-ApplicationAccessPolicy -Identity 'visitors@contoso.com' -AppId '3f9a2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b'`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("access-policy script lacks %q:\n%s", want, script)
		}
	}

	in.Scope = ScopeRBAC
	in.Mailbox = "o'brien@contoso.com"
	if _, err := SetupScript(in); err == nil {
		t.Error("a quote in the mailbox went into an OPATH filter")
	}
}

func TestFile(t *testing.T) {
	b := File("a\nb\n")
	if !bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) {
		t.Errorf("no UTF-8 byte order mark: % x", b[:3])
	}
	if !bytes.HasSuffix(b, []byte("a\r\nb\r\n")) {
		t.Errorf("line endings: %q", b)
	}
}
