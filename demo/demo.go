// Package demo is invitesync's first minute for a newcomer: a simulated
// Microsoft 365 tenant (graph/graphtest) and Salto IDM (idm/idmtest) on
// loopback, a dedicated mailbox whose calendar holds a realistic week, and a
// stream of new invitations, moves and cancellations while the dashboard
// runs. Everything else — the wizard, the engine, the state database, the
// dashboard — is the real thing; only the endpoints are local.
package demo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"invitesync/config"
	"invitesync/graph/graphtest"
	"invitesync/idm"
	"invitesync/idm/idmtest"
)

// The demo organisation.
const (
	Mailbox     = "reception@contoso.com"
	Automation  = "Reception"
	AppName     = "Salto-IDM-Calendar-Integration-Demo"
	Environment = "Production"
	TimeZone    = "Europe/Madrid"
	// Interval is the poll interval the demo proposes: the shortest allowed.
	// The stream asks for a poll after each change, so nobody waits for it.
	Interval = config.MinInterval
	// SecretLifetime is how long the demo's client secret has left, inside
	// the 30 days in which the dashboard warns about it.
	SecretLifetime = 21 * 24 * time.Hour
	// CAFileName is the simulators' certificate, written to the demo's directory.
	CAFileName = "simulators-ca.pem"
)

// Employees are the people IDM knows as hosts. Anyone else at contoso.com
// who organises a meeting is not an employee in IDM.
var Employees = []idm.Employee{
	{Email: "ana.garcia@contoso.com", DisplayName: "Ana García"},
	{Email: "raj.patel@contoso.com", DisplayName: "Raj Patel"},
	{Email: "maria.rossi@contoso.com", DisplayName: "Maria Rossi"},
	{Email: "tom.berg@contoso.com", DisplayName: "Tom Berg"},
}

// Demo is a running simulated organisation.
type Demo struct {
	Graph *graphtest.Server
	IDM   *idmtest.Server
	// CAFile is the PEM file of the certificate both simulators present.
	CAFile string
	// Week is the calendar the demo starts with.
	Week Week
	loc  *time.Location
}

// Start starts the simulators on loopback, writes their certificate to dir,
// and fills the mailbox's calendar with a week of meetings from now.
func Start(dir string, now time.Time) (*Demo, error) {
	loc, err := time.LoadLocation(TimeZone)
	if err != nil {
		return nil, fmt.Errorf("demo: time zone %s: %w", TimeZone, err)
	}
	env := idmtest.DefaultEnvironment
	env.Name, env.TimeZone = Environment, TimeZone
	d := &Demo{
		Graph:  graphtest.NewServer(graphtest.WithMailboxes(Mailbox)),
		IDM:    idmtest.NewTLSServer(idmtest.WithEnvironments(env), idmtest.WithEmployees(Employees...)),
		CAFile: filepath.Join(dir, CAFileName),
		loc:    loc,
	}
	if err := writeCAs(d.CAFile, d.Graph.CACertPEM(), d.IDM.CACertPEM()); err != nil {
		d.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	if d.Week, err = addWeek(d.Graph, now.In(loc)); err != nil {
		d.Close()
		return nil, fmt.Errorf("demo: the week's meetings: %w", err)
	}
	return d, nil
}

// writeCAs writes the certificates to path, each once.
func writeCAs(path string, pems ...[]byte) error {
	var all []byte
	seen := map[string]bool{}
	for _, p := range pems {
		if len(p) == 0 || seen[string(p)] {
			continue
		}
		seen[string(p)] = true
		all = append(all, p...)
	}
	if len(all) == 0 {
		return errors.New("the simulators present no certificate")
	}
	return os.WriteFile(path, all, 0o644)
}

// Close stops the simulators.
func (d *Demo) Close() {
	d.Graph.Close()
	d.IDM.Close()
}

// Config returns the configuration a newcomer would write for the demo
// organisation, and the two secrets that go with it.
func (d *Demo) Config(now time.Time) (cfg *config.Config, clientSecret, apiKey string) {
	a := config.NewAutomation(Automation)
	a.Environment = Environment
	a.Interval = Interval
	a.Mailbox = Mailbox
	a.TimeZone = TimeZone
	a.TenantID = d.Graph.TenantID
	a.ClientID = d.Graph.ClientID
	a.AppName = AppName
	a.EnterpriseObjectID = "3f9b2c1e-7d4a-4e8b-9c61-0a5d2e7f8b34"
	exp := now.In(d.loc).Add(SecretLifetime)
	a.SecretExpires = config.Date{Year: exp.Year(), Month: exp.Month(), Day: exp.Day()}
	return &config.Config{IDM: config.IDM{URL: d.IDM.URL()}, Automations: []config.Automation{a}}, d.Graph.Secret, d.IDM.APIKey()
}
