package graph

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// MaxAnswer is the largest answer, in bytes, the client reads from Graph or
// Entra ID: a page of 100 events with their bodies and hundreds of
// attendees each is a few MiB. A larger answer ends the call with an
// *AnswerTooLargeError and is read no further.
const MaxAnswer = 32 << 20

// OtherHostError is a request refused because it would go to a host other
// than Graph's or Entra ID's: a redirect, or a link in an answer, that leads
// elsewhere. Even without the token, the path would tell that host the
// mailbox and the dates asked about.
type OtherHostError struct {
	Host    string   // where the request would have gone
	Allowed []string // the hosts the client talks to
}

// Error implements error.
func (e *OtherHostError) Error() string {
	return fmt.Sprintf("refused to send a request to %s: a redirect or a link from Microsoft Graph leads there, "+
		"and invitesync talks only to %s", cleanText(e.Host), strings.Join(e.Allowed, " and "))
}

// NonRetriable tells azcore's retry policy not to retry.
func (e *OtherHostError) NonRetriable() {}

// AnswerTooLargeError is an answer larger than MaxAnswer.
type AnswerTooLargeError struct {
	Host string
	Size int64 // as its Content-Length said; -1 when it did not say
}

// Error implements error.
func (e *AnswerTooLargeError) Error() string {
	size := fmt.Sprintf("more than %d MiB", MaxAnswer>>20)
	if e.Size >= 0 {
		size = fmt.Sprintf("%d bytes", e.Size)
	}
	return fmt.Sprintf("%s sent an answer of %s, more than the %d MiB invitesync reads: it was not read", e.Host, size, MaxAnswer>>20)
}

// NonRetriable tells azcore's retry policy not to retry.
func (e *AnswerTooLargeError) NonRetriable() {}

// checkHost refuses a request to a host that is not one of hosts.
func checkHost(u *url.URL, hosts []string) error {
	for _, h := range hosts {
		if strings.EqualFold(u.Host, h) {
			return nil
		}
	}
	return &OtherHostError{Host: u.Host, Allowed: hosts}
}

// limitAnswer refuses an answer whose Content-Length passes MaxAnswer, and
// makes reading one that did not say fail past it.
func limitAnswer(resp *http.Response) (*http.Response, error) {
	host := resp.Request.URL.Host
	if resp.ContentLength > MaxAnswer {
		resp.Body.Close()
		return nil, &AnswerTooLargeError{Host: host, Size: resp.ContentLength}
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: MaxAnswer, host: host}
	return resp, nil
}

// limitedBody reads at most left more bytes, and fails when there are more.
type limitedBody struct {
	io.ReadCloser
	left int64
	host string
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		n, err := b.ReadCloser.Read(one[:])
		if n > 0 {
			return 0, &AnswerTooLargeError{Host: b.host, Size: -1}
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// checkID refuses an event id that cannot be one segment of a URL path.
// The SDK escapes an id as one segment, slashes and all; but "." and ".."
// would still be read as steps along the path by a server that normalises
// it, and an empty id would name the collection.
func checkID(call, id string) error {
	switch id {
	case "":
		return fmt.Errorf("graph: %s: the event id is empty", call)
	case ".", "..":
		return fmt.Errorf("graph: %s: %q is not an event id", call, id)
	}
	return nil
}

// guardError finds an *OtherHostError or *AnswerTooLargeError in err.
func guardError(err error) (error, bool) {
	var oh *OtherHostError
	var tl *AnswerTooLargeError
	switch {
	case errors.As(err, &oh):
		return oh, true
	case errors.As(err, &tl):
		return tl, true
	}
	return err, false
}
