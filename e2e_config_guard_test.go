package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"invitesync/config"
	"invitesync/idm/idmtest"
	"invitesync/internal/keyringtest"
)

// TestE2EConfigurationOthersMayChangeIsRefused: a configuration file, or a
// directory above it, that other users may change is refused as ssh refuses
// such keys, with the chmod that fixes it, and nothing reaches Graph or
// IDM; one that others may only read works, with a warning.
func TestE2EConfigurationOthersMayChangeIsRefused(t *testing.T) {
	// Every case gives the file and directory a group that is not the
	// user's own (a user private group may write), which needs root.
	if os.Geteuid() != 0 {
		t.Skip("giving a file another group or owner needs root")
	}
	const nobody, nogroup = 65534, 65534
	tests := []struct {
		name      string
		file, dir os.FileMode
		owner     int // 0: ours
		code      int
		want      []string
	}{
		{name: "0600 in 0700", file: 0o600, dir: 0o700, code: exitOK},
		{name: "0644 is read by others", file: 0o644, dir: 0o700, code: exitOK,
			want: []string{"warning:", "config.toml is readable by its group and by everyone", "chmod 600 "}},
		{name: "0640 is read by its group", file: 0o640, dir: 0o700, code: exitOK,
			want: []string{"warning:", "config.toml is readable by its group:", "chmod 600 "}},
		{name: "0666 is written by others", file: 0o666, dir: 0o700, code: exitUsage,
			want: []string{"config.toml is writable by its group and by everyone", "decides where the IDM API key is sent", "chmod go-w "}},
		{name: "0620 is written by its group", file: 0o620, dir: 0o700, code: exitUsage,
			want: []string{"config.toml is writable by its group:", "chmod go-w "}},
		{name: "0777 file", file: 0o777, dir: 0o700, code: exitUsage,
			want: []string{"config.toml is writable by its group and by everyone", "chmod go-w "}},
		{name: "0600 in a 0777 directory", file: 0o600, dir: 0o777, code: exitUsage,
			want: []string{"config is writable by its group and by everyone", "chmod go-w "}},
		{name: "0644 in a 0777 directory", file: 0o644, dir: 0o777, code: exitUsage,
			want: []string{"config is writable by its group and by everyone"}},
		{name: "0600 in a 1777 directory (sticky, as /tmp)", file: 0o600, dir: os.ModeSticky | 0o777, code: exitOK},
		{name: "0600 of another user", file: 0o600, dir: 0o700, owner: nobody, code: exitUsage,
			want: []string{"config.toml belongs to user ", "chown "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t)
			dir := filepath.Dir(e.configPath())
			if err := os.Chmod(e.configPath(), tt.file); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.dir); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{e.configPath(), dir} {
				if err := os.Chown(p, -1, nogroup); err != nil {
					t.Fatal(err)
				}
			}
			if tt.owner != 0 {
				if err := os.Chown(e.configPath(), tt.owner, -1); err != nil {
					t.Fatal(err)
				}
			}
			e.meeting("Supplier visit", tomorrowAt(10), "ann.guest@fabrikam.com")
			for _, args := range [][]string{{"run", "--once"}, {"check"}, {"status"}} {
				code, out, errOut := e.run(nil, args...)
				want := tt.code // status too: the run --once just before polled it
				if code != want {
					t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out, errOut)
				}
				for _, want := range tt.want {
					if !strings.Contains(errOut, want) {
						t.Errorf("%v: stderr lacks %q:\n%s", args, want, errOut)
					}
				}
				if len(tt.want) == 0 && strings.Contains(errOut, "warning:") {
					t.Errorf("%v: an unwanted warning:\n%s", args, errOut)
				}
			}
			if n := len(e.idm.Visits()); (tt.code == exitOK) != (n == 1) {
				t.Errorf("IDM holds %d visits after exit %d", n, tt.code)
			}
			if n := len(e.idm.Requests()); tt.code != exitOK && n != 0 {
				t.Errorf("IDM was sent %d requests from a refused configuration", n)
			}
		})
	}
}

// TestE2ESetupThroughASymlink: `setup --no-input` on a configuration that
// is a symbolic link writes the file the link leads to, atomically and
// 0600, and leaves the link in place; a link to something that is not a
// file is refused with nothing changed.
func TestE2ESetupThroughASymlink(t *testing.T) {
	tests := []struct {
		name string
		link func(t *testing.T, link, real string) // makes the link at link to real
		fail string                                // the refusal, if any
	}{
		{name: "absolute link", link: func(t *testing.T, link, real string) { symlink(t, real, link) }},
		{name: "relative link", link: func(t *testing.T, link, real string) {
			rel, _ := filepath.Rel(filepath.Dir(link), real)
			symlink(t, rel, link)
		}},
		{name: "a chain of two links", link: func(t *testing.T, link, real string) {
			middle := filepath.Join(filepath.Dir(real), "middle.toml")
			symlink(t, real, middle)
			symlink(t, middle, link)
		}},
		{name: "a link to a directory", link: func(t *testing.T, link, real string) {
			symlink(t, filepath.Dir(real), link)
		}, fail: "config.toml is a directory: expected the path of the configuration file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyringtest.Require(t)
			e := newE2E(t)
			real := filepath.Join(e.dir, "dotfiles", "invitesync.toml")
			if err := os.MkdirAll(filepath.Dir(real), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(e.configPath(), real); err != nil {
				t.Fatal(err)
			}
			tt.link(t, e.configPath(), real)
			before, _ := os.ReadFile(real)

			code, out, errOut := e.run(nil, "setup", "--no-input", "--name", "Reception", "--environment", "Staging",
				"--idm-api-key-file", e.secretFile("idm-api-key", e.idm.APIKey()))
			if fi, err := os.Lstat(e.configPath()); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("the link was replaced: %v, %v", fi.Mode(), err)
			}
			after, _ := os.ReadFile(real)
			if tt.fail != "" {
				if code != exitUsage || !strings.Contains(errOut, tt.fail) {
					t.Fatalf("exit %d, want %d with %q\n%s%s", code, exitUsage, tt.fail, out, errOut)
				}
				if string(after) != string(before) {
					t.Fatal("the file changed")
				}
				return
			}
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			c, err := config.Load(e.configPath())
			if err != nil {
				t.Fatal(err)
			}
			if c.Automations[0].Environment != "Staging" || !strings.Contains(string(after), `environment = "Staging"`) {
				t.Errorf("the file the link leads to was not written:\n%s", after)
			}
			if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", fi.Mode().Perm())
			}
			for _, d := range []string{filepath.Dir(real), filepath.Dir(e.configPath())} {
				entries, _ := os.ReadDir(d)
				for _, en := range entries {
					if strings.HasSuffix(en.Name(), ".tmp") {
						t.Errorf("left behind: %s", filepath.Join(d, en.Name()))
					}
				}
			}
		})
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestE2EHugeFlagValuesAreNotEchoed: a 120 KB value in any flag gets a
// message that names the flag and the value's length and quotes at most 80
// characters of it; a 120 KB address of the right shape is refused, and
// nothing is saved.
func TestE2EHugeFlagValuesAreNotEchoed(t *testing.T) {
	e := newE2E(t)
	huge := strings.Repeat("a", 120_000)
	before, _ := os.ReadFile(e.configPath())
	tests := []struct {
		flag, value string
	}{
		{"environment", huge}, {"mailbox", huge}, {"mailbox", huge + "@contoso.com"},
		{"mailbox", strings.Repeat("a", 65) + "@contoso.com"}, {"timezone", huge},
		{"tenant-id", huge}, {"client-id", huge}, {"idm-url", huge}, {"interval", huge},
		{"lookahead", huge}, {"day-start", huge}, {"day-end", huge}, {"secret-expires", huge},
		{"enterprise-object-id", huge}, {"app-name", huge}, {"exclude", huge},
		{"exclude", huge + "@fabrikam.com"}, {"internal-domain", huge},
		{"client-secret-file", huge}, {"idm-api-key-file", huge},
	}
	for _, tt := range tests {
		t.Run(tt.flag+"/"+tt.value[len(tt.value)-8:], func(t *testing.T) {
			code, out, errOut := e.run(nil, "setup", "--no-input", "--name", "Reception", "--"+tt.flag, tt.value)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s", code, exitUsage, out)
			}
			var line string
			for _, l := range strings.Split(errOut, "\n") {
				if strings.Contains(l, "--"+tt.flag+":") {
					line = l
				}
			}
			if line == "" {
				t.Fatalf("no line names --%s:\n%.2000s", tt.flag, errOut)
			}
			if strings.Contains(errOut, strings.Repeat("a", 81)) {
				t.Errorf("more than 80 characters of the value are quoted:\n%.600s", line)
			}
			if len(tt.value) > 1000 && !strings.Contains(line, "characters") {
				t.Errorf("the line does not give the length: %s", line)
			}
			if len(errOut) > 4000 {
				t.Errorf("%d bytes of messages", len(errOut))
			}
		})
	}
	for _, args := range [][]string{{"--config", huge, "status"}, {"--state", huge, "status"}, {"check", "--automation", huge}} {
		code, _, errOut := e.run(nil, args...)
		if code != exitUsage || strings.Contains(errOut, strings.Repeat("a", 81)) || !strings.Contains(errOut, "120000 characters") {
			t.Errorf("%s: exit %d\n%.600s", args[0], code, errOut)
		}
	}
	if after, _ := os.ReadFile(e.configPath()); string(after) != string(before) {
		t.Error("the configuration changed")
	}
}

// TestE2ESecretFilesWithWhiteSpace: client secret and IDM key files with
// spaces, tabs and CRLF around the value work for setup --check and for
// run, with a note naming what was removed and never the value.
func TestE2ESecretFilesWithWhiteSpace(t *testing.T) {
	keyringtest.Require(t)
	tests := []struct {
		name, before, after, note string
	}{
		{"two trailing newlines", "", "\n\n", "a line break"},
		{"spaces around", "  ", " \n", "3 spaces"},
		{"a tab", "\t", "\n", "a tab"},
		{"CRLF", "", "\r\n\r\n", "a line break"},
		{"everything", " \t", "\t \r\n", "2 spaces and 2 tabs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t)
			e.keyringOnly()
			os.Remove(e.configPath())
			write := func(name, value string) string {
				p := filepath.Join(e.dir, name)
				if err := os.WriteFile(p, []byte(tt.before+value+tt.after), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			clientFile, keyFile := write("client-secret", e.graph.Secret), write("idm-api-key", e.idm.APIKey())
			args := []string{"setup", "--no-input", "--name", "Reception", "--environment", idmtest.DefaultEnvironment.Name,
				"--mailbox", e2eMailbox, "--timezone", "Europe/Madrid", "--tenant-id", e.graph.TenantID,
				"--client-id", e.graph.ClientID, "--secret-expires", "2099-01-01", "--idm-url", e.idm.URL(),
				"--idm-api-key-file", keyFile, "--client-secret-file", clientFile, "--check"}
			code, out, errOut := e.run(nil, args...)
			if code != exitOK {
				t.Fatalf("setup --check: exit %d\n%s%s", code, out, errOut)
			}
			for _, want := range []string{
				`the client secret of automation "Reception" from --client-secret-file had ` + tt.note + " around it, which was removed",
				"the Salto IDM API key from --idm-api-key-file had " + tt.note + " around it",
			} {
				if !strings.Contains(errOut, want) {
					t.Errorf("setup: stderr lacks %q:\n%s", want, errOut)
				}
			}
			if v, _ := e.secrets().Get(config.ClientSecretKey("Reception")); v != e.graph.Secret {
				t.Errorf("the stored client secret is %d bytes, want %d", len(v), len(e.graph.Secret))
			}

			// The same files given to the service through the variables.
			e.meeting("Supplier visit", tomorrowAt(10), "ann.guest@fabrikam.com")
			code, out, errOut = e.run([]string{config.EnvClientSecretFile + "=" + clientFile, config.EnvIDMAPIKeyFile + "=" + keyFile},
				"run", "--once")
			if code != exitOK || len(e.idm.Visits()) != 1 {
				t.Fatalf("run --once: exit %d, %d visits\n%s%s", code, len(e.idm.Visits()), out, errOut)
			}
			for _, want := range []string{"from " + config.EnvClientSecretFile + " had " + tt.note, "from " + config.EnvIDMAPIKeyFile + " had " + tt.note} {
				if !strings.Contains(errOut, want) {
					t.Errorf("run: the log lacks %q:\n%s", want, errOut)
				}
			}
			all := out + errOut
			for _, secret := range []string{e.graph.Secret, e.idm.APIKey()} {
				if strings.Contains(all, secret) {
					t.Error("the output shows a secret")
				}
			}
		})
	}
}
