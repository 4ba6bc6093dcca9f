package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Leases keep two loops — in one process or in two — from running the same
// automation: a loop acquires the lease before it starts, renews it well
// within its TTL, and releases it when it stops. A lease that is not renewed
// expires, so a killed process blocks no one for longer than the TTL.

// Acquire takes the automation's lease for owner (e.g. "run pid 4242 on
// host") for ttl. It fails with a *LeaseHeldError (ErrLeaseHeld) while
// another owner holds a live lease. Acquiring a lease one already holds
// extends it.
func (s *Store) Acquire(ctx context.Context, automation, owner string, ttl time.Duration) (Lease, error) {
	return s.AcquireWatching(ctx, automation, "", owner, ttl)
}

// AcquireWatching is Acquire for a loop that watches mailbox: it also fails,
// with a *MailboxWatchedError (ErrMailboxWatched), while the live lease of
// another automation watches the same mailbox (compared without case).
func (s *Store) AcquireWatching(ctx context.Context, automation, mailbox, owner string, ttl time.Duration) (Lease, error) {
	return s.take(ctx, automation, normMailbox(mailbox), owner, ttl, false, func(held Lease) error {
		if held.Automation != automation {
			return &MailboxWatchedError{Lease: held}
		}
		return &LeaseHeldError{Lease: held}
	})
}

// Renew extends owner's lease by ttl from now, for the mailbox it was taken
// with. It fails with ErrLeaseLost when the lease expired and another owner
// took it since, or another automation took its mailbox; the loop must then
// stop.
func (s *Store) Renew(ctx context.Context, automation, owner string, ttl time.Duration) (Lease, error) {
	return s.take(ctx, automation, "", owner, ttl, true, lost(automation))
}

// RenewAll is Renew for owner's leases on automations, in one transaction:
// it returns each lease's error (nil: renewed) in their order, or an error
// when the database could not be written, and then nothing was renewed.
func (s *Store) RenewAll(ctx context.Context, automations []string, owner string, ttl time.Duration) ([]error, error) {
	errs := make([]error, len(automations))
	err := s.Update(ctx, func(tx *Tx) error {
		for i, a := range automations {
			_, errs[i] = tx.take(a, "", owner, ttl, true, lost(a))
			if errs[i] != nil && !errors.Is(errs[i], ErrLeaseLost) {
				return errs[i]
			}
		}
		return nil
	})
	return errs, err
}

// lost is what Renew answers when the lease on automation is now held.
func lost(automation string) func(Lease) error {
	return func(held Lease) error {
		if held.Automation != automation {
			return fmt.Errorf("automation %q: %w (its mailbox %s is now watched by automation %q, run by %s)",
				automation, ErrLeaseLost, held.Mailbox, held.Automation, held.Owner)
		}
		return fmt.Errorf("automation %q: %w (now held by %s)", automation, ErrLeaseLost, held.Owner)
	}
}

// normMailbox is a mailbox address as leases compare it.
func normMailbox(m string) string { return strings.ToLower(strings.TrimSpace(m)) }

// take writes owner's lease on automation unless a live lease of another
// owner is in the way: held says what to answer then. keep renews the
// mailbox the lease was taken with instead of mailbox.
func (s *Store) take(ctx context.Context, automation, mailbox, owner string, ttl time.Duration, keep bool, held func(Lease) error) (Lease, error) {
	if err := required("lease.automation", automation); err != nil {
		return Lease{}, err
	}
	if err := required("lease.owner", owner); err != nil {
		return Lease{}, err
	}
	if ttl <= 0 {
		return Lease{}, &InvalidError{Field: "lease.ttl", Want: "a positive duration", Got: ttl.String()}
	}
	var l Lease
	err := s.Update(ctx, func(tx *Tx) (err error) {
		l, err = tx.take(automation, mailbox, owner, ttl, keep, held)
		return err
	})
	return l, err
}

// take is Store.take in tx, once its arguments are checked.
func (tx *Tx) take(automation, mailbox, owner string, ttl time.Duration, keep bool, held func(Lease) error) (Lease, error) {
	cur, live, err := tx.lease(automation)
	if err != nil {
		return Lease{}, err
	}
	switch {
	case live && cur.Owner != owner:
		return Lease{}, held(cur)
	case keep && cur.Owner != "" && cur.Owner != owner:
		return Lease{}, held(cur) // taken by another since, even if it expired again
	case keep:
		mailbox = cur.Mailbox
	}
	if mailbox != "" {
		other, found, err := tx.mailboxLease(mailbox, automation)
		if err != nil {
			return Lease{}, err
		}
		if found {
			return Lease{}, held(other)
		}
	}
	l := Lease{Automation: automation, Mailbox: mailbox, Owner: owner, Acquired: tx.now, Expires: tx.now.Add(ttl)}
	if live {
		l.Acquired = cur.Acquired
	}
	_, err = tx.exec(`
INSERT INTO leases (automation, mailbox, owner, acquired, expires) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (automation) DO UPDATE SET mailbox = excluded.mailbox, owner = excluded.owner,
	acquired = excluded.acquired, expires = excluded.expires`,
		automation, mailbox, owner, nanos(l.Acquired), nanos(l.Expires))
	return l, err
}

// Release gives up owner's lease on the automation; releasing a lease one
// does not hold does nothing.
func (s *Store) Release(ctx context.Context, automation, owner string) error {
	return s.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(`DELETE FROM leases WHERE automation = ? AND owner = ?`, automation, owner)
		return err
	})
}

// Lease returns the automation's live lease; ok is false when no process
// holds one (none was taken, it was released, or it expired).
func (s *Store) Lease(ctx context.Context, automation string) (l Lease, ok bool, err error) {
	err = s.View(ctx, func(tx *Tx) error {
		l, ok, err = tx.lease(automation)
		return err
	})
	if !ok {
		l = Lease{}
	}
	return l, ok, err
}

const leaseColumns = `automation, mailbox, owner, acquired, expires`

func scanLease(r scanner) (Lease, error) {
	var l Lease
	var acq, exp int64
	err := r.Scan(&l.Automation, &l.Mailbox, &l.Owner, &acq, &exp)
	l.Acquired, l.Expires = fromNanos(acq), fromNanos(exp)
	return l, err
}

// lease reads the automation's lease row and whether it is live.
func (tx *Tx) lease(automation string) (l Lease, live bool, err error) {
	l, err = scanLease(tx.queryRow(tx.ctx, `SELECT `+leaseColumns+` FROM leases WHERE automation = ?`, automation))
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, false, nil
	}
	if err != nil {
		return Lease{}, false, tx.s.fail(err)
	}
	return l, l.Expires.After(tx.now), nil
}

// mailboxLease returns a live lease of another automation than except that
// watches mailbox.
func (tx *Tx) mailboxLease(mailbox, except string) (Lease, bool, error) {
	l, err := scanLease(tx.queryRow(tx.ctx, `SELECT `+leaseColumns+` FROM leases
WHERE mailbox = ? AND automation <> ? AND expires > ? ORDER BY automation LIMIT 1`, mailbox, except, nanos(tx.now)))
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, false, nil
	}
	if err != nil {
		return Lease{}, false, tx.s.fail(err)
	}
	return l, true, nil
}

// Request queues an operator command for the loop that runs the automation.
// It waits in the database until that loop takes it.
func (s *Store) Request(ctx context.Context, automation string, cmd Command) error {
	if err := required("automation", automation); err != nil {
		return err
	}
	if err := oneOf("command", cmd, CmdPollNow, CmdPause, CmdResume, CmdRetryFailed, CmdNudge); err != nil {
		return err
	}
	return s.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO control (automation, command, requested) VALUES (?, ?, ?)`,
			automation, cmd, nanos(tx.now))
		return err
	})
}

// Take returns the automation's queued commands, oldest first, and removes
// them: TakeAll for one automation. A supervisor reads the queue for all
// its loops with TakeAll.
func (s *Store) Take(ctx context.Context, automation string) ([]Command, error) {
	got, err := s.TakeAll(ctx, []string{automation})
	return got[automation], err
}

// TakeAll is Take for several automations at once: their queued commands,
// each automation's oldest first, removed from the queue. Commands for
// other automations stay queued. It is one read when none is waiting, so a
// process may call it several times a second for all its loops.
func (s *Store) TakeAll(ctx context.Context, automations []string) (map[string][]Command, error) {
	queuedFor, err := queryAll(ctx, s.rc, func(r scanner) (string, error) {
		var a string
		return a, r.Scan(&a)
	}, `SELECT DISTINCT automation FROM control`)
	if err != nil {
		return nil, s.fail(err)
	}
	var mine []string
	for _, a := range queuedFor {
		if slices.Contains(automations, a) {
			mine = append(mine, a)
		}
	}
	if len(mine) == 0 {
		return nil, nil
	}
	type queued struct {
		id         int64
		automation string
		cmd        Command
	}
	var got []queued
	err = s.Update(ctx, func(tx *Tx) error {
		got = got[:0]
		for _, a := range mine {
			some, err := queryAll(ctx, tx, func(r scanner) (queued, error) {
				q := queued{automation: a}
				return q, r.Scan(&q.id, &q.cmd)
			}, `DELETE FROM control WHERE automation = ? RETURNING id, command`, a)
			if err != nil {
				return tx.s.fail(err)
			}
			got = append(got, some...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(got, func(a, b queued) int { return cmp.Compare(a.id, b.id) })
	cmds := map[string][]Command{}
	for _, q := range got {
		cmds[q.automation] = append(cmds[q.automation], q.cmd)
	}
	return cmds, nil
}

// ChangeMarker returns a number that changes whenever a transaction is
// committed to the database by any connection, in this process or another
// (SQLite's PRAGMA data_version, read on a connection of its own). A reader
// compares it with the value it last saw to know when to refresh.
func (s *Store) ChangeMarker(ctx context.Context) (int64, error) {
	s.markerMu.Lock()
	defer s.markerMu.Unlock()
	if s.marker == nil {
		c, err := s.r.Conn(ctx)
		if err != nil {
			return 0, s.fail(err)
		}
		s.marker = c
	}
	var v int64
	if err := s.marker.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		s.marker.Close()
		s.marker = nil
		return 0, s.fail(err)
	}
	return v, nil
}
