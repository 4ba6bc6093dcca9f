package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abs "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	graphauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/internal/weburl"
)

// Defaults for Options.
const (
	DefaultAuthorityHost = "https://login.microsoftonline.com/"
	DefaultGraphURL      = "https://graph.microsoft.com/v1.0"
	DefaultPageSize      = 100
	DefaultTimeout       = 60 * time.Second
	DefaultMaxRetries    = 3
	DefaultMaxRetryWait  = time.Minute
)

// The environment variables OptionsFromEnv reads.
const (
	EnvAuthorityHost = "INVITESYNC_AUTHORITY_HOST"
	EnvGraphURL      = "INVITESYNC_GRAPH_URL"
)

// Options tune a Client. The zero value talks to the public Microsoft cloud.
type Options struct {
	// AuthorityHost is the Entra ID sign-in endpoint; it must be https.
	AuthorityHost string
	// GraphURL is the Graph base URL including the version, e.g.
	// https://graph.microsoft.com/v1.0.
	GraphURL string
	// HTTPClient's Transport carries both the token and the Graph requests
	// and decides TLS trust; its other fields are not used. Nil: a transport
	// trusting the system roots, which on Linux include SSL_CERT_FILE's.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// PageSize is the Prefer: odata.maxpagesize of delta requests.
	PageSize int
	// Timeout bounds each call (a token request or a Graph request with its
	// retries); a Retry-After that would pass it is not waited for.
	Timeout time.Duration
	// MaxRetries is how often a throttled (429/503/504) request is retried.
	MaxRetries int
	// MaxRetryWait is the longest Retry-After waited in place; a longer one
	// ends the call with a *ThrottledError.
	MaxRetryWait time.Duration
	// TimeZone is the zone Graph is asked to report times in (Prefer:
	// outlook.timezone); default UTC. Graph refuses names outside its own
	// list (TimeZoneNotSupportedException): Windows names are safe, only some
	// IANA names are. Instants do not depend on it, and Graph gives all-day
	// events their own dates in any zone, so UTC loses nothing.
	TimeZone string
	// Limits bound the Graph requests in flight per app (tenant and client
	// ID), shared by every Client built with them. Nil: the process-wide
	// Limits, DefaultConcurrentRequests per app.
	Limits *Limits
	// Tokens, when set, share one access token per app among the Clients
	// built with them, so that many automations of one app sign in once.
	// Nil: each Client signs in on its own.
	Tokens *Tokens
}

// OptionsFromEnv returns Options redirected by INVITESYNC_AUTHORITY_HOST and
// INVITESYNC_GRAPH_URL when they are set. An invalid value is an error naming
// the variable.
func OptionsFromEnv() (Options, error) {
	o := Options{AuthorityHost: os.Getenv(EnvAuthorityHost), GraphURL: os.Getenv(EnvGraphURL)}
	if o.AuthorityHost != "" {
		if _, err := parseAuthority(o.AuthorityHost, EnvAuthorityHost); err != nil {
			return Options{}, err
		}
	}
	if o.GraphURL != "" {
		if _, err := parseGraphURL(o.GraphURL, EnvGraphURL); err != nil {
			return Options{}, err
		}
	}
	return o, nil
}

// Client talks to Entra ID and Microsoft Graph for one automation's mailbox.
// It is safe for concurrent use.
type Client struct {
	a         config.Automation
	cred      *credential
	scope     string
	graph     *msgraph.GraphServiceClient
	authority *url.URL
	graphBase *url.URL
	net       *netTransport
	sem       chan struct{} // the app's in-flight slots, shared through Options.Limits
	log       *slog.Logger
	opts      Options
	zones     zoneCache
	loc       *time.Location // the automation's zone: all-day dates are midnights in it
}

// New builds the client of automation a. Nothing goes over the network until
// a method is called. Invalid settings give a *diag.Diagnosis naming the wizard
// step and the field.
func New(a config.Automation, clientSecret string, opts Options) (*Client, error) {
	if err := validateAutomation(a, clientSecret); err != nil {
		return nil, err
	}
	authorityRaw := opts.AuthorityHost
	if authorityRaw == "" {
		authorityRaw = DefaultAuthorityHost
	}
	authority, err := parseAuthority(authorityRaw, "AuthorityHost")
	if err != nil {
		return nil, err
	}
	graphRaw := opts.GraphURL
	if graphRaw == "" {
		graphRaw = DefaultGraphURL
	}
	graphBase, err := parseGraphURL(graphRaw, "GraphURL")
	if err != nil {
		return nil, err
	}
	opts = withDefaults(opts, a)
	var parent http.RoundTripper = defaultTransport()
	if opts.HTTPClient != nil {
		parent = opts.HTTPClient.Transport
		if parent == nil {
			parent = http.DefaultTransport
		}
	}
	c := &Client{
		a: a, scope: graphScope(graphBase.Hostname()), authority: authority, graphBase: graphBase,
		net: &netTransport{base: parent, hosts: []string{authority.Host, graphBase.Host}}, sem: opts.Limits.slots(a.TenantID, a.ClientID),
		log: opts.Logger.With("mailbox", a.Mailbox), opts: opts, loc: a.Location(),
	}
	// Instance discovery asks login.microsoftonline.com about the authority:
	// pointless, and unreachable, when the endpoints are redirected.
	redirected := authority.String() != DefaultAuthorityHost || graphBase.String() != DefaultGraphURL
	build := func() (*azidentity.ClientSecretCredential, error) {
		return azidentity.NewClientSecretCredential(a.TenantID, a.ClientID, clientSecret,
			&azidentity.ClientSecretCredentialOptions{
				ClientOptions: azcore.ClientOptions{
					Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: authority.String()},
					Transport: &http.Client{Transport: c.net, CheckRedirect: noRedirect},
					Retry:     policy.RetryOptions{MaxRetries: 2},
				},
				DisableInstanceDiscovery: redirected,
			})
	}
	if opts.Tokens != nil {
		c.cred, err = opts.Tokens.credential(authority.String(), a.TenantID, a.ClientID, clientSecret, build)
	} else {
		c.cred, err = newCredential(build)
	}
	if err != nil {
		return nil, &diag.Diagnosis{Step: 4, Message: "The sign-in settings are not usable: " + cleanText(err.Error()),
			Fix: "Check the Directory (tenant) ID and the Application (client) ID."}
	}
	if c.graph, err = c.newGraphClient(); err != nil {
		return nil, err
	}
	return c, nil
}

// newGraphClient builds the SDK client as graph-notes §7 describes: the
// credential's token for the Graph host, the default middleware with this
// client's retry policy, over the client's transport.
func (c *Client) newGraphClient() (*msgraph.GraphServiceClient, error) {
	// Without the Graph host in the allowed hosts the SDK silently sends no token.
	auth, err := graphauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(
		c.cred, []string{c.scope}, []string{c.graphBase.Hostname()})
	if err != nil {
		return nil, fmt.Errorf("graph: authentication provider: %w", err)
	}
	middleware, err := khttp.GetDefaultMiddlewaresWithOptions(
		&khttp.RetryHandlerOptions{
			MaxRetries: c.opts.MaxRetries,
			// ShouldRetry must be set: the SDK calls it unchecked.
			ShouldRetry: c.shouldRetry,
		},
		// Request compression breaks retried POSTs: whichever order the SDK
		// puts the two handlers in, a retried reply goes out with an empty
		// body or with a plain body labelled gzip. Replies are tiny anyway.
		khttp.NewCompressionOptionsReference(false),
	)
	if err != nil {
		return nil, fmt.Errorf("graph: middleware: %w", err)
	}
	graphOpts := msgraph.GetDefaultClientOptions()
	middleware = append([]khttp.Middleware{
		renewHandler{c},
		msgraphcore.NewGraphTelemetryHandler(&graphOpts),
		khttp.NewUrlReplaceHandler(true, msgraphcore.ReplacementPairs),
	}, middleware...)
	httpClient := &http.Client{
		Transport:     khttp.NewCustomTransportWithParentTransport(c.net, middleware...),
		CheckRedirect: noRedirect,
	}
	adapter, err := msgraph.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, nil, nil, httpClient)
	if err != nil {
		return nil, fmt.Errorf("graph: request adapter: %w", err)
	}
	adapter.SetBaseUrl(strings.TrimSuffix(c.graphBase.String(), "/"))
	return msgraph.NewGraphServiceClient(adapter), nil
}

// noRedirect leaves redirects to the SDK's own redirect handler.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Mailbox is the address of the mailbox the client watches.
func (c *Client) Mailbox() string { return c.a.Mailbox }

func withDefaults(o Options, a config.Automation) Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = DefaultMaxRetries
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = DefaultMaxRetryWait
	}
	if o.TimeZone == "" {
		o.TimeZone = "UTC"
	}
	if o.Limits == nil {
		o.Limits = processLimits
	}
	return o
}

// validateAutomation checks what the client needs before any request.
func validateAutomation(a config.Automation, secret string) error {
	switch {
	case strings.TrimSpace(a.Mailbox) == "":
		return &diag.Diagnosis{Step: 4, Message: "No mailbox address is set.", Fix: "Enter the address of the mailbox users will invite."}
	case !validTenantID(a.TenantID):
		return &diag.Diagnosis{Step: 4, Message: fmt.Sprintf("The Directory (tenant) ID %q is not valid: it may hold only letters, digits, '.' and '-'.", cleanText(a.TenantID)),
			Fix: "Copy the Directory (tenant) ID, a GUID, from the app registration's Overview page."}
	case strings.TrimSpace(a.ClientID) == "":
		return &diag.Diagnosis{Step: 4, Message: "No Application (client) ID is set.", Fix: "Copy the Application (client) ID from the app registration's Overview page."}
	case secret == "":
		return &diag.Diagnosis{Step: 3, Message: "No client secret is available.", Fix: "Enter the client secret's Value, or set INVITESYNC_CLIENT_SECRET or INVITESYNC_CLIENT_SECRET_FILE."}
	}
	return nil
}

// validTenantID mirrors azidentity's local check: letters, digits, '.' and '-'.
func validTenantID(id string) bool {
	if id == "" {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// parseAuthority checks an authority host URL: https always, since the
// client secret goes there, with no user information, query or fragment;
// name labels errors.
func parseAuthority(raw, name string) (*url.URL, error) {
	u, err := weburl.Parse(raw)
	if err != nil || u.Scheme != "https" {
		return nil, fmt.Errorf("%s: %q is not usable: expected an https URL such as %s", name, weburl.Shown(raw), DefaultAuthorityHost)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// parseGraphURL checks a Graph base URL: https, or http to a loopback
// host, with no user information, query or fragment.
func parseGraphURL(raw, name string) (*url.URL, error) {
	u, err := weburl.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %q is not usable: expected an https URL such as %s", name, weburl.Shown(raw), DefaultGraphURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if u.Path == "" {
		u.Path = "/v1.0"
	}
	return u, nil
}

// graphScope is the client-credentials scope for a Graph host: the national
// clouds have their own resource; anything else (a simulator) is the public one.
func graphScope(host string) string {
	switch host {
	case "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn":
		return "https://" + host + "/.default"
	}
	return "https://graph.microsoft.com/.default"
}

// defaultTransport is http.DefaultTransport's configuration with bounded
// handshakes. Its nil RootCAs means the system roots (and SSL_CERT_FILE).
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 15 * time.Second
	t.MaxIdleConnsPerHost = MaxConcurrentRequests
	return t
}

// preferHeaders are sent on every Graph request, next and delta links included.
func (c *Client) preferHeaders() *abs.RequestHeaders {
	h := abs.NewRequestHeaders()
	h.Add("Prefer", fmt.Sprintf("odata.maxpagesize=%d", c.opts.PageSize))
	h.Add("Prefer", fmt.Sprintf("outlook.timezone=%q", c.opts.TimeZone))
	h.Add("Prefer", `IdType="ImmutableId"`)
	return h
}

// call runs one SDK call: it takes one of the app's in-flight slots, bounds
// the call by the timeout and turns the SDK's errors into this package's
// typed errors. When Graph refused the access token and signing in again
// failed (see renewHandler), the error is the sign-in's diagnosis.
func (c *Client) call(ctx context.Context, what string, fn func(context.Context) error) error {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.sem }()
	gen := c.cred.generation()
	err := c.bounded(ctx, what, fn)
	if err != nil && c.cred.generation() != gen {
		return c.renewed(err)
	}
	return err
}

// bounded runs fn under the call timeout and classifies its error. A panic
// inside the SDK (it has panicked on unexpected payloads) becomes an error.
func (c *Client) bounded(ctx context.Context, what string, fn func(context.Context) error) (err error) {
	cctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("Graph SDK panicked", "call", what, "panic", fmt.Sprint(r))
			err = fmt.Errorf("%s: %w: %v", what, ErrMalformed, r)
		}
	}()
	if err = fn(cctx); err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	err = c.classify(err, start, cctx.Err() != nil)
	c.log.Debug("Graph call failed", "call", what, "error", err.Error())
	return err
}
