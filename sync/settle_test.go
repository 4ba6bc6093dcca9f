package sync

import (
	"encoding/json"
	"testing"
	"time"

	"invitesync/sync/store"
)

// TestAnAnswerSettlesTheBodyItsOperationSent: an operation carries the hash
// of the body it sends, and its answer settles the visit with that body;
// an operation stored without one (by an earlier version) has it computed
// from the body it holds.
func TestAnAnswerSettlesTheBodyItsOperationSent(t *testing.T) {
	v := PlannedVisit{Ref: "v1-abc", VisitorEmail: "ann@fabrikam.com", HostEmail: "hanna@contoso.com",
		Arrival: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), Departure: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	v.Hash = v.BodyHash()
	payload, err := json.Marshal(Op{Kind: OpPut, Ref: v.Ref, Visit: &v})
	if err != nil {
		t.Fatal(err)
	}
	var stored Op
	if err := json.Unmarshal(payload, &stored); err != nil {
		t.Fatal(err)
	}
	if got := settledVisit(stored, store.VisitActive, "vis-1"); got.BodyHash != v.Hash || got.Ref != v.Ref || got.IDMID != "vis-1" {
		t.Errorf("settled = %+v, want the planned hash %s", got, v.Hash)
	}
	stored.Visit.Hash = ""
	if got := settledVisit(stored, store.VisitActive, ""); got.BodyHash != v.Hash {
		t.Errorf("without a stored hash: %s, want %s", got.BodyHash, v.Hash)
	}
}
