package graph

import (
	"context"
	"fmt"

	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// Response is how the mailbox answers a meeting request.
type Response string

// The responses Respond sends.
const (
	Accept    Response = "accept"
	Tentative Response = "tentative"
	Decline   Response = "decline"
)

// replyBody is what the SDK's accept, tentativelyAccept and decline bodies share.
type replyBody interface {
	SetComment(*string)
	SetSendResponse(*bool)
}

// Respond answers the meeting eventID (the id of the watched mailbox's own
// copy) and sends the response, with comment when it is not empty, to the
// organizer. Graph answers 202 Accepted.
func (c *Client) Respond(ctx context.Context, eventID string, r Response, comment string) error {
	if err := checkID("respond", eventID); err != nil {
		return err
	}
	item := c.graph.Users().ByUserId(c.a.Mailbox).Events().ByEventId(eventID)
	var post func(context.Context) error
	switch r {
	case Accept:
		body := users.NewItemEventsItemAcceptPostRequestBody()
		fillReply(body, comment)
		cfg := &users.ItemEventsItemAcceptRequestBuilderPostRequestConfiguration{Headers: c.preferHeaders()}
		post = func(ctx context.Context) error { return item.Accept().Post(ctx, body, cfg) }
	case Tentative:
		body := users.NewItemEventsItemTentativelyAcceptPostRequestBody()
		fillReply(body, comment)
		cfg := &users.ItemEventsItemTentativelyAcceptRequestBuilderPostRequestConfiguration{Headers: c.preferHeaders()}
		post = func(ctx context.Context) error { return item.TentativelyAccept().Post(ctx, body, cfg) }
	case Decline:
		body := users.NewItemEventsItemDeclinePostRequestBody()
		fillReply(body, comment)
		cfg := &users.ItemEventsItemDeclineRequestBuilderPostRequestConfiguration{Headers: c.preferHeaders()}
		post = func(ctx context.Context) error { return item.Decline().Post(ctx, body, cfg) }
	default:
		return fmt.Errorf("graph: respond: %q is not a response: expected accept, tentative or decline", string(r))
	}
	return c.call(ctx, "respond", post)
}

// fillReply asks Graph to send the response; a comment is only valid then.
func fillReply(body replyBody, comment string) {
	send := true
	body.SetSendResponse(&send)
	if comment != "" {
		body.SetComment(&comment)
	}
}
