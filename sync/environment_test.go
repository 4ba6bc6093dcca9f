package sync

import (
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/idm"
)

// TestEngineVisitTimesCarryTheEnvironmentsOffset: IDM keeps the
// environment in Tokyo and refuses times in another offset; an automation
// reading a Madrid calendar sends the same instants in Tokyo's offset.
func TestEngineVisitTimesCarryTheEnvironmentsOffset(t *testing.T) {
	h := newHarness(t, func(a *config.Automation, _ *graph.Options) { a.Environment = "Tokyo office" })
	h.idm.AddEnvironment(idm.Environment{ID: "env-tokyo", Name: "Tokyo office", TimeZone: "Asia/Tokyo"})
	start := localDay(1).Add(10 * time.Hour)
	h.add(invitation("Supplier visit", start, simAnn))
	if res := h.cycle(); !res.OK() {
		t.Fatalf("RunOnce = %+v, want the visit delivered", res)
	}
	visits := h.active()[simAnn.Address]
	if len(visits) != 1 {
		t.Fatalf("%d visits for Ann, want 1", len(visits))
	}
	v := visits[0]
	if !v.Arrival.Equal(start) || !v.Departure.Equal(start.Add(2*time.Hour)) {
		t.Errorf("visit %s – %s, want the meeting's %s – %s", v.Arrival, v.Departure, start, start.Add(2*time.Hour))
	}
	if _, off := v.Arrival.Zone(); off != 9*3600 {
		t.Errorf("arrival %s does not carry Tokyo's offset +09:00", v.Arrival.Format(time.RFC3339))
	}
}
