package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/internal/keyringtest"
	"invitesync/sync/store"
)

func TestMistypedCommandsGetASuggestion(t *testing.T) {
	isolatedHome(t)
	for typed, want := range map[string]string{"stauts": "did you mean status?", "previw": "did you mean preview?",
		"remvoe": "did you mean remove?", "exchange": "did you mean exchange-script?"} {
		code, out, errOut := runCLI(t, typed)
		if code != exitUsage || out != "" || !strings.Contains(errOut, `unknown command "`+typed+`"`) || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, %q %q; want %q", typed, code, out, errOut, want)
		}
	}
	if code, _, errOut := runCLI(t, "xyzzy"); code != exitUsage || strings.Contains(errOut, "did you mean") || !strings.Contains(errOut, "invitesync --help") {
		t.Errorf("xyzzy: exit %d, %q", code, errOut)
	}
}

func TestVersionNamesTheCommit(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "f5e92ae04e40c7c56af49cc47d04e4f6159d9f49"},
		{Key: "vcs.time", Value: "2026-12-02T06:26:21Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := describeBuild("1.4.0", info), "1.4.0 (commit f5e92ae04e40c7c56af49cc47d04e4f6159d9f49, with uncommitted changes, 2026-12-02T06:26:21Z, go1.26.8)"; got != want {
		t.Errorf("describeBuild:\n got %q\nwant %q", got, want)
	}
	info.Main.Version = "v1.5.0"
	info.Settings = nil
	if got, want := describeBuild("dev", info), "v1.5.0 (commit unknown: built without version control information; go1.26.8)"; got != want {
		t.Errorf("describeBuild without VCS:\n got %q\nwant %q", got, want)
	}
	if code, out, _ := runCLI(t, "--version"); code != exitOK || !strings.HasPrefix(out, "invitesync version dev (commit ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
}

// exchangeEnv is a configuration with the automations given.
func exchangeEnv(t *testing.T, autos ...config.Automation) *setupEnv {
	t.Helper()
	e := newSetupEnv(t)
	cfg := &config.Config{IDM: config.IDM{URL: "https://idm.example.com/api/v1"}, Automations: autos}
	if err := config.Save(e.configPath(), cfg); err != nil {
		t.Fatal(err)
	}
	return e
}

func frontDesk(name, mailbox string) config.Automation {
	a := config.NewAutomation(name)
	a.Environment, a.Mailbox, a.TimeZone = "Production", mailbox, "Europe/Madrid"
	a.TenantID, a.ClientID, a.EnterpriseObjectID = testTenant, testClient, "7d1c0f3e-55aa-4b8e-9e0c-2a1b3c4d5e00"
	a.AppName = "Salto IDM O'Neil"
	a.SecretExpires = config.Date{Year: 2099, Month: 1, Day: 1}
	return a
}

func TestExchangeScriptPrintsStepFiveAgain(t *testing.T) {
	e := exchangeEnv(t, frontDesk("Front desk", "visitors@contoso.com"))
	code, out, errOut := e.run("", "exchange-script")
	for _, want := range []string{"Connect-ExchangeOnline", "New-ServicePrincipal -AppId '" + testClient + "' -ObjectId '7d1c0f3e-55aa-4b8e-9e0c-2a1b3c4d5e00'",
		"-DisplayName 'Salto IDM O''Neil'", "# Left out"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exchange-script (exit %d, %s) lacks %q:\n%s", code, errOut, want, out)
		}
	}
	if strings.Contains(out, "New-ManagementScope") || strings.Contains(out, "\nAdd-MailboxPermission") {
		t.Errorf("scope or FullAccess without being asked:\n%s", out)
	}
	code, out, _ = e.run("", "exchange-script", "--scope", "rbac", "--full-access")
	if code != 0 || !strings.Contains(out, "New-ManagementScope -Name 'invitesync visitors@contoso.com'") ||
		!strings.Contains(out, "\nAdd-MailboxPermission -Identity 'visitors@contoso.com'") {
		t.Errorf("--scope rbac --full-access: exit %d\n%s", code, out)
	}
	code, out, _ = e.run("", "exchange-script", "--scope", "policy", "--group", "invitesync-mailboxes@contoso.com")
	if code != 0 || !strings.Contains(out, "New-ApplicationAccessPolicy -AppId '"+testClient+"' -PolicyScopeGroupId 'invitesync-mailboxes@contoso.com'") {
		t.Errorf("--scope policy: exit %d\n%s", code, out)
	}
	file := filepath.Join(t.TempDir(), "exchange.ps1")
	code, out, errOut = e.run("", "exchange-script", "-o", file)
	b, err := os.ReadFile(file)
	if code != 0 || out != "" || err != nil || !bytes.HasPrefix(b, []byte("\uFEFF")) || !bytes.Contains(b, []byte("\r\nNew-ServicePrincipal")) ||
		!strings.Contains(errOut, file) {
		t.Errorf("-o: exit %d, %q %q, %v\n%q", code, out, errOut, err, b)
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--scope", "all"}, `--scope "all": want rbac, policy or none`},
		{[]string{"--scope", "policy"}, "--group: "},
		{[]string{"--group", "g@contoso.com"}, "--group goes with --scope policy only"},
		{[]string{"-o", "exchange.txt"}, `does not end in .ps1`},
		{[]string{"--automation", "Warehouse"}, `--automation "Warehouse": no such automation`},
	} {
		code, out, errOut := e.run("", append([]string{"exchange-script"}, bad.args...)...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, bad.want) {
			t.Errorf("%v: exit %d, %q %q; want %q", bad.args, code, out, errOut, bad.want)
		}
	}

	two := exchangeEnv(t, frontDesk("Front desk", "visitors@contoso.com"), frontDesk("Warehouse", "warehouse@contoso.com"))
	if code, _, errOut := two.run("", "exchange-script"); code != exitUsage || !strings.Contains(errOut, `"Front desk", "Warehouse"`) {
		t.Errorf("two automations without --automation: exit %d, %q", code, errOut)
	}
	if code, out, _ := two.run("", "exchange-script", "--automation", "warehouse", "--scope", "rbac"); code != 0 || !strings.Contains(out, "-Resource 'warehouse@contoso.com'") {
		t.Errorf("--automation warehouse: exit %d\n%s", code, out)
	}
}

// keyringItems lists the OS keyring's invitesync items whose name starts
// with prefix, through secret-tool, as a person would look.
func keyringItems(t *testing.T, prefix string) []string {
	t.Helper()
	out, err := exec.Command("secret-tool", "search", "--all", "service", "invitesync").CombinedOutput()
	if err != nil && len(out) > 0 && !strings.Contains(string(out), "No matching") {
		if _, lookErr := exec.LookPath("secret-tool"); lookErr != nil {
			t.Skipf("secret-tool is not installed: %v", lookErr)
		}
	}
	var items []string
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "attribute.username = "); ok && strings.HasPrefix(v, prefix) {
			items = append(items, v)
		}
	}
	return items
}

// TestE2ERemoveLeavesNoKeyringItemBehind sets up two automations with
// `setup --no-input` (secrets in the real keyring), runs them, removes one
// keeping its visits and then the other cancelling its visits after
// answering the question: each removal takes the automation out of the
// file, its items out of the keyring and its rows out of the state; the
// last one takes the IDM key too. A removal while a loop runs the
// automation is refused and changes nothing.
func TestE2ERemoveLeavesNoKeyringItemBehind(t *testing.T) {
	keyringtest.Require(t)
	e := newE2E(t)
	e.keyringOnly()
	e.graph.AddMailbox("warehouse@contoso.com")
	for _, args := range [][]string{
		e.setupArgs("Reception", e.graph.Secret),
		e.setupArgs("Warehouse", e.graph.Secret, "--mailbox", "warehouse@contoso.com"),
	} {
		if code, out, errOut := e.run(nil, args...); code != 0 {
			t.Fatalf("setup: exit %d\n%s\n%s", code, out, errOut)
		}
	}
	cfg, err := config.Load(e.configPath())
	if err != nil {
		t.Fatal(err)
	}
	prefix := cfg.ID + "/"
	if items := keyringItems(t, prefix); len(items) != 3 {
		t.Fatalf("keyring items after setup: %v", items)
	}
	e.meeting("Supplier visit", tomorrowAt(10), "ann.guest@fabrikam.com")
	if code, out, errOut := e.run(nil, "run", "--once"); code != 0 {
		t.Fatalf("run --once: %d\n%s\n%s", code, out, errOut)
	}
	if n := len(e.idm.ActiveVisits()); n != 1 {
		t.Fatalf("%d active visits", n)
	}
	state := filepath.Join(e.dir, "state", "state.db")

	// A loop runs Reception: remove refuses and changes nothing.
	st, err := store.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Acquire(context.Background(), "Reception", "run pid 4242 on elsewhere", time.Minute); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := e.run(nil, "remove", "Reception", "--cancel-visits")
	if code != exitFailed || !strings.Contains(errOut, "not removed") || !strings.Contains(errOut, "run pid 4242 on elsewhere") {
		t.Errorf("remove while a loop runs it: exit %d, %s", code, errOut)
	}
	if err := st.Release(context.Background(), "Reception", "run pid 4242 on elsewhere"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if items := keyringItems(t, prefix); len(items) != 3 || len(e.idm.ActiveVisits()) != 1 {
		t.Errorf("a refused remove changed something: items %v, %d visits", items, len(e.idm.ActiveVisits()))
	}

	code, out, errOut := e.run(nil, "remove", "Warehouse", "--keep-visits")
	if code != 0 {
		t.Fatalf("remove Warehouse: exit %d\n%s\n%s", code, out, errOut)
	}
	items := keyringItems(t, prefix)
	if len(items) != 2 || strings.Contains(strings.Join(items, " "), "Warehouse") {
		t.Errorf("keyring items after removing Warehouse: %v", items)
	}

	e.idm.ResetRequests()
	cmd, stdout, stderr := e.command(nil, "remove", "reception")
	cmd.Stdin = strings.NewReader("y\n")
	if err := cmd.Run(); err != nil {
		t.Fatalf("remove reception: %v\n%s\n%s", err, stdout, stderr)
	}
	for _, want := range []string{`Automation "Reception" has 1 visits still to come`, "ann.guest@fabrikam.com", "Cancel them in Salto IDM? [y/N]",
		"Cancelled 1 future visits", `Removed automation "Reception"`, "No automation is left"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("remove reception says no %q:\n%s", want, stdout)
		}
	}
	if n := e.idm.Count(http.MethodDelete, "/visits/"); n != 1 || len(e.idm.ActiveVisits()) != 0 {
		t.Errorf("%d DELETE requests, %d active visits left", n, len(e.idm.ActiveVisits()))
	}
	if items := keyringItems(t, prefix); len(items) != 0 {
		t.Errorf("keyring items left behind: %v", items)
	}
	if cfg, err := config.Load(e.configPath()); err != nil || len(cfg.Automations) != 0 {
		t.Errorf("configuration after removing both: %+v, %v", cfg, err)
	}
	if content := dbContent(t, state); strings.Contains(content, "Reception") || strings.Contains(content, "Warehouse") {
		t.Errorf("the state still holds the removed automations:\n%s", content)
	}
	if code, _, errOut := e.run(nil, "remove", "Reception"); code != exitUsage || !strings.Contains(errOut, `there is no automation "Reception"`) {
		t.Errorf("removing it again: exit %d, %s", code, errOut)
	}
}

func TestSavedSecretExpiryCountsDaysOnceItWarns(t *testing.T) {
	day := func(days int) config.Date {
		t := time.Now().AddDate(0, 0, days)
		return config.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
	}
	for _, tc := range []struct {
		date config.Date
		want string
	}{
		{config.Date{}, ""},
		{day(90), " (expires " + day(90).String() + ")"},
		{day(31), " (expires " + day(31).String() + ")"},
		{day(30), " (expires " + day(30).String() + ", in 30 days)"},
		{day(3), " (expires " + day(3).String() + ", in 3 days)"},
	} {
		if got := expiry(tc.date); got != tc.want {
			t.Errorf("expiry(%v) = %q, want %q", tc.date, got, tc.want)
		}
	}
}
