package config

import (
	"testing"
	"time"
)

func TestNormalizeTimeZone(t *testing.T) {
	for in, want := range map[string]string{
		"W. Europe Standard Time":    "Europe/Berlin",
		"w. europe standard time":    "Europe/Berlin",
		" Romance Standard Time ":    "Europe/Paris",
		"Pacific Standard Time":      "America/Los_Angeles",
		"Central Asia Standard Time": "Asia/Bishkek",
		"UTC":                        "Etc/UTC",
		"Europe/Madrid":              "Europe/Madrid",
		"America/Argentina/Salta":    "America/Argentina/Salta",
	} {
		got, err := NormalizeTimeZone(in)
		if err != nil || got != want {
			t.Errorf("NormalizeTimeZone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "Local", "Mars/Olympus", "Europe Standard Time", "../../etc/passwd"} {
		if got, err := NormalizeTimeZone(bad); err == nil {
			t.Errorf("NormalizeTimeZone(%q) = %q, want an error", bad, got)
		}
	}
}

// TestEveryWindowsZoneLoads proves the embedded CLDR table and the embedded
// zone database agree: every Windows name leads to a zone that loads.
func TestEveryWindowsZoneLoads(t *testing.T) {
	if len(windowsZones) < 130 {
		t.Fatalf("only %d Windows zones", len(windowsZones))
	}
	for win, iana := range windowsZones {
		if _, err := time.LoadLocation(iana); err != nil {
			t.Errorf("%s → %s: %v", win, iana, err)
		}
	}
}

func TestLocationIsDSTSafe(t *testing.T) {
	a := NewAutomation("x")
	a.TimeZone = "W. Europe Standard Time"
	loc := a.Location()
	// 09:00 local on each side of the March 2026 change: UTC+1, then UTC+2.
	before := time.Date(2026, 3, 28, 9, 0, 0, 0, loc)
	after := time.Date(2026, 3, 30, 9, 0, 0, 0, loc)
	if before.UTC().Hour() != 8 || after.UTC().Hour() != 7 {
		t.Fatalf("09:00 in %v is %v and %v UTC", loc, before.UTC(), after.UTC())
	}
	a.TimeZone = "Mars/Olympus"
	if a.Location() != time.UTC {
		t.Fatal("an unknown zone should fall back to UTC")
	}
}
