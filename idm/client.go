// Package idm is the client of the Salto IDM visitor API (contract:
// idm-api.md): health, environments, employee lookup and idempotent visits
// keyed by a client-chosen reference.
package idm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"invitesync/internal/neterr"
	"invitesync/internal/readjson"
	"invitesync/internal/retry"
	"invitesync/internal/text"
	"invitesync/internal/weburl"
)

// DefaultTimeout bounds every request when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// MaxAnswer is the largest answer the client reads, in bytes: far more
// than any answer of the contract (an employee lookup or a visit is a few
// hundred bytes); a larger one is refused with an *Error of code
// CodeAnswerTooLarge, and never read whole.
const MaxAnswer = 4 << 20

// Limits on what the client reads from an answer.
const (
	maxErrorBody = 64 << 10
	maxMessage   = 300 // runes of a server message kept in an Error
	maxRedirects = 3
)

// Options tunes a Client. The zero value is ready to use.
type Options struct {
	// HTTPClient carries the requests (its transport, proxy and TLS trust);
	// nil means http.DefaultClient. The client never changes it: it works on
	// a copy whose redirect policy refuses other hosts.
	HTTPClient *http.Client
	// Timeout bounds each request, connection and answer included;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// Logger receives one debug record per request (method, path, status,
	// duration); nil discards them. The API key is never logged.
	Logger *slog.Logger
	// ReadBackoff is the first wait before a read answered 429 or 503
	// without Retry-After is tried again, doubled for the next; zero means
	// DefaultReadBackoff.
	ReadBackoff time.Duration
}

// Client talks to one IDM API base URL with one API key. It is safe for
// concurrent use.
type Client struct {
	base    *url.URL
	key     *string // a pointer, so that printing a Client shows no key
	http    *http.Client
	timeout time.Duration
	log     *slog.Logger
	backoff retry.Backoff // of reads tried again in place
}

// New returns a client for the API at baseURL (e.g.
// https://idm.example.com/api/v1) authenticating with apiKey. The URL must
// use https, except for loopback hosts, and carry no user, query or
// fragment; surrounding white space is trimmed from the key.
func New(baseURL, apiKey string, opts Options) (*Client, error) {
	base, err := ParseURL(baseURL)
	if err != nil {
		return nil, err
	}
	key, err := checkKey(apiKey)
	if err != nil {
		return nil, err
	}
	hc := http.DefaultClient
	if opts.HTTPClient != nil {
		hc = opts.HTTPClient
	}
	own := *hc
	c := &Client{base: base, key: key, http: &own, timeout: opts.Timeout, log: opts.Logger}
	own.CheckRedirect = c.checkRedirect
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.backoff = retry.Backoff{Base: opts.ReadBackoff}
	if c.backoff.Base <= 0 {
		c.backoff.Base = DefaultReadBackoff
	}
	return c, nil
}

// URL returns the API base URL the client talks to.
func (c *Client) URL() string { return c.base.String() }

// String describes the client without its key.
func (c *Client) String() string { return "IDM client for " + c.base.String() }

// ParseURL checks an IDM API base URL: absolute, https (plain http only for
// localhost and loopback addresses), with a host and without user
// information, query or fragment. A trailing slash is dropped.
func ParseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("%w: the IDM URL is empty; expected e.g. https://idm.example.com/api/v1", ErrInvalidURL)
	}
	u, err := weburl.Parse(raw)
	if errors.Is(err, weburl.ErrNotAbsolute) {
		return nil, fmt.Errorf("%w: not an absolute URL; expected e.g. https://idm.example.com/api/v1", ErrInvalidURL)
	}
	if err != nil {
		// Shown: never the user information, query or fragment, where a
		// secret might hide.
		shown := text.Clean(weburl.Shown(raw), 200)
		switch {
		case errors.Is(err, weburl.ErrUserInfo):
			return nil, fmt.Errorf("%w %q: must not contain a user name or password; the API key is configured separately", ErrInvalidURL, shown)
		case errors.Is(err, weburl.ErrQuery):
			return nil, fmt.Errorf("%w %q: must not contain a query (?) or fragment (#)", ErrInvalidURL, shown)
		case errors.Is(err, weburl.ErrPlainHTTP):
			return nil, fmt.Errorf("%w %q: must use https (plain http is allowed only for localhost)", ErrInvalidURL, shown)
		}
		return nil, fmt.Errorf("%w %q: the scheme must be https", ErrInvalidURL, shown)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// checkKey trims the API key and checks that it can travel in a header.
func checkKey(k string) (*string, error) {
	k = strings.TrimSpace(k)
	if k == "" {
		return nil, fmt.Errorf("%w: the API key is empty", ErrInvalidKey)
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return nil, fmt.Errorf("%w: it contains a space, control or non-ASCII character, which cannot travel in an HTTP header", ErrInvalidKey)
		}
	}
	return &k, nil
}

// redact removes the key from text that came from elsewhere.
func (c *Client) redact(s string) string {
	return strings.ReplaceAll(s, *c.key, "[redacted]")
}

// checkRedirect follows a redirect only for GET, only to the base URL's
// scheme and host, and only a few times; the key goes nowhere else.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	switch {
	case req.URL.Scheme != c.base.Scheme || !strings.EqualFold(req.URL.Host, c.base.Host):
		return fmt.Errorf("%w to another host (%s://%s); the API key is sent only to %s",
			ErrRedirect, req.URL.Scheme, text.Clean(req.URL.Host, 100), c.base.Host)
	case via[0].Method != http.MethodGet:
		return fmt.Errorf("%w of a %s request; check the IDM URL", ErrRedirect, via[0].Method)
	case len(via) > maxRedirects:
		return fmt.Errorf("%w: more than %d redirects; check the IDM URL", ErrRedirect, maxRedirects)
	}
	return nil
}

// DefaultReadBackoff is the first wait before a read is tried again when
// Options.ReadBackoff is zero.
const DefaultReadBackoff = 500 * time.Millisecond

// Reads (GET) answered 429 or 503 are tried again in place, as the contract
// asks: after Retry-After, else after a short exponential backoff, at most
// readRetries times and never for a wait longer than maxReadWait; a longer
// wait is left to the caller. Writes are retried by the caller (the outbox).
const (
	readRetries = 2
	maxReadWait = 5 * time.Second
)

// do sends a request to the path below the base URL and decodes a
// successful JSON answer into out (when out is not nil). It returns the
// status of a successful answer; every failure is an *Error.
func (c *Client) do(ctx context.Context, method string, path []string, query url.Values, in, out any) (int, error) {
	for attempt := 0; ; attempt++ {
		status, err := c.once(ctx, method, path, query, in, out)
		wait, again := c.retryRead(method, err, attempt)
		if !again {
			return status, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return status, err
		case <-t.C:
		}
	}
}

// retryRead says whether a read that failed with err on the given attempt
// (0 for the first) is tried again in place, and after how long.
func (c *Client) retryRead(method string, err error, attempt int) (time.Duration, bool) {
	var e *Error
	if method != http.MethodGet || attempt >= readRetries || !errors.As(err, &e) ||
		(e.Status != http.StatusTooManyRequests && e.Status != http.StatusServiceUnavailable) {
		return 0, false
	}
	wait := e.RetryAfter
	if wait <= 0 {
		wait = c.backoff.Step(attempt + 1)
	}
	return wait, wait <= maxReadWait
}

// once sends one request; see do.
func (c *Client) once(ctx context.Context, method string, path []string, query url.Values, in, out any) (int, error) {
	op := method + " /" + strings.Join(path, "/")
	// Each element is one path segment, whatever it holds.
	segs := make([]string, len(path))
	for i, p := range path {
		segs[i] = url.PathEscape(p)
	}
	u := c.base.JoinPath(segs...)
	u.RawQuery = query.Encode()

	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return 0, &Error{Op: op, Code: CodeInvalidRequest, Message: "encoding the body: " + err.Error()}
		}
		body = bytes.NewReader(data)
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, method, u.String(), body)
	if err != nil {
		return 0, &Error{Op: op, Code: CodeInvalidRequest, Message: err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+*c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "invitesync")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		e := c.transportError(op, ctx, err)
		c.log.LogAttrs(ctx, slog.LevelDebug, "idm request", slog.String("op", op),
			slog.Duration("duration", time.Since(start)), slog.String("error", e.Error()))
		return 0, e
	}
	defer resp.Body.Close()
	e := c.answer(op, resp, out)
	attrs := []slog.Attr{slog.String("op", op), slog.Int("status", resp.StatusCode), slog.Duration("duration", time.Since(start))}
	if e != nil {
		attrs = append(attrs, slog.String("error", e.Error()))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "idm request", attrs...)
	if e != nil {
		return resp.StatusCode, e // not returned directly: a nil *Error is a non-nil error
	}
	return resp.StatusCode, nil
}

// answer reads a response: the JSON of a success into out, or an *Error.
func (c *Client) answer(op string, resp *http.Response, out any) *Error {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if out == nil || resp.StatusCode == http.StatusNoContent {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxAnswer))
			return nil
		}
		if resp.ContentLength > MaxAnswer {
			return tooLarge(op, resp.StatusCode, resp.ContentLength)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer+1))
		if len(data) > MaxAnswer {
			return tooLarge(op, resp.StatusCode, -1)
		}
		if err != nil {
			return cutAnswer(op, resp, len(data), err)
		}
		if err := readjson.Unmarshal(data, out); err != nil {
			ct := text.Clean(resp.Header.Get("Content-Type"), 60)
			return &Error{Op: op, Status: resp.StatusCode, Code: "bad_response",
				Message: fmt.Sprintf("the answer is not the IDM API's JSON (content type %q); check the IDM URL", ct)}
		}
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return cutAnswer(op, resp, len(data), err)
	}
	var eb ErrorBody
	_ = readjson.Unmarshal(data, &eb)
	e := &Error{
		Op:        op,
		Status:    resp.StatusCode,
		Code:      text.Clean(eb.Error.Code, 60),
		Message:   c.redact(text.Clean(eb.Error.Message, maxMessage)),
		Retryable: retryableStatus(resp.StatusCode),
	}
	// An empty body is an API's bare answer; a page of HTML is not.
	e.fromIDM = e.Code != "" || len(bytes.TrimSpace(data)) == 0
	if e.Code == "" {
		e.Code = codeFor(resp.StatusCode)
	}
	if e.Message == "" {
		e.Message = strings.ToLower(http.StatusText(resp.StatusCode))
	}
	if e.Retryable {
		e.RetryAfter, _ = retry.After(resp.Header.Get("Retry-After"), time.Now())
	}
	return e
}

// tooLarge describes an answer larger than MaxAnswer: n bytes, or -1 when
// it did not say and was read only up to the limit.
func tooLarge(op string, status int, n int64) *Error {
	size := fmt.Sprintf("more than %d MiB", MaxAnswer>>20)
	if n >= 0 {
		size = fmt.Sprintf("%d bytes", n)
	}
	return &Error{Op: op, Status: status, Code: CodeAnswerTooLarge,
		Message: fmt.Sprintf("the answer is %s, more than the %d MiB invitesync reads from IDM: check the IDM URL", size, MaxAnswer>>20)}
}

// cutAnswer describes an answer whose body broke off after n bytes: shorter
// than its Content-Length, or the connection reset while it was read. It is
// a network error, retryable like one, and no judgement of a body that never
// arrived whole (Status is 0: no usable answer came).
func cutAnswer(op string, resp *http.Response, n int, err error) *Error {
	of := ""
	if resp.ContentLength >= 0 {
		of = fmt.Sprintf(" of %d", resp.ContentLength)
	}
	return &Error{Op: op, Code: "network", Retryable: true,
		Err: fmt.Errorf("the answer (%d) was cut short after %d%s bytes: %w", resp.StatusCode, n, of, err)}
}

// transportError describes a request that got no answer. ctx is the
// caller's context, which tells our timeout from the caller's.
func (c *Client) transportError(op string, ctx context.Context, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, ErrRedirect):
		return &Error{Op: op, Code: "redirect", Err: err}
	case neterr.Classify(err).TLS():
		return &Error{Op: op, Code: "tls", Err: fmt.Errorf("the IDM server's certificate is not trusted: %w", err)}
	case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
		return &Error{Op: op, Code: "timeout", Retryable: true,
			Err: fmt.Errorf("no answer within %s: %w", c.timeout, err)}
	case ctx.Err() != nil:
		return &Error{Op: op, Code: "canceled", Retryable: true, Err: err}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("the connection closed without an answer: %w", err)
	} else {
		err = fmt.Errorf("cannot reach IDM: %w", err)
	}
	return &Error{Op: op, Code: "network", Retryable: true, Err: err}
}
