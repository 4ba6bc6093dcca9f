package sync

import (
	"context"
	"errors"
	"log/slog"
	stdsync "sync"
	"time"

	"invitesync/config"
	"invitesync/sync/store"
)

// commandTick is how often a supervisor reads the control queue for all of
// its loops: one read when nothing waits, so a poll now reaches a loop well
// within a second.
const commandTick = 250 * time.Millisecond

// Supervisor runs the poll loops of a process — the `run` service's or the
// dashboard's: it starts each engine's loop under its lease, renews the
// leases together, gives each loop a slot of its interval so that many
// loops spread their polls, hands the loops the commands queued for them in
// the state database (one read for all of them), and stops them when its
// context ends.
type Supervisor struct {
	store   *store.Store
	log     *slog.Logger
	quiet   bool // logs nothing about loops that stop (Engine.Run's own)
	epoch   time.Time
	ctx     context.Context
	cancel  context.CancelFunc // ends the command reader and the feed
	feed    *Feed
	changes chan struct{}
	loops   stdsync.WaitGroup
	helpers stdsync.WaitGroup
	repeats repeats
	renew   *renewals

	mu      stdsync.Mutex
	running map[string]*running // by automation
	started int                 // loops ever started: the next one's slot
	errs    []error
}

// running is a loop this supervisor runs.
type running struct {
	engine *Engine
	in     *inbox
}

// NewSupervisor returns a supervisor of loops on st that logs to log (nil:
// nowhere). Its loops run until ctx ends.
func NewSupervisor(ctx context.Context, st *store.Store, log *slog.Logger) *Supervisor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Supervisor{
		store: st, log: log, epoch: time.Now(), feed: NewFeed(64),
		changes: make(chan struct{}, 1), running: map[string]*running{}, renew: newRenewals(st),
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.helpers.Go(s.readCommands)
	s.helpers.Go(s.forwardFeed)
	s.helpers.Go(func() { s.renew.run(s.ctx) })
	return s
}

// Feed is the feed to build the supervised engines with (Options.Feed):
// each piece of their news signals Changes.
func (s *Supervisor) Feed() *Feed { return s.feed }

// Changes signals, never blocking, each time a loop starts or stops or an
// engine publishes news: time for a screen to read the store again.
func (s *Supervisor) Changes() <-chan struct{} { return s.changes }

// Unclaimed returns the enabled automations of autos that no loop runs, in
// this process or another; one that another process runs is logged as
// attached.
func (s *Supervisor) Unclaimed(ctx context.Context, autos []config.Automation) ([]config.Automation, error) {
	var free []config.Automation
	for _, a := range autos {
		if !a.Enabled || s.RunsHere(a.Name) {
			continue
		}
		lease, held, err := s.store.Lease(ctx, a.Name)
		if err != nil {
			return nil, err
		}
		if held {
			s.log.Info("attached: another process runs this automation", "automation", a.Name, "owner", lease.Owner)
			continue
		}
		free = append(free, a)
	}
	return free, nil
}

// Start starts the loop of each engine whose automation no loop of this
// supervisor runs, and returns how many it started. A loop that finds its
// lease held by another process stops at once (see Engine.Run).
func (s *Supervisor) Start(engines []*Engine) int {
	n := 0
	for _, e := range engines {
		s.mu.Lock()
		if s.running[e.name] != nil {
			s.mu.Unlock()
			continue
		}
		r := &running{engine: e, in: newInbox()}
		s.running[e.name] = r
		at := nthSlot(s.epoch, s.started)
		s.started++
		s.mu.Unlock()
		n++
		s.loops.Go(func() {
			e.renewer = s.renew
			err := e.loop(s.ctx, r.in, at)
			e.renewer = nil
			s.mu.Lock()
			delete(s.running, e.name)
			if err != nil {
				s.errs = append(s.errs, err)
			}
			s.mu.Unlock()
			// Nothing hands it commands any more: what it did not take
			// goes back for whichever loop runs the automation next.
			s.requeue(e.name, r.in.take())
			s.stopped(e.name, err)
			s.signal()
		})
	}
	if n > 0 {
		s.signal()
	}
	return n
}

// stopped logs why a loop stopped.
func (s *Supervisor) stopped(automation string, err error) {
	switch {
	case s.quiet || err == nil:
	case errors.Is(err, store.ErrLeaseHeld):
		s.log.Info("attached: another process took this automation first", "automation", automation, "error", err)
	default:
		s.log.Error("automation stopped", "automation", automation, "error", err)
	}
}

// RunsHere reports whether a loop of this supervisor runs the automation.
func (s *Supervisor) RunsHere(automation string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[automation] != nil
}

// Nudge asks the automation's loop, when it runs here, to poll now unless
// it is paused, as store.CmdNudge does through the state database.
func (s *Supervisor) Nudge(automation string) {
	s.mu.Lock()
	r := s.running[automation]
	s.mu.Unlock()
	if r != nil {
		r.in.put(store.CmdNudge)
	}
}

// Wait returns once every loop started has stopped (and released its
// lease), with the errors of those that stopped for one; it then stops
// reading the control queue. Loops stop when the context ends, or at once
// when another process holds their lease.
func (s *Supervisor) Wait() error {
	s.loops.Wait()
	s.cancel()
	s.helpers.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// readCommands hands each loop the commands queued for it, every
// commandTick, until the supervisor ends.
func (s *Supervisor) readCommands() {
	t := time.NewTicker(commandTick)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		names := make([]string, 0, len(s.running))
		for name := range s.running {
			names = append(names, name)
		}
		s.mu.Unlock()
		if len(names) == 0 {
			continue
		}
		queued, err := s.store.TakeAll(s.ctx, names)
		switch {
		case err == nil:
			s.repeats.ok(s.log, whatControl)
		case s.ctx.Err() == nil:
			s.repeats.fail(s.log, slog.LevelWarn, whatControl, err)
		}
		gone := map[string][]store.Command{}
		s.mu.Lock()
		for name, cmds := range queued {
			if r := s.running[name]; r != nil {
				r.in.put(cmds...)
			} else {
				gone[name] = cmds
			}
		}
		s.mu.Unlock()
		for name, cmds := range gone {
			s.requeue(name, cmds)
		}
	}
}

// requeueTimeout bounds putting a stopped loop's commands back, which
// happens while the process shuts down too.
const requeueTimeout = 5 * time.Second

// requeue puts commands taken for a loop that has stopped back in the
// control queue, so that no pause, resume or retry is lost.
func (s *Supervisor) requeue(name string, cmds []store.Command) {
	if len(cmds) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), requeueTimeout)
	defer cancel()
	for _, c := range cmds {
		if err := s.store.Request(ctx, name, c); err != nil {
			s.log.Warn("an operator command was lost as its loop stopped", "automation", clean(name), "command", string(c), "error", err)
		}
	}
}

// forwardFeed turns the engines' news into Changes.
func (s *Supervisor) forwardFeed() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.feed.Events():
			s.signal()
		}
	}
}

// signal tells the reader of Changes, unless it has been told already.
func (s *Supervisor) signal() {
	select {
	case s.changes <- struct{}{}:
	default:
	}
}

// RunOnceAll runs RunOnceWithin for every engine at once and returns each
// one's result and error, in the engines' order.
func RunOnceAll(ctx context.Context, engines []*Engine, window time.Duration) ([]OnceResult, []error) {
	results := make([]OnceResult, len(engines))
	errs := make([]error, len(engines))
	var wg stdsync.WaitGroup
	for i, e := range engines {
		wg.Go(func() { results[i], errs[i] = e.RunOnceWithin(ctx, window) })
	}
	wg.Wait()
	return results, errs
}
