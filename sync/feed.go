package sync

import (
	stdsync "sync"
	"sync/atomic"
	"time"

	"invitesync/sync/store"
)

// FeedKind says what a FeedEvent reports.
type FeedKind string

// Kinds of feed events.
const (
	FeedDecision FeedKind = "decision" // an event was decided, or an operation failed for good
	FeedState    FeedKind = "state"    // the loop changed state; Status holds it
)

// FeedEvent is one piece of news from an engine.
type FeedEvent struct {
	Automation string
	At         time.Time
	Kind       FeedKind
	Activity   store.Activity   // FeedDecision
	Status     store.LoopStatus // FeedState
}

// Feed carries engine news to a reader (the dashboard) without ever
// blocking an engine: when the reader falls behind, the oldest news is
// dropped (the dashboard re-reads the store on its tick anyway). A nil
// *Feed publishes nowhere.
type Feed struct {
	ch      chan FeedEvent
	mu      stdsync.Mutex // serializes publishers so drop-oldest stays ordered
	dropped atomic.Int64
}

// NewFeed returns a feed that holds up to size unread events.
func NewFeed(size int) *Feed {
	if size < 1 {
		size = 1
	}
	return &Feed{ch: make(chan FeedEvent, size)}
}

// Events is the channel to read.
func (f *Feed) Events() <-chan FeedEvent { return f.ch }

// Dropped counts events lost to a slow reader.
func (f *Feed) Dropped() int64 { return f.dropped.Load() }

// publish hands ev to the reader, dropping the oldest unread event when
// the buffer is full. It never blocks.
func (f *Feed) publish(ev FeedEvent) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		select {
		case f.ch <- ev:
			return
		default:
		}
		select {
		case <-f.ch:
			f.dropped.Add(1)
		default:
		}
	}
}
