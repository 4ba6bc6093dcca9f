package tui

import (
	"fmt"
	"strings"

	"invitesync/config"
)

// userUnitPath is where a user's systemd units live, as the next steps
// write it.
const userUnitPath = "~/.config/systemd/user/invitesync.service"

// NextSteps is what to do once automation a is saved in the configuration
// at configPath: the commands that run it as a service, open the
// dashboard and preview it, with the state database at statePath ("": the
// default); the text to send the employees; and what is left to do in
// Salto IDM.
func NextSteps(configPath, statePath string, a config.Automation) string {
	cfg := "--config " + shellQuote(configPath)
	if statePath != "" {
		cfg += " --state " + shellQuote(statePath)
	}
	name := shellQuote(a.Name)
	var b strings.Builder
	b.WriteString("What next\n\n")
	if !a.Enabled {
		fmt.Fprintf(&b, "See what it would do, changing nothing, then switch it on:\n  invitesync preview %s --automation %s\n  invitesync setup --no-input %s --name %s --disabled=false\n\n", cfg, name, cfg, name)
	} else {
		fmt.Fprintf(&b, "See what it would do, changing nothing:\n  invitesync preview %s --automation %s\n\n", cfg, name)
	}
	fmt.Fprintf(&b, "Run it as a service (a systemd user unit; --system gives one for\n/etc/systemd/system, and without -o the unit is printed):\n")
	fmt.Fprintf(&b, "  invitesync service-unit %s -o %s\n  systemctl --user daemon-reload\n  systemctl --user enable --now invitesync\n\n", cfg, userUnitPath)
	fmt.Fprintf(&b, "Watch it:\n  invitesync dashboard %s\n\n", cfg)
	b.WriteString("Send this to the employees:\n")
	tell := fmt.Sprintf("  To register visitors, add %s to your meeting invitations with external guests, and send them as usual. Each guest from outside becomes a visit in Salto IDM, with you as the host", a.Mailbox)
	if a.Replies {
		tell += "; the mailbox accepts the meeting once the visits are in place, or says why not"
	}
	tell += ". You need to be in Salto IDM as an employee, with the address you send invitations from."
	b.WriteString(tell + "\n\n")
	b.WriteString("In Salto IDM: nothing more to set up. The vendor's procedure ends by creating\n" +
		"the automation under Administration > Automations; invitesync is that\n" +
		"automation, so do not create one there for this mailbox as well: the same\n" +
		"invitations would become visits twice. IDM needs only what was just tested:\n" +
		"the API key, the environment, and each host as an employee.")
	return b.String()
}
