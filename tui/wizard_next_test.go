package tui

import (
	"strings"
	"testing"

	"invitesync/config"
)

// TestNextStepsNameTheStateDatabase: every suggested command that reads the
// state database names the one set up with, so a set-up with --state is
// not followed by a service and a dashboard on the default one.
func TestNextStepsNameTheStateDatabase(t *testing.T) {
	a := config.Automation{Name: "Front desk", Mailbox: "visitors@contoso.example", Enabled: true}
	steps := NextSteps("/etc/invitesync/config.toml", "/var/lib/invitesync/state.db", a)
	for _, cmd := range []string{"invitesync preview", "invitesync service-unit", "invitesync dashboard"} {
		var line string
		for l := range strings.Lines(steps) {
			if strings.Contains(l, cmd) {
				line = l
			}
		}
		if !strings.Contains(line, "--config /etc/invitesync/config.toml --state /var/lib/invitesync/state.db") {
			t.Errorf("%s: %q lacks the configuration and state paths", cmd, line)
		}
	}
	if steps := NextSteps("/etc/invitesync/config.toml", "", a); strings.Contains(steps, "--state") {
		t.Errorf("with the default state database the steps still name one:\n%s", steps)
	}
}
