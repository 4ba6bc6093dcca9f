package config_test

// These tests use the real Secret Service: the private gnome-keyring that
// TestMain starts (keyringtest), and, for the failure cases, buses of their
// own in child processes. No stand-in keyring is used here.

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"invitesync/config"
	"invitesync/internal/keyringtest"
)

func TestKeyringSetGetOverwriteDelete(t *testing.T) {
	keyringtest.Require(t)
	k := config.NewKeyring()
	key := config.ClientSecretKey("Front desk")

	if _, err := k.Get(key); !errors.Is(err, config.ErrSecretNotFound) || errors.Is(err, config.ErrKeyringUnavailable) {
		t.Fatalf("Get before Set: %v; want ErrSecretNotFound only", err)
	}
	if err := k.Set(key, "first value"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := k.Set(key, knownSecret); err != nil {
		t.Fatalf("Set over an existing entry: %v", err)
	}
	if v, err := k.Get(key); v != knownSecret || err != nil {
		t.Fatalf("Get = %q, %v; want the second value", v, err)
	}
	// Another Secret Service client sees the same entry.
	if _, err := exec.LookPath("secret-tool"); err == nil {
		out, err := exec.Command("secret-tool", "lookup", "service", config.KeyringService, "username", key).Output()
		if err != nil || string(out) != knownSecret {
			t.Fatalf("secret-tool lookup = %q, %v", out, err)
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("secret-tool is required under CI (libsecret-tools)")
	}
	if err := k.Delete(key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := k.Get(key); !errors.Is(err, config.ErrSecretNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if err := k.Delete(key); !errors.Is(err, config.ErrSecretNotFound) {
		t.Fatalf("Delete of a missing entry: %v", err)
	}
}

func TestKeyringResolveAndFallback(t *testing.T) {
	keyringtest.Require(t)
	t.Setenv(config.EnvIDMAPIKey, "")
	t.Setenv(config.EnvIDMAPIKeyFile, "")
	k := config.NewKeyring()
	if err := k.Set(config.IDMAPIKeyKey, "key-in-keyring"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Delete(config.IDMAPIKeyKey) })
	if v, from, err := config.IDMAPIKey().Resolve(k); v != "key-in-keyring" || from != "keyring" || err != nil {
		t.Fatalf("Resolve = %q from %q, %v", v, from, err)
	}
	file := filepath.Join(t.TempDir(), "idm-api-key")
	os.WriteFile(file, []byte("key-in-file\n"), 0o600)
	t.Setenv(config.EnvIDMAPIKeyFile, file)
	if v, from, err := config.IDMAPIKey().Resolve(k); v != "key-in-file" || from != config.EnvIDMAPIKeyFile || err != nil {
		t.Fatalf("with %s: Resolve = %q from %q, %v", config.EnvIDMAPIKeyFile, v, from, err)
	}
}

// TestKeyringUnavailable reads a secret, in a child process, with each kind
// of broken Secret Service, and checks the message says what is missing and
// what to do, in words.
func TestKeyringUnavailable(t *testing.T) {
	keyringtest.Require(t) // the cases below need dbus-daemon and gnome-keyring
	empty := t.TempDir()
	noProvider := startBus(t)
	locked := startBus(t)
	locked.startKeyring(t, t.TempDir(), true)
	locked.restartKeyringLocked(t)
	stalled := startBus(t)
	stalled.stallSecretService(t)

	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"no session bus", []string{"DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR=" + empty, "PATH=" + empty},
			"there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set); run it in a user session with a session bus and an unlocked gnome-keyring"},
		{"dead bus address", []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(empty, "gone")},
			"the D-Bus session bus named by DBUS_SESSION_BUS_ADDRESS does not answer; start a session bus with gnome-keyring"},
		{"no Secret Service on the bus", []string{"DBUS_SESSION_BUS_ADDRESS=" + noProvider.addr},
			"no Secret Service runs on the D-Bus session bus; install and unlock gnome-keyring or another Secret Service"},
		{"locked keyring", []string{"DBUS_SESSION_BUS_ADDRESS=" + locked.addr},
			"the keyring is locked; unlock it by logging in to the desktop session or by starting gnome-keyring-daemon with --unlock"},
		{"Secret Service does not answer", []string{"DBUS_SESSION_BUS_ADDRESS=" + stalled.addr},
			"the Secret Service did not answer in time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), append(tc.env, envKeyringProbe+"=500ms",
				config.EnvClientSecret+"=", config.EnvClientSecretFile+"=")...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("probe: %v\n%s", err, out)
			}
			got := string(out)
			if !strings.HasPrefix(got, "unavailable=true notfound=false\n") {
				t.Errorf("not reported as an unavailable keyring:\n%s", got)
			}
			for _, want := range []string{
				`cannot read the client secret of automation "Front desk": no OS keyring is available: ` + tc.want,
				"or set INVITESYNC_CLIENT_SECRET_FILE_FRONT_DESK to a file holding it (or INVITESYNC_CLIENT_SECRET_FRONT_DESK to the value, or INVITESYNC_CLIENT_SECRET_FILE or INVITESYNC_CLIENT_SECRET for every automation) (detail: ",
			} {
				if !strings.Contains(got, want) {
					t.Errorf("message lacks %q:\n%s", want, got)
				}
			}
		})
	}
}

// testBus is a private D-Bus session bus for one test.
type testBus struct {
	addr string
	conn *dbus.Conn
	env  []string
}

// busConfig is a session bus that starts no service on demand: a Secret
// Service is there only when a test starts one.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

func startBus(t *testing.T) *testBus {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "bus.conf")
	if err := os.WriteFile(conf, []byte(busConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	b := &testBus{addr: strings.TrimSpace(line)}
	if b.conn, err = dbus.Connect(b.addr); err != nil {
		t.Fatalf("connect to the test bus: %v", err)
	}
	t.Cleanup(func() { b.conn.Close() })
	return b
}

// startKeyring starts gnome-keyring-daemon on the bus, keeping its keyrings
// in dataDir, unlocked with a password when unlock is set.
func (b *testBus) startKeyring(t *testing.T, dataDir string, unlock bool) {
	t.Helper()
	runDir := t.TempDir()
	b.env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+b.addr, "XDG_DATA_HOME="+dataDir,
		"XDG_RUNTIME_DIR="+runDir, "DISPLAY=", "WAYLAND_DISPLAY=")
	args := []string{"--daemonize", "--components=secrets"}
	if unlock {
		args = append(args, "--unlock")
	}
	cmd := exec.Command("gnome-keyring-daemon", args...)
	cmd.Env = b.env
	if unlock {
		cmd.Stdin = strings.NewReader("test-pass")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("start gnome-keyring-daemon: %v\n%s", err, out)
	}
	pid := b.waitForOwner(t, "org.freedesktop.secrets")
	t.Cleanup(func() {
		if p, err := os.FindProcess(int(pid)); err == nil {
			p.Kill()
		}
	})
}

// restartKeyringLocked stops the keyring daemon and starts it again without
// the password: the login keyring it created stays locked.
func (b *testBus) restartKeyringLocked(t *testing.T) {
	t.Helper()
	var pid uint32
	if err := b.conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, "org.freedesktop.secrets").Store(&pid); err != nil {
		t.Fatal(err)
	}
	p, _ := os.FindProcess(int(pid))
	p.Kill()
	for b.hasOwner(t, "org.freedesktop.secrets") {
		time.Sleep(10 * time.Millisecond)
	}
	cmd := exec.Command("gnome-keyring-daemon", "--daemonize", "--components=secrets")
	cmd.Env = b.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("restart gnome-keyring-daemon: %v\n%s", err, out)
	}
	pid = b.waitForOwner(t, "org.freedesktop.secrets")
	t.Cleanup(func() {
		if p, err := os.FindProcess(int(pid)); err == nil {
			p.Kill()
		}
	})
}

// stallSecretService takes the Secret Service's name on the bus and never
// answers an Unlock, as a stuck keyring daemon would.
func (b *testBus) stallSecretService(t *testing.T) {
	t.Helper()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	if err := b.conn.Export(stall{release}, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.conn.RequestName("org.freedesktop.secrets", dbus.NameFlagDoNotQueue); err != nil {
		t.Fatal(err)
	}
}

type stall struct{ release chan struct{} }

// Unlock blocks until the test ends.
func (s stall) Unlock([]dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	<-s.release
	return nil, "/", nil
}

func (b *testBus) hasOwner(t *testing.T, name string) bool {
	var has bool
	if err := b.conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has); err != nil {
		t.Fatal(err)
	}
	return has
}

// waitForOwner waits until a process owns name (a daemon returns before it
// takes its name) and returns that process's id.
func (b *testBus) waitForOwner(t *testing.T, name string) uint32 {
	t.Helper()
	for i := 0; !b.hasOwner(t, name); i++ {
		if i == 500 {
			t.Fatalf("nobody took %s on the test bus", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var pid uint32
	if err := b.conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, name).Store(&pid); err != nil {
		t.Fatal(err)
	}
	return pid
}
