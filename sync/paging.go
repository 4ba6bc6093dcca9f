package sync

import (
	"crypto/sha256"
	"errors"
	"fmt"
)

// defaultMaxRoundPages is the most pages one delta round may take: at
// Graph's page size of 100 that is a million events, more than a calendar
// holds in a year's window. A round past it ends with a *pagingError.
const defaultMaxRoundPages = 10_000

// errPaging is matched (errors.Is) by a *pagingError.
var errPaging = errors.New("the delta round does not end")

// pagingError ends a delta round that would never end: Graph sent a
// nextLink the round had already followed (a loop), or more pages than
// the cap. The link that loops is not kept: the next poll starts a fresh
// round.
type pagingError struct {
	Pages int  // pages the round had taken
	Loop  bool // a nextLink came back; else the cap was passed
	Max   int
}

// Error implements error.
func (e *pagingError) Error() string {
	if e.Loop {
		return fmt.Sprintf("Microsoft Graph sent back a nextLink this delta round had already followed, after %d pages: "+
			"the round was ended and its link dropped; the next poll starts a fresh round", e.Pages)
	}
	return fmt.Sprintf("the delta round took more than %d pages, more than a calendar holds: "+
		"the round was ended and its link dropped; the next poll starts a fresh round", e.Max)
}

// Is makes errors.Is(err, errPaging) true.
func (e *pagingError) Is(target error) bool { return target == errPaging }

// pageGuard remembers the links a round has followed (by their digest) and
// counts its pages.
type pageGuard struct {
	max   int
	pages int
	seen  map[[sha256.Size]byte]bool
}

func newPageGuard(max int) *pageGuard {
	return &pageGuard{max: max, seen: map[[sha256.Size]byte]bool{}}
}

// follow records that the round follows link, or says why it must not.
func (g *pageGuard) follow(link string) error {
	g.pages++
	if g.pages > g.max {
		return &pagingError{Pages: g.pages - 1, Max: g.max}
	}
	sum := sha256.Sum256([]byte(link))
	if g.seen[sum] {
		return &pagingError{Pages: g.pages - 1, Loop: true, Max: g.max}
	}
	g.seen[sum] = true
	return nil
}
