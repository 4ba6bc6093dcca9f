package idm_test

import (
	"context"
	"fmt"
	"testing"

	"invitesync/idm"
	"invitesync/idm/idmtest"
)

// BenchmarkPutVisit measures one visit write through the client to the TLS
// simulator over a kept-alive connection: the unit of an engine's first
// round.
func BenchmarkPutVisit(b *testing.B) {
	sim := idmtest.NewTLSServer(idmtest.WithEmployees(hanna))
	defer sim.Close()
	c, err := idm.New(sim.URL(), sim.APIKey(), idm.Options{HTTPClient: sim.Client()})
	if err != nil {
		b.Fatal(err)
	}
	v := visit(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		ref := idm.Ref("visitors@contoso.com", fmt.Sprintf("event-%d", i), v.Visitor.Email)
		if _, _, err := c.PutVisit(ctx, ref, v); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkRef(b *testing.B) {
	for b.Loop() {
		idm.Ref("visitors@contoso.com", "040000008200E00074C5B7101A82E00800000000D0A4F1B8C7A1DB01", "ann.guest@fabrikam.com")
	}
}

func BenchmarkVisitorName(b *testing.B) {
	for b.Loop() {
		idm.VisitorName("Jan van der Berg", "jan.vanderberg@example.co.uk")
	}
}
