// Package sync is invitesync's engine: it plans visits from calendar events
// (pure), applies the plan through a durable outbox, and runs the poll loop of
// each automation. Importers alias it (invsync) because it shadows the
// standard library's sync.
//
// # Words
//
// The same few words mean the same thing in every package:
//
//   - automation: one watched mailbox with its rules and its IDM environment
//     (config.Automation); each has its own poll loop.
//   - event: a meeting in the watched mailbox's calendar, as Graph sends it
//     (graph.Event); the state database keeps what was last seen of it
//     (store.Event).
//   - occurrence: one meeting of a recurring series. It is an event of its
//     own, with its own id; Graph's delta may send it stripped, and it is
//     completed from its series (series.go).
//   - visit: one visitor at one event, keyed by its reference (idm.Ref). It
//     has three forms: planned, what IDM should hold (PlannedVisit); on the
//     wire, the body of PUT /visits/{ref} (idm.Visit); and stored, what was
//     registered and how that went (store.Visit).
//   - operation: one piece of work for the outbox: put or delete a visit in
//     IDM, or reply to the organizer through Graph. Planned as Op, kept
//     durably as store.Op with its attempts, retried with backoff until done,
//     failed for good or superseded by a later one for the same reference.
//   - activity: one line of the activity log (store.Activity), what happened
//     to an event and its outcome (created, updated, cancelled, skipped,
//     failed), which the dashboard and status show.
package sync
