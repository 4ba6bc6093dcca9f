package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"invitesync/internal/neterr"
	"invitesync/internal/retry"
	"invitesync/internal/text"
)

// ErrResyncRequired is matched (errors.Is) by a *ResyncError: the delta link
// is no longer valid, so the caller must drop it and start a fresh round.
var ErrResyncRequired = errors.New("delta state is no longer valid: start a fresh round")

// ErrMalformed marks an answer from Graph that cannot be understood.
var ErrMalformed = errors.New("malformed answer from Microsoft Graph")

// ResyncError is a delta request refused because its token expired (410 Gone,
// syncStateNotFound or resyncRequired).
type ResyncError struct {
	Status int
	Code   string
}

// Error implements error.
func (e *ResyncError) Error() string {
	return fmt.Sprintf("Graph answered %d %s: %v", e.Status, e.Code, ErrResyncRequired)
}

// Is makes errors.Is(err, ErrResyncRequired) true.
func (e *ResyncError) Is(target error) bool { return target == ErrResyncRequired }

// ThrottledError is a request still refused with 429, 503 or 504 after the
// retries, or whose Retry-After is longer than the client waits in place.
type ThrottledError struct {
	Until  time.Time // when Graph said to come back
	Status int
	Code   string
}

// Error implements error.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("Microsoft Graph is throttling requests (%d %s) until %s",
		e.Status, e.Code, e.Until.Format(time.DateTime))
}

// GraphError is any other error answer from Graph. Message is sanitized.
type GraphError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

// Error implements error.
func (e *GraphError) Error() string {
	return fmt.Sprintf("Microsoft Graph answered %d %s: %s", e.Status, e.Code, e.Message)
}

// AuthError is a refusal from Entra ID's metadata or token endpoint.
type AuthError struct {
	Status      int
	Kind        string // OAuth error, e.g. invalid_client
	Code        int    // first AADSTS code, e.g. 7000215; 0 when none
	Description string // first sentence of error_description, sanitized
	Endpoint    string // "metadata" or "token"
}

// Error implements error.
func (e *AuthError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("sign-in failed (%s, HTTP %d): AADSTS%d: %s", e.Kind, e.Status, e.Code, e.Description)
	}
	return fmt.Sprintf("sign-in failed (%s, HTTP %d): %s", e.Kind, e.Status, e.Description)
}

// AADSTS returns the code as Microsoft writes it, e.g. AADSTS7000215.
func (e *AuthError) AADSTS() string {
	if e.Code == 0 {
		return e.Kind
	}
	return fmt.Sprintf("AADSTS%d", e.Code)
}

// NetworkError is a host that could not be reached: DNS, connection or TLS.
type NetworkError struct {
	Host string // host[:port] as in the URL
	Err  error
}

// Error implements error.
func (e *NetworkError) Error() string { return "cannot reach " + e.Host + ": " + e.Reason() }

// Unwrap returns the transport's error.
func (e *NetworkError) Unwrap() error { return e.Err }

// NonRetriable tells azcore's retry policy not to retry: a host that cannot
// be reached now will not be reached in the next second either.
func (e *NetworkError) NonRetriable() {}

// UnknownAuthority reports whether the host's certificate chains to a CA this
// machine does not trust.
func (e *NetworkError) UnknownAuthority() bool {
	return neterr.Classify(e.Err) == neterr.UnknownAuthority
}

// DNS reports whether the host name could not be resolved.
func (e *NetworkError) DNS() bool {
	k := neterr.Classify(e.Err)
	return k == neterr.NoSuchHost || k == neterr.DNS
}

// Reason says in a few words why the host could not be reached.
func (e *NetworkError) Reason() string {
	if r := neterr.Reason(e.Err); r != "" {
		return cleanText(r)
	}
	return cleanText(e.Err.Error())
}

// TimeoutError is a call that did not finish within the client's timeout.
type TimeoutError struct {
	Host  string
	After time.Duration
}

// Error implements error.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s did not answer within %s", e.Host, e.After)
}

// netTransport turns transport failures into *NetworkError and remembers the
// last one: azidentity flattens the errors of its token requests to text.
// It sends requests only to hosts, and reads no answer past MaxAnswer.
type netTransport struct {
	base  http.RoundTripper
	hosts []string // Entra ID's and Graph's
	mu    sync.Mutex
	last  *NetworkError
	at    time.Time
}

var _ http.RoundTripper = (*netTransport)(nil)

// RoundTrip implements http.RoundTripper.
func (t *netTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkHost(req.URL, t.hosts); err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		return limitAnswer(resp)
	}
	if req.Context().Err() != nil {
		return resp, err
	}
	ne := &NetworkError{Host: req.URL.Host, Err: err}
	t.mu.Lock()
	t.last, t.at = ne, time.Now()
	t.mu.Unlock()
	return nil, ne
}

// lastSince returns the last network failure on host since start.
func (t *netTransport) lastSince(host string, start time.Time) *NetworkError {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil || t.at.Before(start) || !strings.EqualFold(t.last.Host, host) {
		return nil
	}
	return t.last
}

// classify turns an error from azidentity or the Graph SDK into this
// package's typed errors. timedOut says the call's own deadline passed.
func (c *Client) classify(err error, start time.Time, timedOut bool) error {
	if guarded, ok := guardError(err); ok {
		return guarded
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) {
		if afe.RawResponse != nil {
			return authErrorFrom(afe.RawResponse)
		}
		if ne := c.net.lastSince(c.authority.Host, start); ne != nil {
			return ne
		}
		if timedOut {
			return &TimeoutError{Host: c.authority.Host, After: c.opts.Timeout}
		}
		return &AuthError{Kind: "sign-in", Description: cleanText(err.Error())}
	}
	var ne *NetworkError
	if errors.As(err, &ne) {
		return ne
	}
	if timedOut && errors.Is(err, context.DeadlineExceeded) {
		return &TimeoutError{Host: c.graphBase.Host, After: c.opts.Timeout}
	}
	typed, ok := classifyGraph(err, time.Now())
	if !ok {
		// Transport and HTTP failures are typed by now: what is left comes
		// from reading the answer.
		return fmt.Errorf("%w: %v", ErrMalformed, cleanText(err.Error()))
	}
	return typed
}

// classifyGraph turns the Graph SDK's error values into typed errors; ok is
// false, and err comes back as it is, for any other error.
func classifyGraph(err error, now time.Time) (typed error, ok bool) {
	var oe *odataerrors.ODataError
	var ae *abs.ApiError
	var status int
	var code, message, requestID string
	var headers *abs.ResponseHeaders
	switch {
	case errors.As(err, &oe):
		status, headers = oe.ResponseStatusCode, oe.GetResponseHeaders()
		if main := oe.GetErrorEscaped(); main != nil {
			code, message = deref(main.GetCode()), deref(main.GetMessage())
			if inner := main.GetInnerError(); inner != nil {
				requestID = deref(inner.GetRequestId())
			}
		}
	case errors.As(err, &ae):
		status, headers, message = ae.ResponseStatusCode, ae.ResponseHeaders, "no error details in the answer"
	default:
		return err, false
	}
	switch {
	case status == http.StatusGone || strings.EqualFold(code, "syncStateNotFound") || strings.EqualFold(code, "resyncRequired"):
		return &ResyncError{Status: status, Code: code}, true
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		wait := time.Minute
		if headers != nil {
			if v := headers.Get("Retry-After"); len(v) > 0 {
				if d, ok := retry.After(v[0], now); ok {
					wait = d
				}
			}
		}
		return &ThrottledError{Until: now.Add(wait), Status: status, Code: code}, true
	}
	return &GraphError{Status: status, Code: code, Message: cleanText(message), RequestID: requestID}, true
}

// authErrorFrom reads Entra's error body: {"error","error_description","error_codes"}.
func authErrorFrom(resp *http.Response) *AuthError {
	ae := &AuthError{Status: resp.StatusCode, Endpoint: "token"}
	if resp.Request != nil && strings.Contains(resp.Request.URL.Path, "openid-configuration") {
		ae.Endpoint = "metadata"
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Codes       []int  `json:"error_codes"`
	}
	payload, err := runtime.Payload(resp)
	if err != nil || json.Unmarshal(payload, &body) != nil {
		ae.Kind, ae.Description = "unreadable", fmt.Sprintf("Entra ID answered HTTP %d with a body that is not an error description", resp.StatusCode)
		return ae
	}
	ae.Kind = body.Error
	if len(body.Codes) > 0 {
		ae.Code = body.Codes[0]
	}
	ae.Description = firstSentence(body.Description)
	return ae
}

// firstSentence keeps what Entra says before its trace and correlation ids,
// without the AADSTS prefix.
func firstSentence(s string) string {
	if i := strings.Index(s, " Trace ID:"); i >= 0 {
		s = s[:i]
	}
	if strings.HasPrefix(s, "AADSTS") {
		if _, rest, ok := strings.Cut(s, ": "); ok {
			s = rest
		}
	}
	return cleanText(s)
}

// cleanText makes service-provided text safe for a terminal or a log.
func cleanText(s string) string { return text.Clean(s, 400) }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
