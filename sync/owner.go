package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"time"

	"invitesync/sync/store"
)

// processOwner names a process in a loop lease: "pid N on HOST".
func processOwner(pid int) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("pid %d on %s", pid, host)
}

// staleOwner reports whether a lease owner named by processOwner is a
// process of this machine that no longer exists.
func staleOwner(owner string) bool {
	var pid int
	var host string
	if n, err := fmt.Sscanf(owner, "pid %d on %s", &pid, &host); n != 2 || err != nil || pid <= 0 {
		return false
	}
	if owner != processOwner(pid) {
		return false // another machine, or not our format
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// acquire takes the automation's lease, with its mailbox: it fails with a
// *store.LeaseHeldError while another loop runs the automation, and with a
// *store.MailboxWatchedError while another automation's loop watches the
// mailbox. A lease left by a process of this machine that no longer exists
// (killed before it could release it) is taken over at once rather than
// after it expires.
func (e *Engine) acquire(ctx context.Context) error {
	_, err := e.store.AcquireWatching(ctx, e.name, e.rules.Mailbox, e.owner, e.ttl)
	var (
		held    *store.LeaseHeldError
		watched *store.MailboxWatchedError
		stale   store.Lease
	)
	switch {
	case errors.As(err, &held):
		stale = held.Lease
	case errors.As(err, &watched):
		stale = watched.Lease
	default:
		return err
	}
	if !staleOwner(stale.Owner) {
		return err
	}
	e.log.Warn("taking over the lease of a process that no longer runs", "owner", stale.Owner, "automation", stale.Automation)
	if err := e.store.Release(ctx, stale.Automation, stale.Owner); err != nil {
		return err
	}
	_, err = e.store.AcquireWatching(ctx, e.name, e.rules.Mailbox, e.owner, e.ttl)
	return err
}

// release gives the lease back, even when the run's context has ended,
// and the room of the operations the handoff still holds: whoever holds
// the lease next reads them from the store.
func (e *Engine) release() {
	e.handoff.clear()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.store.Release(ctx, e.name, e.owner); err != nil {
		e.log.Warn("cannot release the loop lease", "error", err)
	}
}

// leaseKeeper renews a loop's lease while the loop works, however long a
// cycle takes, and ends the work when the lease is lost or cannot be
// renewed in time.
type leaseKeeper struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // why the work was ended; set before done closes
}

// keepLease returns a context for the work done under the lease just
// acquired, and its keeper. The lease is renewed every sixth of its TTL.
// When another process has taken it, or it could not be renewed and less
// than two renewal periods remain, the context ends — well before the lease
// expires, so the loop stops writing before another may take over — and
// stop reports why.
func (e *Engine) keepLease(ctx context.Context) (context.Context, *leaseKeeper) {
	work, cancel := context.WithCancel(ctx)
	k := &leaseKeeper{cancel: cancel, done: make(chan struct{})}
	every := e.ttl / 6
	expires := e.now().Add(e.ttl)
	go func() {
		defer close(k.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-work.Done():
				return
			case <-t.C:
			}
			start := e.now()
			rctx, rcancel := context.WithTimeout(work, every)
			err := e.renewLease(rctx)
			rcancel()
			switch {
			case err == nil:
				expires = start.Add(e.ttl)
				e.repeats.ok(e.log, whatRenew)
			case work.Err() != nil:
				return
			case errors.Is(err, store.ErrLeaseLost):
				k.err = err
				cancel()
				return
			case e.now().Add(2 * every).After(expires):
				k.err = fmt.Errorf("automation %q: the loop lease could not be renewed before it expires, so the loop stopped: %w", e.name, err)
				cancel()
				return
			default:
				e.repeats.fail(e.log, slog.LevelWarn, whatRenew, err)
			}
		}
	}()
	return work, k
}

// renewLease renews the lease once: with the other loops of its
// supervisor when it has one, else on its own.
func (e *Engine) renewLease(ctx context.Context) error {
	if e.renewer != nil {
		return e.renewer.renew(ctx, e.name, e.owner, e.ttl)
	}
	_, err := e.store.Renew(ctx, e.name, e.owner, e.ttl)
	return err
}

// stop ends the keeper and its work context, and returns why the work
// ended early, if it did: the lease was lost or could not be renewed.
func (k *leaseKeeper) stop() error {
	k.cancel()
	<-k.done
	return k.err
}
