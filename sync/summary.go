package sync

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// changeSummary says in a few words what the plan's operations change.
func (p Plan) changeSummary(known *Known, notes []note) string {
	old := map[string]PlannedVisit{}
	for _, v := range knownVisits(known) {
		old[v.Ref] = v
	}
	var added, cancelled []string
	changed := map[string]bool{}
	for _, op := range p.Ops {
		switch op.Kind {
		case OpPut:
			prev, ok := old[op.Ref]
			if !ok {
				added = appendOnce(added, op.Visit.VisitorEmail)
				continue
			}
			if !prev.Arrival.Equal(op.Visit.Arrival) || !prev.Departure.Equal(op.Visit.Departure) {
				changed["time"] = true
			}
			if prev.Location != op.Visit.Location {
				changed["location"] = true
			}
			if prev.Subject != op.Visit.Subject {
				changed["subject"] = true
			}
			if prev.HostEmail != op.Visit.HostEmail || prev.HostEmployeeID != op.Visit.HostEmployeeID {
				changed["host"] = true
			}
			if prev.VisitorName != op.Visit.VisitorName {
				changed["visitor name"] = true
			}
		case OpDelete:
			who := op.Visit.VisitorEmail
			for _, n := range notes {
				if n.addr == who {
					who = n.why
				}
			}
			cancelled = appendOnce(cancelled, who)
		}
	}
	var parts []string
	if known == nil || len(known.Visits) == 0 {
		parts = append(parts, fmt.Sprintf("%s for %s, host %s", plural(len(p.Ops)-replies(p.Ops), "visit"), strings.Join(added, ", "), p.Host))
	} else {
		if len(added) > 0 {
			parts = append(parts, "added "+strings.Join(added, ", "))
		}
		if len(cancelled) > 0 {
			parts = append(parts, "cancelled "+strings.Join(cancelled, ", "))
		}
		var what []string
		for _, k := range []string{"time", "location", "subject", "host", "visitor name"} {
			if changed[k] {
				what = append(what, k)
			}
		}
		if len(what) > 0 {
			parts = append(parts, strings.Join(what, ", ")+" changed")
		}
	}
	if known == nil || len(known.Visits) == 0 {
		var whys []string
		for _, n := range notes {
			if !n.routine {
				whys = append(whys, n.why)
			}
		}
		if len(whys) > 0 {
			parts = append(parts, "not visitors: "+strings.Join(whys, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

func hostName(h Host) string {
	if h.Name != "" {
		return clean(h.Name)
	}
	return clean(h.Email)
}

func replies(ops []Op) int {
	n := 0
	for _, op := range ops {
		if op.Kind == OpReply {
			n++
		}
	}
	return n
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// Summary says in one line what a RunOnce did: operations delivered, kept
// as they are, failed (with the first reason), organizers told of failed
// visits, and what is still waiting, with when it is tried next.
func (r OnceResult) Summary(now time.Time) string {
	d := r.Drain
	parts := []string{fmt.Sprintf("%d delivered", d.Done)}
	if d.Kept > 0 {
		parts = append(parts, fmt.Sprintf("%d kept as they are (visitor checked in)", d.Kept))
	}
	if d.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed (first: %s)", d.Failed, clean(d.FirstFailure)))
	}
	if d.Notified > 0 {
		parts = append(parts, fmt.Sprintf("%s told their visits failed", plural(d.Notified, "organizer")))
	}
	if w := r.Waiting; w.Pending > 0 {
		s := fmt.Sprintf("%d still waiting", w.Pending)
		if !w.Next.IsZero() {
			s += " (next try " + w.Next.Local().Format(time.DateTime)
			if in := w.Next.Sub(now).Round(time.Second); in > 0 {
				s += ", in " + in.String()
			}
			if w.LastError != "" {
				s += ", after: " + clean(w.LastError)
			}
			s += ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
