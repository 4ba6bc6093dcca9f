package config

//go:generate go run ./internal/genwinzones

import (
	"fmt"
	"strings"
	"time"

	// The zone database travels with the binary, so a service on a minimal
	// system without /usr/share/zoneinfo still knows every zone.
	_ "time/tzdata"

	"invitesync/internal/text"
)

// windowsZoneIndex finds a Windows name regardless of case.
var windowsZoneIndex = func() map[string]string {
	m := make(map[string]string, len(windowsZones))
	for win, iana := range windowsZones {
		m[strings.ToLower(win)] = iana
	}
	return m
}()

// NormalizeTimeZone returns the IANA name for name, which may be an IANA name
// ("Europe/Berlin") or a Windows name ("W. Europe Standard Time", as Outlook
// and Microsoft Graph write them).
func NormalizeTimeZone(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("required: an IANA time zone such as Europe/Berlin, or a Windows name such as \"W. Europe Standard Time\"")
	}
	if iana, ok := windowsZoneIndex[strings.ToLower(name)]; ok {
		return iana, nil
	}
	if name != "Local" {
		if _, err := time.LoadLocation(name); err == nil {
			return name, nil
		}
	}
	return "", fmt.Errorf("%s is not a known time zone: expected an IANA name such as Europe/Berlin, or a Windows name such as \"W. Europe Standard Time\"", text.Quote(name))
}

// Location returns the automation's time zone. A configuration that passed
// Validate always has a loadable zone; UTC stands in for one that did not.
func (a Automation) Location() *time.Location {
	name, err := NormalizeTimeZone(a.TimeZone)
	if err != nil {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}
