package graph

import (
	"context"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// Answer is the watched mailbox's own answer to a meeting: Graph's
// responseStatus on the mailbox's copy.
type Answer struct {
	// Response is none, organizer, tentativelyAccepted, accepted, declined
	// or notResponded.
	Response string
	// At is when the mailbox answered; zero when it never did.
	At time.Time
}

// Responses maps each Response that Respond sends to the answer Graph then
// records.
var Responses = map[Response]string{Accept: "accepted", Tentative: "tentativelyAccepted", Decline: "declined"}

// AnswerOf reads how and when the mailbox last answered the meeting id:
// GET /users/{mailbox}/events/{id}?$select=responseStatus. An event that is
// no longer there answers an error for which IsGone is true.
func (c *Client) AnswerOf(ctx context.Context, id string) (Answer, error) {
	if err := checkID("answer of", id); err != nil {
		return Answer{}, err
	}
	cfg := &users.ItemEventsEventItemRequestBuilderGetRequestConfiguration{
		Headers:         c.preferHeaders(),
		QueryParameters: &users.ItemEventsEventItemRequestBuilderGetQueryParameters{Select: []string{"responseStatus"}},
	}
	var a Answer
	err := c.call(ctx, "answer of event", func(ctx context.Context) error {
		m, err := c.graph.Users().ByUserId(c.a.Mailbox).Events().ByEventId(id).Get(ctx, cfg)
		if err != nil || m == nil {
			return err
		}
		if st := m.GetResponseStatus(); st != nil {
			if r := st.GetResponse(); r != nil {
				a.Response = r.String()
			}
			if t := st.GetTime(); t != nil && t.Year() > 1 {
				a.At = t.UTC()
			}
		}
		return nil
	})
	return a, err
}
