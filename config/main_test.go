package config_test

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/internal/keyringtest"
)

// Child modes: the test binary re-runs itself to do what needs a process of
// its own (a save killed with SIGKILL; go-keyring's session bus connection,
// which a process opens once, against a broken D-Bus).
const (
	envSaveLoop     = "INVITESYNC_TEST_SAVE_LOOP"     // path to save to, forever
	envKeyringProbe = "INVITESYNC_TEST_KEYRING_PROBE" // keyring timeout, e.g. 3s
)

func TestMain(m *testing.M) {
	if path := os.Getenv(envSaveLoop); path != "" {
		saveLoop(path)
		return
	}
	if timeout := os.Getenv(envKeyringProbe); timeout != "" {
		keyringProbe(timeout)
		return
	}
	os.Exit(keyringtest.Main(m))
}

// saveLoop saves versions 1, 2, 3, … of a configuration to path, printing
// each version number once its Save has returned.
func saveLoop(path string) {
	for i := 1; ; i++ {
		c := sampleConfig()
		c.Automations[0].Name = fmt.Sprintf("version %d", i)
		c.Automations[0].LookAheadDays = i%365 + 1
		if err := config.Save(path, c); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(i)
	}
}

// keyringProbe reads a client secret through the keyring and prints what a
// person would see: whether the keyring counted as unavailable, and the message.
func keyringProbe(timeout string) {
	k := config.NewKeyring()
	d, err := time.ParseDuration(timeout)
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	k.Timeout = d
	_, _, err = config.ClientSecret("Front desk").Resolve(k)
	fmt.Printf("unavailable=%v notfound=%v\n%v\n", errors.Is(err, config.ErrKeyringUnavailable), errors.Is(err, config.ErrSecretNotFound), err)
	os.Exit(0)
}

// sampleConfig is a valid configuration using every field.
func sampleConfig() *config.Config {
	return &config.Config{
		IDM: config.IDM{URL: "https://idm.example.com/api/v1"},
		Automations: []config.Automation{{
			Name:               "Front desk",
			Environment:        "Production",
			Enabled:            true,
			Interval:           5 * time.Minute,
			Protocol:           config.ProtocolOutlook,
			Mailbox:            "visitors@contoso.com",
			TimeZone:           "Europe/Madrid",
			TenantID:           "3f9a2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b",
			ClientID:           "0e9f8a7b-6c5d-4e3f-2a1b-0c9d8e7f6a5b",
			AppName:            "Salto-IDM-Calendar-Integration-Production",
			EnterpriseObjectID: "7d1c0f3e-55aa-4b8e-9e0c-2a1b3c4d5e00",
			SecretExpires:      config.Date{Year: 2027, Month: time.May, Day: 31},
			InternalDomains:    []string{"contoso.com", "contoso.de"},
			Exclude:            []string{"ceo@contoso.com"},
			LookAheadDays:      30,
			DayStart:           "08:00",
			DayEnd:             "18:00",
			Replies:            true,
		}},
	}
}
