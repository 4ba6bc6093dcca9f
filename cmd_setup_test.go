package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"invitesync/config"
	"invitesync/internal/keyringtest"
	"invitesync/internal/leaktest"
)

// envAsBinary makes the test binary behave as the invitesync binary, so a
// test can run it in a process of its own (with its own environment).
const envAsBinary = "INVITESYNC_TEST_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(envAsBinary) == "1" {
		os.Exit(execute(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(keyringtest.Main(m))
}

const (
	testClientSecret = "Xq8~kT3.vNw_7Lr2-Hs9pQz4YbC6mJd1Fg0eRt5U"
	testIDMKey       = "idm-7f3c9a1e5b2d8f4a6c0e9b1d3f5a7c9e"
	testTenant       = "3f9a2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"
	testClient       = "0e9f8a7b-6c5d-4e3f-2a1b-0c9d8e7f6a5b"
)

// setupEnv is one test's directories: configuration, state, and secrets
// kept apart from both.
type setupEnv struct {
	configDir, stateDir, secretsDir string
}

func newSetupEnv(t *testing.T) *setupEnv {
	t.Helper()
	for _, v := range []string{config.EnvClientSecret, config.EnvClientSecretFile, config.EnvIDMAPIKey, config.EnvIDMAPIKeyFile, envConfig, envState} {
		t.Setenv(v, "")
	}
	e := &setupEnv{configDir: t.TempDir(), stateDir: t.TempDir(), secretsDir: t.TempDir()}
	return e
}

func (e *setupEnv) configPath() string {
	return filepath.Join(e.configDir, "invitesync", "config.toml")
}

// keyring is this configuration's secrets in the OS keyring.
func (e *setupEnv) keyring() *config.Secrets {
	s, _ := config.OpenSecrets(e.configPath(), config.NewKeyring())
	return s
}

func (e *setupEnv) secretFile(t *testing.T, name, value string) string {
	t.Helper()
	p := filepath.Join(e.secretsDir, name)
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs invitesync in this process with the given arguments.
func (e *setupEnv) run(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	args = append([]string{"--config", e.configPath(), "--state", filepath.Join(e.stateDir, "state.db")}, args...)
	code = execute(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// newAutomationArgs are the flags of a complete new automation.
func (e *setupEnv) newAutomationArgs(t *testing.T, name string) []string {
	return []string{"setup", "--no-input", "--name", name, "--environment", "Production",
		"--mailbox", "visitors@contoso.com", "--timezone", "W. Europe Standard Time",
		"--tenant-id", testTenant, "--client-id", testClient,
		"--idm-url", "https://idm.example.com/api/v1",
		"--internal-domain", "contoso.com", "--internal-domain", "contoso.de",
		"--exclude", "ceo@contoso.com", "--secret-expires", "2027-05-31",
		"--app-name", "Salto-IDM-Calendar-Integration-Production",
		"--enterprise-object-id", "7d1c0f3e-55aa-4b8e-9e0c-2a1b3c4d5e00",
		"--lookahead", "14", "--day-start", "09:00", "--day-end", "17:30", "--interval", "2m",
		"--no-replies",
		"--client-secret-file", e.secretFile(t, "client-secret", testClientSecret),
		"--idm-api-key-file", e.secretFile(t, "idm-api-key", testIDMKey)}
}

// assertNowhere fails when any file under the configuration and state
// directories contains secret.
func (e *setupEnv) assertNowhere(t *testing.T, secret string) {
	t.Helper()
	files := 0
	for _, root := range []string{e.configDir, e.stateDir} {
		hits, read := leaktest.FilesHolding(t, root, secret)
		files += read
		for _, path := range hits {
			t.Errorf("%s contains the secret", path)
		}
	}
	if files == 0 {
		t.Fatal("no file was written at all")
	}
}

func TestSetupNoInputKeepsSecretsInTheKeyringOnly(t *testing.T) {
	keyringtest.Require(t)
	e := newSetupEnv(t)
	code, stdout, stderr := e.run("", e.newAutomationArgs(t, "Front desk")...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, secret := range []string{testClientSecret, testIDMKey} {
		e.assertNowhere(t, secret)
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("the output shows a secret:\n%s%s", stdout, stderr)
		}
	}
	k := e.keyring()
	if v, err := k.Get(config.ClientSecretKey("Front desk")); v != testClientSecret || err != nil {
		t.Errorf("client secret in the keyring = %q, %v", v, err)
	}
	if v, err := k.Get(config.IDMAPIKeyKey); v != testIDMKey || err != nil {
		t.Errorf("IDM API key in the keyring = %q, %v", v, err)
	}
	for _, want := range []string{`Added automation "Front desk"`, `client secret +stored in the OS keyring \(expires 2027-05-31\)`,
		`time zone +Europe/Berlin`, `IDM API key +stored in the OS keyring`, "Next: run `invitesync check`"} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	c, err := config.Load(e.configPath())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Automation("Front desk")
	if a.TimeZone != "Europe/Berlin" || a.LookAheadDays != 14 || a.Replies || !a.Enabled || a.DayEnd != "17:30" ||
		len(a.InternalDomains) != 2 || a.Exclude[0] != "ceo@contoso.com" || a.SecretExpires.String() != "2027-05-31" {
		t.Errorf("saved automation: %+v", a)
	}
	for path, want := range map[string]os.FileMode{e.configPath(): 0o600, filepath.Dir(e.configPath()): 0o700 | fs.ModeDir} {
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: %v, %v; want mode %v", path, fi.Mode(), err, want)
		}
	}
}

func TestSetupNoInputEditsOnlyTheGivenFlags(t *testing.T) {
	keyringtest.Require(t)
	e := newSetupEnv(t)
	if code, out, errOut := e.run("", e.newAutomationArgs(t, "Edit me")...); code != exitOK {
		t.Fatalf("create: exit %d\n%s%s", code, out, errOut)
	}
	before, _ := config.Load(e.configPath())

	// A new secret from standard input, two fields changed, nothing else.
	const rotated = "Rt5U.Fg0e~Jd1mC6YbQz4pHs9-Lr2_7vNwkT3Xq8"
	code, out, errOut := e.run(rotated+"\n", "setup", "--no-input", "--name", "Edit me",
		"--interval", "10", "--disabled", "--client-secret-stdin", "--secret-expires", "2028-01-31")
	if code != exitOK {
		t.Fatalf("edit: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, `Updated automation "Edit me"`) || !regexp.MustCompile(`IDM API key +kept \(the one already stored\)`).MatchString(out) ||
		!strings.Contains(out, `The Salto IDM API key: not given, so the one stored in the OS keyring (item "`+e.keyring().StoreKey(config.IDMAPIKeyKey)+`") is kept.`) {
		t.Errorf("output:\n%s", out)
	}
	after, err := config.Load(e.configPath())
	if err != nil {
		t.Fatal(err)
	}
	want := before.Automations[0]
	want.Interval = 10 * 60e9
	want.Enabled = false
	want.SecretExpires, _ = config.ParseDate("2028-01-31")
	if got := after.Automations[0]; len(after.Automations) != 1 || !equalAutomation(got, want) {
		t.Fatalf("after the edit:\n got %+v\nwant %+v", got, want)
	}
	if v, _ := e.keyring().Get(config.ClientSecretKey("Edit me")); v != rotated {
		t.Fatalf("the rotated secret was not stored")
	}
	e.assertNowhere(t, rotated)
}

func equalAutomation(a, b config.Automation) bool {
	return a.Name == b.Name && a.Enabled == b.Enabled && a.Interval == b.Interval && a.Mailbox == b.Mailbox &&
		a.TimeZone == b.TimeZone && a.TenantID == b.TenantID && a.ClientID == b.ClientID &&
		a.SecretExpires == b.SecretExpires && a.LookAheadDays == b.LookAheadDays && a.Replies == b.Replies &&
		strings.Join(a.InternalDomains, ",") == strings.Join(b.InternalDomains, ",") &&
		strings.Join(a.Exclude, ",") == strings.Join(b.Exclude, ",") && a.DayStart == b.DayStart &&
		a.DayEnd == b.DayEnd && a.AppName == b.AppName && a.EnterpriseObjectID == b.EnterpriseObjectID
}

func TestSetupNoInputRejectsBadFlagsAndWritesNothing(t *testing.T) {
	keyringtest.Require(t)
	e := newSetupEnv(t)
	code, out, errOut := e.run("", "setup", "--no-input", "--name", "Bad",
		"--mailbox", "Visitors <visitors@contoso.com>", "--tenant-id", "abc", "--client-id", testClient,
		"--timezone", "Mars/Olympus", "--interval", "10s", "--idm-url", "http://idm.example.com",
		"--lookahead", "400", "--day-start", "8am", "--exclude", "ceo", "--secret-expires", "31/05/2027",
		"--client-secret-file", e.secretFile(t, "cs", testClientSecret),
		"--idm-api-key-file", e.secretFile(t, "ik", testIDMKey))
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitUsage, out, errOut)
	}
	for _, want := range []string{
		"nothing was saved",
		`  --mailbox: "Visitors <visitors@contoso.com>" is not a bare address: expected only the address, such as visitors@contoso.com`,
		`  --tenant-id: "abc" is not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`,
		`  --timezone: "Mars/Olympus" is not a known time zone`,
		`  --interval: 10s is too short: expected at least 15s`,
		`  --idm-url: "http://idm.example.com" uses http: expected https`,
		`  --lookahead: 400 days is out of range: expected 1 to 365`,
		`  --day-start: "8am" is not a time of day: expected HH:MM`,
		`  --exclude: entry 1: "ceo" is not an email address`,
		`  --secret-expires: "31/05/2027" is not a date: expected YYYY-MM-DD`,
		`  --environment: required: the Salto IDM environment the visits go to, e.g. Production`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := strings.Count(errOut, "\n  --"); n != 10 {
		t.Errorf("want one line per bad or missing flag (10), got %d:\n%s", n, errOut)
	}
	if _, err := os.Stat(e.configPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a configuration was written: %v", err)
	}
	if _, err := e.keyring().Get(config.ClientSecretKey("Bad")); !errors.Is(err, config.ErrSecretNotFound) {
		t.Errorf("the secret was stored despite the errors: %v", err)
	}
}

func TestSetupNoInputSecretProblems(t *testing.T) {
	keyringtest.Require(t)
	e := newSetupEnv(t)
	base := func(name string) []string {
		return []string{"setup", "--no-input", "--name", name, "--mailbox", "visitors@contoso.com",
			"--environment", "Production", "--secret-expires", "2099-12-31",
			"--timezone", "Europe/Madrid", "--tenant-id", testTenant, "--client-id", testClient,
			"--idm-url", "https://idm.example.com", "--idm-api-key-file", e.secretFile(t, "ik", testIDMKey)}
	}
	for _, tc := range []struct {
		name  string
		extra []string
		stdin string
		want  string
	}{
		{"no client secret", nil, "",
			"--client-secret-file: required: a new automation needs its client secret: pass --client-secret-file PATH or --client-secret-stdin, " +
				"or set INVITESYNC_CLIENT_SECRET_FILE_NO_CLIENT_SECRET to a file holding it (or INVITESYNC_CLIENT_SECRET_NO_CLIENT_SECRET to the value, " +
				"or INVITESYNC_CLIENT_SECRET_FILE or INVITESYNC_CLIENT_SECRET for every automation)"},
		{"secret ID instead of value", []string{"--client-secret-stdin"}, "9b2c1f0e-1234-4abc-8def-0123456789ab\n",
			"--client-secret-stdin: looks like the Secret ID (a GUID): expected the secret's Value"},
		{"empty stdin", []string{"--client-secret-stdin"}, "",
			"--client-secret-stdin: standard input was empty"},
		{"both sources", []string{"--client-secret-stdin", "--client-secret-file", "x"}, testClientSecret,
			"--client-secret-file: give the secret either from a file or from standard input, not both"},
		{"missing file", []string{"--client-secret-file", filepath.Join(e.secretsDir, "nope")}, "",
			"--client-secret-file: no file at the path given: expected the path of a file holding the secret, not the secret itself"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := e.run(tc.stdin, append(base(tc.name), tc.extra...)...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant %q%s", code, errOut, tc.want, out)
			}
			if strings.Contains(errOut, testIDMKey) {
				t.Fatal("an error shows the IDM key")
			}
			if _, err := os.Stat(e.configPath()); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a configuration was written: %v", err)
			}
		})
	}

	// The variables are a source too.
	t.Setenv(config.EnvClientSecret, testClientSecret)
	if code, out, errOut := e.run("", base("From env")...); code != exitOK {
		t.Fatalf("with %s: exit %d\n%s%s", config.EnvClientSecret, code, out, errOut)
	}
	if v, _ := e.keyring().Get(config.ClientSecretKey("From env")); v != testClientSecret {
		t.Fatal("the secret from the variable was not stored")
	}
}

// TestSetupNoInputNeverRepeatsASecretGivenInTheWrongPlace: a secret typed
// where a file name or an argument belongs is refused without being echoed.
func TestSetupNoInputNeverRepeatsASecretGivenInTheWrongPlace(t *testing.T) {
	e := newSetupEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"as the file flag", []string{"--client-secret-file", testClientSecret},
			"--client-secret-file: no file at the path given: expected the path of a file holding the secret"},
		{"after the stdin flag", []string{"--client-secret-stdin", testClientSecret},
			"setup takes no arguments, only flags: secrets come from --client-secret-file, --client-secret-stdin or --idm-api-key-file"},
		{"as a stray argument", []string{testClientSecret, "--interval", "5m"},
			"setup takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"setup", "--no-input", "--name", "Front desk"}, tc.args...)
			code, out, errOut := e.run("", args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant %q%s", code, errOut, tc.want, out)
			}
			if strings.Contains(out+errOut, testClientSecret) {
				t.Fatalf("the output repeats the secret:\n%s%s", out, errOut)
			}
		})
	}
	if _, err := os.Stat(e.configPath()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a configuration was written: %v", err)
	}
}

func TestSetupNoInputRefusesABrokenFile(t *testing.T) {
	e := newSetupEnv(t)
	broken := "[idm]\nurl = \"https://idm.example.com\"\n[[automation]]\nname = \"x\ninterval = \"5m\"\n"
	os.MkdirAll(filepath.Dir(e.configPath()), 0o700)
	os.WriteFile(e.configPath(), []byte(broken), 0o600)
	code, out, errOut := e.run("", "setup", "--no-input", "--name", "x", "--interval", "5m")
	if code != exitUsage || !strings.Contains(errOut, e.configPath()+":4:") || !strings.Contains(errOut, "Fix the file or move it away") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(e.configPath()); string(got) != broken {
		t.Fatal("the broken file was changed")
	}
}

// TestSetupNoInputWithoutKeyring runs setup as its own process on a
// machine with no Secret Service: it warns, names the variables the service
// will need, and still saves.
func TestSetupNoInputWithoutKeyring(t *testing.T) {
	e := newSetupEnv(t)
	cmd := exec.Command(os.Args[0], append([]string{"--config", e.configPath(), "--state", filepath.Join(e.stateDir, "state.db")},
		e.newAutomationArgs(t, "No keyring")...)...)
	cmd.Env = append(os.Environ(), envAsBinary+"=1", "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(e.secretsDir, "no-bus"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{
		"warning: the secrets were not stored: no OS keyring is available: the D-Bus session bus named by DBUS_SESSION_BUS_ADDRESS does not answer",
		"At run time the service will need:\n" +
			`  for the client secret of automation "No keyring": INVITESYNC_CLIENT_SECRET_FILE_NO_KEYRING to a file holding it (or INVITESYNC_CLIENT_SECRET_NO_KEYRING to the value, or INVITESYNC_CLIENT_SECRET_FILE or INVITESYNC_CLIENT_SECRET for every automation)` + "\n" +
			"  for the Salto IDM API key: INVITESYNC_IDM_API_KEY_FILE to a file holding it (or INVITESYNC_IDM_API_KEY to the value)\n",
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	if !strings.Contains(out.String(), "not stored (no keyring): set INVITESYNC_CLIENT_SECRET_FILE_NO_KEYRING at run time") {
		t.Errorf("stdout:\n%s", out.String())
	}
	if _, err := config.Load(e.configPath()); err != nil {
		t.Fatalf("not saved: %v", err)
	}
	e.assertNowhere(t, testClientSecret)
	e.assertNowhere(t, testIDMKey)
	for _, secret := range []string{testClientSecret, testIDMKey} {
		if strings.Contains(out.String()+errOut.String(), secret) {
			t.Errorf("the output shows a secret:\n%s%s", out.String(), errOut.String())
		}
	}
}
