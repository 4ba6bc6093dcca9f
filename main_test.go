package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs invitesync in this process with exactly args.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = execute(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// isolatedHome points every default location at fresh directories, so that
// a test never reads the real user's configuration or state.
func isolatedHome(t *testing.T) (configHome, stateHome string) {
	t.Helper()
	home := t.TempDir()
	configHome, stateHome = filepath.Join(home, "config"), filepath.Join(home, "state")
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", configHome)
	t.Setenv("XDG_STATE_HOME", stateHome)
	t.Setenv(envConfig, "")
	t.Setenv(envState, "")
	return configHome, stateHome
}

func TestHelpOnEveryCommand(t *testing.T) {
	isolatedHome(t)
	root := newRootCmd(&app{})
	cmds := [][]string{{}}
	for _, c := range root.Commands() {
		if c.Name() != "help" && c.Name() != "completion" {
			cmds = append(cmds, []string{c.Name()})
		}
	}
	if len(cmds) < 7 {
		t.Fatalf("only %d commands: %v", len(cmds), cmds)
	}
	for _, cmd := range cmds {
		code, out, errOut := runCLI(t, append(cmd, "--help")...)
		if code != exitOK || errOut != "" || !strings.Contains(out, "Usage:") || !strings.Contains(out, "--config") {
			t.Errorf("%v --help: exit %d\n%s%s", cmd, code, out, errOut)
		}
	}
	if code, out, _ := runCLI(t, "--version"); code != exitOK || !strings.HasPrefix(out, "invitesync version ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
}

// TestUsageErrorsExitTwo: every command refuses unknown flags and stray
// arguments with exit 2, and names what was wrong.
func TestUsageErrorsExitTwo(t *testing.T) {
	isolatedHome(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"nonsense"}, `unknown command "nonsense"`},
		{[]string{"status", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"run", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"check", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"dashboard", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"dashboard", "--refresh", "10ms"}, "--refresh must be a duration from 100ms to 1h0m0s, such as 2s, not 10ms"},
		{[]string{"dashboard", "--refresh", "soon"}, `invalid argument "soon" for "--refresh"`},
		{[]string{"dashboard", "--watch", "--run-loops"}, "--watch and --run-loops exclude each other"},
		{[]string{"demo", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"setup", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"status", "extra"}, `"extra"`},
		{[]string{"run", "--once=maybe"}, `invalid argument "maybe" for "--once"`},
		{[]string{"setup", "--no-input"}, "--name: required"},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s%s", tc.args, code, exitUsage, tc.want, out, errOut)
		}
	}
}

// TestCommandsWithoutConfigurationSayWhatToDo: before any setup, every
// command that needs a configuration exits 2 and points at setup.
func TestCommandsWithoutConfigurationSayWhatToDo(t *testing.T) {
	configHome, _ := isolatedHome(t)
	want := "no configuration at " + filepath.Join(configHome, "invitesync", "config.toml") + ": run `invitesync setup` first, or pass --config"
	for _, args := range [][]string{{"status"}, {"status", "--json"}, {"run"}, {"run", "--once"}, {"check"}, {"check", "--json"}, {"dashboard"}} {
		code, out, errOut := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(errOut, want) || out != "" {
			t.Errorf("%v: exit %d, want %d\nstdout: %s\nstderr: %s\nwant %q", args, code, exitUsage, out, errOut, want)
		}
	}
}

// TestFullScreenNeedsATerminal: the wizard, the dashboard and the demo say
// what to use instead when standard input and output are not a terminal,
// and change nothing.
func TestFullScreenNeedsATerminal(t *testing.T) {
	configHome, _ := isolatedHome(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "the set-up wizard needs a terminal"}, // bare invitesync, no configuration
		{[]string{"setup"}, "setup --no-input"},
		{[]string{"demo"}, "the demo needs a terminal"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, exitUsage, tc.want)
		}
	}
	if _, err := os.Stat(configHome); !os.IsNotExist(err) {
		t.Errorf("the configuration directory was created: %v", err)
	}
}

// TestBrokenConfigurationExitsTwo: a configuration that cannot be used is
// a configuration error for every command, named with its line or field.
func TestBrokenConfigurationExitsTwo(t *testing.T) {
	isolatedHome(t)
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.toml")
	os.WriteFile(corrupt, []byte("[idm]\nurl = \"https://idm.example.com\n"), 0o600)
	invalid := filepath.Join(dir, "invalid.toml")
	os.WriteFile(invalid, []byte("[idm]\nurl = \"ftp://idm.example.com\"\n"), 0o600)
	for _, tc := range []struct {
		path, want string
	}{
		{corrupt, corrupt + ":2:"},
		{invalid, "idm.url"},
		{dir, "is a directory: expected the path of the configuration file"},
	} {
		for _, args := range [][]string{{}, {"status"}, {"run", "--once"}, {"check"}, {"dashboard"}} {
			code, out, errOut := runCLI(t, append([]string{"--config", tc.path}, args...)...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("--config %s %v: exit %d, want %d with %q\n%s%s", tc.path, args, code, exitUsage, tc.want, out, errOut)
			}
		}
	}
	if got, _ := os.ReadFile(corrupt); string(got) != "[idm]\nurl = \"https://idm.example.com\n" {
		t.Error("the corrupt file was changed")
	}
}

// TestDefaultPaths: flag, then environment, then the user's config
// directory and the XDG state directory.
func TestDefaultPaths(t *testing.T) {
	configHome, stateHome := isolatedHome(t)
	resolve := func(a *app) *app {
		t.Helper()
		if err := a.resolvePaths(); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := resolve(&app{})
	if want := filepath.Join(configHome, "invitesync", "config.toml"); a.configPath != want {
		t.Errorf("default config = %s, want %s", a.configPath, want)
	}
	if want := filepath.Join(stateHome, "invitesync", "state.db"); a.statePath != want {
		t.Errorf("default state = %s, want %s", a.statePath, want)
	}

	t.Setenv("XDG_STATE_HOME", "relative/state") // not absolute: ignored, as the XDG spec says
	if a, want := resolve(&app{}), filepath.Join(os.Getenv("HOME"), ".local", "state", "invitesync", "state.db"); a.statePath != want {
		t.Errorf("state with a relative XDG_STATE_HOME = %s, want %s", a.statePath, want)
	}

	t.Setenv(envConfig, "/env/config.toml")
	t.Setenv(envState, "/env/state.db")
	if a := resolve(&app{}); a.configPath != "/env/config.toml" || a.statePath != "/env/state.db" {
		t.Errorf("from the environment: %s, %s", a.configPath, a.statePath)
	}
	if a := resolve(&app{configPath: "/flag/c.toml", statePath: "/flag/s.db"}); a.configPath != "/flag/c.toml" || a.statePath != "/flag/s.db" {
		t.Errorf("from flags: %s, %s", a.configPath, a.statePath)
	}
}
