package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// KeyringService is the service name of invitesync's entries in the OS keyring.
const KeyringService = "invitesync"

// DefaultKeyringTimeout bounds every keyring call. A healthy Secret Service
// answers in milliseconds; a stuck one can otherwise hang for minutes.
const DefaultKeyringTimeout = 3 * time.Second

// ErrKeyringUnavailable is matched (errors.Is) by every error saying that
// the OS keyring cannot be used at all, as opposed to ErrSecretNotFound.
var ErrKeyringUnavailable = errors.New("no OS keyring is available")

// KeyringUnavailableError says in words what is missing and what to do.
type KeyringUnavailableError struct {
	Reason string // what is missing, e.g. "no Secret Service runs on the D-Bus session bus"
	Fix    string // what to do about it
	Err    error  // the underlying error, for detail
}

// Error returns the reason, the fix and the detail.
func (e *KeyringUnavailableError) Error() string {
	return fmt.Sprintf("no OS keyring is available: %s; %s (detail: %v)", e.Reason, e.Fix, e.Err)
}

// Unwrap returns the underlying error.
func (e *KeyringUnavailableError) Unwrap() error { return e.Err }

// Is makes every KeyringUnavailableError match ErrKeyringUnavailable.
func (e *KeyringUnavailableError) Is(target error) bool { return target == ErrKeyringUnavailable }

// Keyring is the OS keyring (on Linux the freedesktop Secret Service, such
// as gnome-keyring) through go-keyring, every call bounded by Timeout.
type Keyring struct {
	Service string
	Timeout time.Duration
}

// NewKeyring returns the keyring under service "invitesync" with the default timeout.
func NewKeyring() *Keyring {
	return &Keyring{Service: KeyringService, Timeout: DefaultKeyringTimeout}
}

var _ SecretStore = (*Keyring)(nil)

// Get implements SecretStore.
func (k *Keyring) Get(key string) (string, error) {
	var v string
	err := k.call(func() (err error) {
		v, err = keyring.Get(k.Service, key)
		return err
	})
	return v, k.wrap(key, err)
}

// Set implements SecretStore.
func (k *Keyring) Set(key, value string) error {
	return k.wrap(key, k.call(func() error { return keyring.Set(k.Service, key, value) }))
}

// Delete implements SecretStore.
func (k *Keyring) Delete(key string) error {
	return k.wrap(key, k.call(func() error { return keyring.Delete(k.Service, key) }))
}

// errTimeout marks a call that did not return within the timeout.
var errTimeout = errors.New("no answer")

// call runs fn in a goroutine and gives up after k.Timeout. A call that
// hangs is abandoned; its goroutine ends when the bus finally answers.
func (k *Keyring) call(fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	t := time.NewTimer(k.Timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("%w within %s", errTimeout, k.Timeout)
	}
}

// wrap turns go-keyring's and D-Bus's errors into ErrSecretNotFound or a
// *KeyringUnavailableError.
func (k *Keyring) wrap(key string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("keyring entry %q: %w", key, ErrSecretNotFound)
	}
	return classify(err)
}

const fixInstall = "install and unlock gnome-keyring or another Secret Service"

// classify explains why the keyring cannot be used. The cases are those
// go-keyring meets on Linux: no bus address, a dead bus, no Secret Service
// on the bus, a locked collection, a hung call.
func classify(err error) *KeyringUnavailableError {
	var (
		execErr *exec.Error
		netErr  *net.OpError
		busErr  dbus.Error
		busErrP *dbus.Error
	)
	e := &KeyringUnavailableError{Err: err, Fix: fixInstall}
	switch {
	case errors.Is(err, errTimeout):
		e.Reason = "the Secret Service did not answer in time"
		e.Fix = "check that gnome-keyring (or another Secret Service) is running and unlocked"
	case os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" && (errors.As(err, &execErr) || strings.Contains(err.Error(), "session bus")):
		e.Reason = "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
		e.Fix = "run it in a user session with a session bus and an unlocked gnome-keyring (or another Secret Service)"
	case errors.As(err, &netErr):
		e.Reason = "the D-Bus session bus named by DBUS_SESSION_BUS_ADDRESS does not answer"
		e.Fix = "start a session bus with gnome-keyring or another Secret Service, or correct DBUS_SESSION_BUS_ADDRESS"
	case errors.As(err, &busErr) && busErr.Name == "org.freedesktop.DBus.Error.ServiceUnknown",
		errors.As(err, &busErrP) && busErrP.Name == "org.freedesktop.DBus.Error.ServiceUnknown":
		e.Reason = "no Secret Service runs on the D-Bus session bus"
	case strings.Contains(err.Error(), "unlock"):
		e.Reason = "the keyring is locked"
		e.Fix = "unlock it by logging in to the desktop session or by starting gnome-keyring-daemon with --unlock"
	default:
		e.Reason = "the Secret Service failed"
		e.Fix = "check that gnome-keyring (or another Secret Service) is running and unlocked"
	}
	return e
}
