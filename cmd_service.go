package main

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"invitesync/config"
	"invitesync/internal/atomicfile"
)

func newServiceUnitCmd(a *app) *cobra.Command {
	var out string
	var system bool
	var runAs string
	cmd := &cobra.Command{
		Use:   "service-unit",
		Short: "Print (or write with -o) a systemd unit that runs invitesync as a service",
		Long: `Print a systemd unit that runs ` + "`invitesync run`" + ` with this configuration and
state database, restarting it when it fails; -o FILE writes it there instead.

Without --system it is a user unit that reads the secrets from your keyring, as
the wizard stored them, so it needs the keyring unlocked: ` + "`loginctl enable-linger`" + `
keeps it running after you log out, but after a restart it cannot read them
until you log in. Write it to ~/.config/systemd/user/invitesync.service, then
run ` + "`systemctl --user daemon-reload`" + ` and ` + "`systemctl --user enable --now invitesync`" + `.

With --system it is a unit for /etc/systemd/system, which reads the secrets
from files given as systemd credentials (a system service has no keyring): put
each secret in the file its LoadCredential line names, readable by root only,
then ` + "`systemctl daemon-reload`" + ` and ` + "`systemctl enable --now invitesync`" + `.
Its User= line is --user NAME when given; otherwise you, or under sudo the
user who ran sudo. As root without sudo it asks for --user: the service is
never run as root unless you name root.`,
		Example: `  invitesync service-unit -o ~/.config/systemd/user/invitesync.service
  systemctl --user daemon-reload && systemctl --user enable --now invitesync`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runAs != "" && !system {
				return usageErr(errors.New("--user goes with --system only: a user unit runs as you"))
			}
			unit, err := a.serviceUnit(system, runAs)
			if err != nil {
				return err
			}
			if out == "" {
				fmt.Fprint(a.stdout, unit)
				return nil
			}
			if err := writeUnit(out, unit); err != nil {
				return failedErr(err)
			}
			fmt.Fprintf(a.stdout, "Wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the unit to this file instead of printing it")
	cmd.Flags().BoolVar(&system, "system", false, "a system unit that reads the secrets from credential files instead of the keyring")
	cmd.Flags().StringVar(&runAs, "user", "", "with --system: the user the service runs as (default: you, or under sudo the user who ran sudo)")
	return cmd
}

// serviceUnit is the unit file: `invitesync run` with this binary, this
// configuration and this state database, all as absolute paths; runAs is
// --user.
func (a *app) serviceUnit(system bool, runAs string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", failedErr(fmt.Errorf("cannot find this program's path: %w", err))
	}
	cfgPath, err1 := filepath.Abs(a.configPath)
	statePath, err2 := filepath.Abs(a.statePath)
	if err := errors.Join(err1, err2); err != nil {
		return "", failedErr(err)
	}
	var b strings.Builder
	b.WriteString("[Unit]\nDescription=invitesync: calendar invitations to Salto IDM visits\n")
	b.WriteString("After=network-online.target\nWants=network-online.target\n\n[Service]\n")
	fmt.Fprintf(&b, "ExecStart=%s run --config %s --state %s\n", unitQuote(exe), unitQuote(cfgPath), unitQuote(statePath))
	if system {
		name, err := unitUser(runAs, os.Geteuid(), os.Getenv("SUDO_USER"), user.Current)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "User=%s\n", name)
		cfg, err := config.Read(a.configPath)
		if err != nil {
			return "", usageErr(fmt.Errorf("a system unit names each automation's secret: %w", err))
		}
		credential := func(id, env string) {
			fmt.Fprintf(&b, "LoadCredential=%s:/etc/invitesync/%s\nEnvironment=%s=%%d/%s\n", id, id, env, id)
		}
		credential("idm-api-key", config.IDMAPIKey().FileEnv)
		for _, au := range cfg.Automations {
			name := strings.ToLower(strings.ReplaceAll(config.EnvName(au.Name), "_", "-"))
			credential("client-secret-"+name, config.ClientSecret(au.Name).OwnFileEnv)
		}
	}
	b.WriteString("Restart=on-failure\n\n[Install]\n")
	if system {
		b.WriteString("WantedBy=multi-user.target\n")
	} else {
		b.WriteString("WantedBy=default.target\n")
	}
	return b.String(), nil
}

// unitUser is the user a system unit runs the service as: runAs (--user)
// when given; for root, the user who ran sudo (SUDO_USER); otherwise whoever
// runs this command. Root is never chosen unasked.
func unitUser(runAs string, euid int, sudoUser string, current func() (*user.User, error)) (string, error) {
	switch {
	case runAs != "":
		if !unitUserName.MatchString(runAs) {
			return "", usageErr(fmt.Errorf("--user %q is not a user name: expected letters, digits, '_', '-', '.' or '@', or a numeric user ID", runAs))
		}
		return runAs, nil
	case euid == 0 && sudoUser != "" && sudoUser != "root":
		if !unitUserName.MatchString(sudoUser) {
			return "", usageErr(fmt.Errorf("SUDO_USER %q is not a user name: name the user the service runs as with --user NAME", sudoUser))
		}
		return sudoUser, nil
	case euid == 0:
		return "", usageErr(errors.New("a system unit would run the service as root: name the user it runs as with --user NAME (or run this command as that user, or through sudo from it)"))
	}
	u, err := current()
	if err != nil {
		return "", failedErr(fmt.Errorf("cannot tell who runs the service: %w (name the user with --user NAME)", err))
	}
	return u.Username, nil
}

// unitUserName is what User= may say here: a user name of the usual
// characters (no space or line break, which would change the unit), or a UID.
var unitUserName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,255}\$?$`)

// unitQuote quotes a path for a unit's command line when it holds spaces,
// quotes or a backslash; '%' is systemd's specifier and is doubled.
func unitQuote(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if !strings.ContainsAny(s, " \t\"'\\") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// writeUnit writes the unit to path, creating its directory.
func writeUnit(path, unit string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, []byte(unit), 0o644)
}
