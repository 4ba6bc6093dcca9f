// Package keyringtest gives a test binary a real, private Secret Service:
// its own D-Bus session bus and an unlocked gnome-keyring, so keyring tests
// never touch the developer's own keyring.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(keyringtest.Main(m)) }
//
// and call keyringtest.Require(t) in each test that needs it. With CI=true a
// Secret Service that cannot be started fails those tests instead of skipping.
package keyringtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startErr says why no Secret Service is available to Require: nil once Main
// has started one, and an error until Main runs.
var startErr = errors.New("keyringtest: Main was not called from TestMain")

// Main starts the private Secret Service, runs the tests and stops it.
func Main(m *testing.M) int {
	stop, err := Start()
	startErr = err
	code := m.Run()
	if stop != nil {
		stop()
	}
	return code
}

// Require skips t when no Secret Service could be started, or fails it
// when running under CI (CI=true), where it must be present.
func Require(t testing.TB) {
	t.Helper()
	if startErr == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("the Secret Service is required under CI: %v", startErr)
	}
	t.Skipf("no Secret Service: %v (install dbus and gnome-keyring)", startErr)
}

// Start launches dbus-daemon and gnome-keyring-daemon and points this process
// (and its children) at them through the environment. stop ends both and
// removes their directories.
func Start() (stop func(), err error) {
	for _, bin := range []string{"dbus-daemon", "gnome-keyring-daemon", "dbus-send"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("%s not found: install dbus and gnome-keyring", bin)
		}
	}
	dataDir, err := os.MkdirTemp("", "keyringtest-data-")
	if err != nil {
		return nil, err
	}
	runDir, err := os.MkdirTemp("", "keyringtest-run-")
	if err != nil {
		os.RemoveAll(dataDir)
		return nil, err
	}
	var pids []int
	stop = func() {
		for _, pid := range pids {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
		os.RemoveAll(dataDir)
		os.RemoveAll(runDir)
	}
	os.Setenv("XDG_DATA_HOME", dataDir)
	os.Setenv("XDG_RUNTIME_DIR", runDir)
	os.Unsetenv("DISPLAY") // a locked keyring would otherwise wait on a GUI prompt
	os.Unsetenv("WAYLAND_DISPLAY")

	out, err := exec.Command("dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1").Output()
	if err != nil {
		stop()
		return nil, fmt.Errorf("start dbus-daemon: %w", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) < 2 {
		stop()
		return nil, fmt.Errorf("dbus-daemon printed %q", out)
	}
	busPID, _ := strconv.Atoi(lines[1])
	pids = append(pids, busPID)
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", lines[0])

	kr := exec.Command("gnome-keyring-daemon", "--daemonize", "--unlock", "--components=secrets")
	kr.Stdin = strings.NewReader("test-pass")
	if out, err := kr.CombinedOutput(); err != nil {
		stop()
		return nil, fmt.Errorf("start gnome-keyring-daemon: %w: %s", err, out)
	}
	// The daemon returns before it owns its bus name.
	var owner bool
	for i := 0; i < 200 && !owner; i++ {
		out, _ := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/",
			"org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets").Output()
		owner = bytes.Contains(out, []byte("boolean true"))
		if !owner {
			time.Sleep(25 * time.Millisecond)
		}
	}
	if !owner {
		stop()
		return nil, errors.New("gnome-keyring-daemon never took org.freedesktop.secrets on the private bus")
	}
	out, err = exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/",
		"org.freedesktop.DBus.GetConnectionUnixProcessID", "string:org.freedesktop.secrets").Output()
	if err == nil {
		f := strings.Fields(string(out))
		if pid, err := strconv.Atoi(f[len(f)-1]); err == nil {
			pids = append(pids, pid)
		}
	}
	return stop, nil
}
