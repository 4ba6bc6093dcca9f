package graph

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	khttp "github.com/microsoft/kiota-http-go"
)

// renewGap is the shortest time between two fresh sign-ins: a Graph that
// refuses every new token too is not asked for one on every call.
const renewGap = 30 * time.Second

// credential is the client's token source. The client-secret credential
// keeps its token until shortly before it expires; when Graph refuses one
// earlier (the token was revoked, the app disabled, its secret deleted and
// added again), renew replaces the credential by a new one, whose cache is
// empty, so the next call signs in again.
type credential struct {
	build func() (*azidentity.ClientSecretCredential, error)

	mu      sync.Mutex
	cred    *azidentity.ClientSecretCredential
	gen     uint64    // how often cred was replaced
	renewed time.Time // when it was last replaced
}

var _ azcore.TokenCredential = (*credential)(nil)

// newCredential returns a credential made, now and on each renewal, by build.
func newCredential(build func() (*azidentity.ClientSecretCredential, error)) (*credential, error) {
	cred, err := build()
	if err != nil {
		return nil, err
	}
	return &credential{build: build, cred: cred}, nil
}

// GetToken implements azcore.TokenCredential with the current credential.
func (c *credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	cred := c.cred
	c.mu.Unlock()
	return cred.GetToken(ctx, opts)
}

// generation identifies the current credential; renew takes it back.
func (c *credential) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// renew replaces the credential that was current at generation gen, and
// reports whether a call refused with its token is worth trying again: true
// when it was replaced now or by another call meanwhile; false when the last
// renewal is less than renewGap ago, or a new credential cannot be built.
func (c *credential) renew(gen uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return true
	}
	if !c.renewed.IsZero() && time.Since(c.renewed) < renewGap {
		return false
	}
	cred, err := c.build()
	if err != nil {
		return false
	}
	c.cred, c.gen, c.renewed = cred, c.gen+1, time.Now()
	return true
}

// Tokens share one credential, and so one access token, per app — sign-in
// endpoint, tenant, client ID and secret — among the Clients built with
// them. The first Client of an app makes the credential, over its own
// transport. It is safe for concurrent use.
type Tokens struct {
	mu    sync.Mutex
	creds map[[sha256.Size]byte]*credential
}

// NewTokens returns Tokens that share nothing yet.
func NewTokens() *Tokens { return &Tokens{creds: map[[sha256.Size]byte]*credential{}} }

// credential returns the app's credential, made by build the first time.
func (t *Tokens) credential(authority, tenantID, clientID, secret string, build func() (*azidentity.ClientSecretCredential, error)) (*credential, error) {
	key := sha256.Sum256([]byte(strings.Join([]string{authority, strings.ToLower(tenantID), strings.ToLower(clientID), secret}, "\x00")))
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.creds[key]; c != nil {
		return c, nil
	}
	c, err := newCredential(build)
	if err != nil {
		return nil, err
	}
	t.creds[key] = c
	return c, nil
}

// renewHandler is the outermost middleware of the client's Graph requests:
// when Graph answers 401 (InvalidAuthenticationToken) to a token the
// credential still holds as valid, it renews the credential and sends the
// request once more with a fresh token. It works on the HTTP request, so a
// request built from a one-use nextLink or deltaLink goes again unchanged.
type renewHandler struct{ c *Client }

var _ khttp.Middleware = renewHandler{}

// Intercept implements khttp.Middleware.
func (h renewHandler) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	gen := h.c.cred.generation()
	resp, err := p.Next(req, i)
	// A request that went without a token (not for the Graph host) is
	// never given one here.
	if err != nil || resp.StatusCode != http.StatusUnauthorized || req.Header.Get("Authorization") == "" || !h.c.cred.renew(gen) {
		return resp, err
	}
	body, ok := rewind(req)
	if !ok {
		return resp, nil
	}
	drain(resp)
	h.c.log.Warn("Microsoft Graph refused an access token that had not expired; signing in again")
	tok, err := h.c.cred.GetToken(req.Context(), policy.TokenRequestOptions{Scopes: []string{h.c.scope}, EnableCAE: true})
	if err != nil {
		return nil, err
	}
	again := req.Clone(req.Context())
	again.Body = body
	again.Header.Set("Authorization", "Bearer "+tok.Token)
	return p.Next(again, i)
}

// rewind returns req's body from its start, for sending it again; false
// when it cannot be read again.
func rewind(req *http.Request) (io.ReadCloser, bool) {
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		return req.Body, true
	case req.GetBody != nil:
		b, err := req.GetBody()
		return b, err == nil
	}
	if s, ok := req.Body.(io.Seeker); ok {
		if _, err := s.Seek(0, io.SeekStart); err == nil {
			return req.Body, true
		}
	}
	return nil, false
}

// drain reads a little of an answer not used and closes it, so its
// connection can be used again.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}

// renewed is what a call ends with when the credential was renewed while
// it ran: when signing in again failed, the sign-in's diagnosis (a wrong or
// expired secret, step 3, …), which says what to do, rather than Graph's
// 401, which does not; any other error as it is.
func (c *Client) renewed(err error) error {
	var ae *AuthError
	if !errors.As(err, &ae) {
		return err
	}
	d := diagnoseAuth(ae, c.facts())
	d.Message = "Microsoft Graph stopped accepting the access token, and signing in again failed. " + d.Message
	return d.Explaining(err)
}
