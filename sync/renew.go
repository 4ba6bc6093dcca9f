package sync

import (
	"context"
	stdsync "sync"
	"time"

	"invitesync/sync/store"
)

// renewals renews the leases of a supervisor's loops together: each loop's
// keeper asks as before, and the renewals asked within a short while of
// each other are written in one transaction, so that 200 loops do not
// write 40 transactions a second to keep their leases.
type renewals struct {
	store *store.Store
	kick  chan struct{}

	mu      stdsync.Mutex
	pending []renewal
}

// renewal is one keeper's request.
type renewal struct {
	automation, owner string
	ttl               time.Duration
	done              chan error
}

func newRenewals(st *store.Store) *renewals {
	return &renewals{store: st, kick: make(chan struct{}, 1)}
}

// renew renews owner's lease on automation for ttl, with the others asked
// meanwhile, and returns its error as store.Renew does.
func (r *renewals) renew(ctx context.Context, automation, owner string, ttl time.Duration) error {
	req := renewal{automation: automation, owner: owner, ttl: ttl, done: make(chan error, 1)}
	r.mu.Lock()
	r.pending = append(r.pending, req)
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run writes the renewals asked until ctx ends. After the first of a batch
// it waits a 24th of its TTL (a quarter of the time between two renewals)
// for the others, then writes each owner's in one transaction.
func (r *renewals) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		}
		r.mu.Lock()
		gather := time.Duration(0)
		if len(r.pending) > 0 {
			gather = r.pending[0].ttl / 24
		}
		r.mu.Unlock()
		t := time.NewTimer(gather)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		r.mu.Lock()
		batch := r.pending
		r.pending = nil
		r.mu.Unlock()
		r.write(ctx, batch)
	}
}

// write renews batch, one transaction per owner and TTL.
func (r *renewals) write(ctx context.Context, batch []renewal) {
	type key struct {
		owner string
		ttl   time.Duration
	}
	groups := map[key][]renewal{}
	for _, req := range batch {
		k := key{req.owner, req.ttl}
		groups[k] = append(groups[k], req)
	}
	for k, reqs := range groups {
		names := make([]string, len(reqs))
		for i, req := range reqs {
			names[i] = req.automation
		}
		errs, err := r.store.RenewAll(ctx, names, k.owner, k.ttl)
		for i, req := range reqs {
			if err != nil {
				req.done <- err
			} else {
				req.done <- errs[i]
			}
		}
	}
}
