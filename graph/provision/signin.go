// Package provision creates and maintains the Entra ID application an
// automation signs in as, through Microsoft Graph, after one administrator
// sign-in by device code: the app registration (single tenant, no redirect
// URI, Calendars.ReadWrite application and User.Read delegated permissions,
// their IDs read from Graph's own service principal), its service principal
// (the enterprise application), admin consent for the application
// permission (an app role assignment), and client secrets. What it did is
// reported step by step, so that a half-way failure can say what exists.
package provision

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"invitesync/graph"
	"invitesync/internal/text"
)

// DefaultAdminClientID is the public client the administrator signs in
// through: Microsoft Graph Command Line Tools (the app behind Microsoft
// Graph PowerShell's Connect-MgGraph). It is in every tenant, allows the
// device-code flow, and may ask for any delegated Graph permission at sign-in
// time. The Azure CLI's app (04b07795-…) may not: its Graph permissions are
// preauthorized by Microsoft, and asking for others ends in AADSTS65002.
// A tenant that blocks the Graph tools app can register its own public
// client and pass it with --admin-client-id.
const DefaultAdminClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

// The delegated permissions each job asks for, nothing more: creating
// the application, its service principal and a client secret needs
// Application.ReadWrite.All; admin consent (an app role assignment on
// Graph) needs AppRoleAssignment.ReadWrite.All with it.
var (
	ScopesCreate = []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"}
	ScopesManage = []string{"Application.ReadWrite.All"}
)

// Errors a sign-in ends with, besides network and Entra's own.
var (
	ErrDeclined  = errors.New("the sign-in was declined in the browser")
	ErrExpired   = errors.New("the code expired before anyone signed in with it")
	ErrCancelled = errors.New("the sign-in was cancelled")
)

// Options say where and how the administrator signs in.
type Options struct {
	// Graph gives the endpoints (AuthorityHost, GraphURL), the transport
	// (HTTPClient) and the time bound of each call (Timeout).
	Graph graph.Options
	// AdminClientID is the public client signed in through; "" is
	// DefaultAdminClientID.
	AdminClientID string
	// TenantID is the directory to sign in to; "" lets the administrator's
	// account choose (the "organizations" endpoint).
	TenantID string
	// Prompt shows the device code: it is called once, as soon as Entra
	// has issued it, and must not block.
	Prompt func(DeviceCode)
}

// DeviceCode is what the administrator needs to sign in elsewhere.
type DeviceCode struct {
	UserCode string
	URL      string
	Message  string    // Entra's own instruction
	Expires  time.Time // when the code stops working
}

// Admin is a signed-in administrator: a delegated Graph token and who it is.
type Admin struct {
	TenantID   string
	User       string // the account's user name, e.g. admin@contoso.com
	roles      []string
	rolesSet   bool // the token said which directory roles the user holds
	otherRoles bool // it listed roles not named here

	cred    *azidentity.DeviceCodeCredential
	scopes  []string
	http    *http.Client
	base    string // Graph base URL, e.g. https://graph.microsoft.com/v1.0
	timeout time.Duration
}

// SignIn runs the device-code flow for the Graph permissions perms (e.g.
// ScopesCreate) and returns the signed-in administrator. It ends with
// ErrDeclined, ErrExpired or ErrCancelled (ctx done) when nobody signs in.
func SignIn(ctx context.Context, o Options, perms []string) (*Admin, error) {
	authority := o.Graph.AuthorityHost
	if authority == "" {
		authority = graph.DefaultAuthorityHost
	}
	base := strings.TrimSuffix(o.Graph.GraphURL, "/")
	if base == "" {
		base = graph.DefaultGraphURL
	}
	gu, err := url.Parse(base)
	if err != nil || gu.Host == "" {
		return nil, fmt.Errorf("graph URL %q is not usable", base)
	}
	clientID := o.AdminClientID
	if clientID == "" {
		clientID = DefaultAdminClientID
	}
	tenant := o.TenantID
	if tenant == "" {
		tenant = "organizations"
	}
	timeout := o.Graph.Timeout
	if timeout <= 0 {
		timeout = graph.DefaultTimeout
	}
	var parent http.RoundTripper = http.DefaultTransport
	if o.Graph.HTTPClient != nil && o.Graph.HTTPClient.Transport != nil {
		parent = o.Graph.HTTPClient.Transport
	}
	watch := &codeWatcher{base: parent, expires: map[string]time.Time{}}
	resource := resourceOf(gu.Hostname())
	scopes := make([]string, len(perms))
	for i, p := range perms {
		scopes[i] = resource + p
	}
	redirected := authority != graph.DefaultAuthorityHost || base != graph.DefaultGraphURL
	cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: authority},
			Transport: &http.Client{Transport: watch, Timeout: timeout},
			Retry:     policy.RetryOptions{MaxRetries: 2},
		},
		ClientID: clientID, TenantID: tenant,
		DisableInstanceDiscovery: redirected,
		// One prompt only: a token that cannot be renewed silently ends
		// the job instead of asking for another code halfway through.
		DisableAutomaticAuthentication: true,
		UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
			dc := DeviceCode{UserCode: m.UserCode, URL: m.VerificationURL, Message: text.Clean(m.Message, 400),
				Expires: watch.expiry(m.UserCode)}
			if o.Prompt != nil {
				o.Prompt(dc)
			}
			return nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("the administrator sign-in cannot start: %w", err)
	}
	rec, err := cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: scopes})
	if err != nil {
		return nil, signInError(ctx, err, watch)
	}
	a := &Admin{TenantID: rec.TenantID, User: text.Clean(rec.Username, 200), cred: cred, scopes: scopes,
		http: &http.Client{Transport: parent}, base: base, timeout: timeout}
	tok, err := a.token(ctx)
	if err != nil {
		return nil, err
	}
	a.readClaims(tok)
	return a, nil
}

// resourceOf is Graph's resource for a Graph host: the national clouds
// have their own; anything else (a simulator) is the public one.
func resourceOf(host string) string {
	switch host {
	case "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn":
		return "https://" + host + "/"
	}
	return "https://graph.microsoft.com/"
}

// AccessToken returns the administrator's access token for Graph, renewed
// silently when needed; never another sign-in.
func (a *Admin) AccessToken(ctx context.Context) (string, error) { return a.token(ctx) }

// token returns the administrator's access token, renewed silently when needed.
func (a *Admin) token(ctx context.Context) (string, error) {
	tok, err := a.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: a.scopes})
	if err != nil {
		return "", fmt.Errorf("the administrator's sign-in could not be renewed (sign in again): %w", err)
	}
	return tok.Token, nil
}

// readClaims takes the tenant, the user and the directory roles (wids) from
// the access token. The roles are advice only: Graph decides.
func (a *Admin) readClaims(tok string) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return
	}
	var c struct {
		TID  string    `json:"tid"`
		UPN  string    `json:"upn"`
		Wids *[]string `json:"wids"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return
	}
	if a.TenantID == "" || a.TenantID == "organizations" {
		a.TenantID = c.TID
	}
	if a.User == "" {
		a.User = text.Clean(c.UPN, 200)
	}
	if c.Wids != nil {
		a.rolesSet = true
		for _, id := range *c.Wids {
			if name, ok := roleNames[strings.ToLower(id)]; ok {
				a.roles = append(a.roles, name)
			} else {
				a.otherRoles = true
			}
		}
	}
}

// signInError turns a failed device-code sign-in into one of the package's
// errors, or Entra's own answer, first sentence.
func signInError(ctx context.Context, err error, watch *codeWatcher) error {
	if ctx.Err() != nil {
		return ErrCancelled
	}
	e := watch.lastError()
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) && afe.RawResponse != nil {
		if body, _ := runtime.Payload(afe.RawResponse); len(body) > 0 {
			_ = json.Unmarshal(body, &e)
		}
	}
	switch e.Error {
	case "authorization_declined", "access_denied":
		return ErrDeclined
	case "expired_token", "code_expired":
		return ErrExpired
	case "", "authorization_pending", "slow_down":
	default:
		desc, _, _ := strings.Cut(e.Description, "\r\n")
		desc, _, _ = strings.Cut(desc, " Trace ID:")
		return fmt.Errorf("Entra ID refused the sign-in (%s): %s", e.Error, text.Clean(desc, 400))
	}
	if watch.lapsed() {
		return ErrExpired
	}
	return fmt.Errorf("the administrator sign-in failed: %s", text.Clean(err.Error(), 400))
}

// codeWatcher is the sign-in's transport. It notes each device code's
// expiry from Entra's answer (expires_in), which the credential does not
// pass on to its prompt, and the last OAuth error of the token endpoint,
// whose body MSAL consumes before the credential reports it.
type codeWatcher struct {
	base    http.RoundTripper
	mu      sync.Mutex
	expires map[string]time.Time // by user code
	last    time.Time
	oauth   oauthError // the token endpoint's last error
}

// oauthError is the body of an error from Entra's token endpoint.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// RoundTrip implements http.RoundTripper.
func (c *codeWatcher) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	code := strings.HasSuffix(req.URL.Path, "/oauth2/v2.0/devicecode")
	token := strings.HasSuffix(req.URL.Path, "/oauth2/v2.0/token")
	if err != nil || !(code && resp.StatusCode == http.StatusOK || token && resp.StatusCode >= 400) {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.mu.Lock()
	defer c.mu.Unlock()
	if token {
		c.oauth = oauthError{}
		_ = json.Unmarshal(body, &c.oauth)
		return resp, nil
	}
	var dc struct {
		UserCode  string `json:"user_code"`
		ExpiresIn int    `json:"expires_in"`
	}
	if json.Unmarshal(body, &dc) == nil && dc.ExpiresIn > 0 {
		c.last = time.Now().Add(time.Duration(dc.ExpiresIn) * time.Second)
		c.expires[dc.UserCode] = c.last
	}
	return resp, nil
}

// lastError is the token endpoint's last OAuth error.
func (c *codeWatcher) lastError() oauthError {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.oauth
}

// expiry is when userCode stops working; a zero time when unknown.
func (c *codeWatcher) expiry(userCode string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.expires[userCode]
}

// lapsed reports whether the last code issued has expired.
func (c *codeWatcher) lapsed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.last.IsZero() && !time.Now().Before(c.last)
}
