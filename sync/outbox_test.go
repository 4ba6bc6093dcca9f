package sync

import (
	"encoding/json"
	"strings"
	"testing"

	"invitesync/sync/store"
)

// TestDrainFailsAnUnreadableStoredOperation: an operation whose stored
// payload cannot be read (here a number where the visit's ref is) fails
// for good, saying so, and reaches neither IDM nor the next drain.
func TestDrainFailsAnUnreadableStoredOperation(t *testing.T) {
	h := newHarness(t)
	if err := h.store.Update(h.ctx, func(tx *store.Tx) error {
		_, err := tx.Enqueue(store.Op{Automation: h.auto.Name, Ref: "ref-1", EventID: "e1", Kind: store.OpPut,
			Payload: json.RawMessage(`{"kind":"put","ref":"ref-1","visit":{"ref":7,"visitorEmail":"ann@fabrikam.com"}}`)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d, err := h.eng.Drain(h.ctx)
	if err != nil || d.Failed != 1 || d.Done != 0 || !strings.Contains(d.FirstFailure, "the stored operation is unreadable") {
		t.Fatalf("Drain = %+v, %v; want one permanent failure of an unreadable operation", d, err)
	}
	if n := h.idm.Writes(); n != 0 {
		t.Errorf("%d IDM writes, want none", n)
	}
	if d, err := h.eng.Drain(h.ctx); err != nil || d != (DrainResult{}) {
		t.Errorf("a second Drain = %+v, %v; want nothing", d, err)
	}
}
