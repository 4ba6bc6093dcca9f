package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Diagnose turns an error from this package into a Diagnosis. Client.Diagnose
// says more, because it knows the mailbox, the secret's expiry and the token.
func Diagnose(err error) *Diagnosis {
	return diagnose(err, facts{})
}

// Diagnose turns an error from one of the client's calls into a Diagnosis.
// For an access-denied answer it reads the roles of the (cached) access token
// to say whether the permission or the admin consent is missing.
func (c *Client) Diagnose(ctx context.Context, err error) *Diagnosis {
	f := facts{mailbox: c.a.Mailbox, tenantID: c.a.TenantID, clientID: c.a.ClientID,
		secretExpires: c.a.SecretExpires.String(), authorityHost: c.authority.Host, graphHost: c.graphBase.Host}
	var ge *GraphError
	if errors.As(err, &ge) && ge.Status == http.StatusForbidden && !blockedByPolicy(ge) {
		if roles, rerr := c.roles(ctx); rerr == nil {
			f.roles, f.rolesKnown = roles, true
		}
	}
	return diagnose(err, f)
}

// facts are what the client knows that makes a diagnosis precise.
type facts struct {
	mailbox, tenantID, clientID string
	objectID                    string // the enterprise application's object id
	name                        string // the automation's name
	secretExpires               string // YYYY-MM-DD or ""
	authorityHost, graphHost    string
	roles                       []string
	rolesKnown                  bool
}

func (f facts) or(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

func diagnose(err error, f facts) *Diagnosis {
	if err == nil {
		return nil
	}
	var (
		d   *Diagnosis
		ae  *AuthError
		ge  *GraphError
		te  *ThrottledError
		re  *ResyncError
		ne  *NetworkError
		to  *TimeoutError
		afe *azidentity.AuthenticationFailedError
	)
	switch {
	case errors.As(err, &d):
		out := *d
		return &out
	case errors.As(err, &ae):
		return diagnoseAuth(ae, f)
	case errors.As(err, &afe) && afe.RawResponse != nil:
		return diagnoseAuth(authErrorFrom(afe.RawResponse), f)
	case errors.As(err, &ge):
		return diagnoseGraph(ge, f)
	case errors.As(err, &te):
		return &Diagnosis{Code: te.Code,
			Message: "Microsoft Graph is throttling requests for this mailbox until " + te.Until.Format(time.DateTime) + ".",
			Fix:     "Nothing to do: invitesync waits and then carries on. If it happens often, look for other applications using this mailbox."}
	case errors.As(err, &re):
		return &Diagnosis{Code: re.Code, Message: "The calendar's delta token has expired; invitesync starts a full sync round."}
	case errors.As(err, &ne):
		return diagnoseNetwork(ne, f)
	case errors.As(err, &to):
		return &Diagnosis{Message: fmt.Sprintf("%s did not answer within %s.", to.Host, to.After),
			Fix: "Check the network connection and any proxy, then try again."}
	case errors.Is(err, ErrMalformed):
		return &Diagnosis{Message: "Microsoft Graph sent an answer that cannot be read: " + cleanText(err.Error()),
			Fix: "Try again later; if it keeps happening, report it with the log."}
	case errors.Is(err, context.Canceled):
		return &Diagnosis{Message: "Cancelled before an answer came."}
	}
	if typed, ok := classifyGraph(err, time.Now()); ok {
		return diagnose(typed, f)
	}
	return &Diagnosis{Message: cleanText(err.Error())}
}

func diagnoseAuth(ae *AuthError, f facts) *Diagnosis {
	d := &Diagnosis{Code: ae.AADSTS()}
	switch ae.Code {
	case 7000215:
		d.Step = 3
		d.Message = "Entra ID rejected the client secret: it is not a valid secret of this application."
		d.Fix = "Paste the secret's Value, not its Secret ID: Certificates & secrets shows both, and the Value only once, right after the secret is created. If the Value is lost, create a new client secret."
	case 7000222:
		d.Step = 3
		d.Message = "The client secret has expired."
		if f.secretExpires != "" {
			d.Message = "The client secret has expired (its expiry date is set to " + f.secretExpires + ")."
		}
		d.Fix = "Create a new client secret under Certificates & secrets, then enter its Value and its new expiry date."
	case 700016:
		d.Step = 4
		d.Message = fmt.Sprintf("No application with the Application (client) ID %s exists in the tenant %s.",
			f.or(f.clientID, "you entered"), f.or(f.tenantID, "you entered"))
		d.Fix = "Copy the Application (client) ID from the Overview of the app registration created in step 1, and check that the Directory (tenant) ID is the tenant where that app is registered."
	case 90002:
		d.Step = 4
		d.Message = fmt.Sprintf("The tenant %s was not found", f.or(f.tenantID, "you entered"))
		if ae.Endpoint == "metadata" {
			d.Message += " (Entra ID has no sign-in metadata for it)"
		}
		d.Message += "."
		d.Fix = "Copy the Directory (tenant) ID from the Overview page of the app registration."
	case 7000218, 90014:
		d.Step = 3
		d.Message = "Entra ID received no client secret."
		d.Fix = "Enter the client secret's Value."
	default:
		d.Message = "Entra ID refused the sign-in: " + ae.Description
		d.Fix = "Check the Directory (tenant) ID, the Application (client) ID and the client secret (steps 3 and 4)."
	}
	return d
}

// blockedByPolicy tells an Exchange access policy's refusal from a missing
// permission: both are 403 ErrorAccessDenied.
func blockedByPolicy(ge *GraphError) bool {
	return ge.Status == http.StatusForbidden &&
		(strings.Contains(ge.Message, "[RAOP]") || strings.Contains(ge.Message, "Access to OData is disabled"))
}

func diagnoseGraph(ge *GraphError, f facts) *Diagnosis {
	mailbox := f.or(f.mailbox, "the mailbox")
	d := &Diagnosis{Code: ge.Code}
	switch {
	case blockedByPolicy(ge):
		d.Step = 5
		d.Message = fmt.Sprintf("An Exchange Online access policy keeps the app out of %s.", mailbox)
		d.Fix = scopeFix(f)
	case ge.Status == http.StatusForbidden && f.rolesKnown && len(f.roles) == 0:
		d.Step = 2
		d.Message = "The app's access token carries no application permissions: admin consent has not been granted."
		d.Fix = "In the app registration, API permissions: click \"Grant admin consent\"; the green check mark must show next to Calendars.ReadWrite (type Application)."
	case ge.Status == http.StatusForbidden && f.rolesKnown && !slices.Contains(f.roles, calendarRole):
		d.Step = 2
		d.Message = fmt.Sprintf("The app holds the application permissions %s but not Calendars.ReadWrite.", strings.Join(f.roles, ", "))
		d.Fix = "In the app registration, API permissions: add Microsoft Graph, Application permissions, Calendars.ReadWrite, then click \"Grant admin consent\"."
	case ge.Status == http.StatusForbidden && f.rolesKnown:
		d.Step = 5
		d.Message = fmt.Sprintf("Access to %s is denied although the app holds Calendars.ReadWrite: an Exchange Online policy probably leaves the mailbox out.", mailbox)
		d.Fix = scopeFix(f)
	case ge.Status == http.StatusForbidden:
		d.Step = 2
		d.Message = "Access is denied: the app lacks the Calendars.ReadWrite application permission, or its admin consent."
		d.Fix = "In the app registration, API permissions: Microsoft Graph, Application permissions, Calendars.ReadWrite, then \"Grant admin consent\" until the green check mark shows."
	case ge.Status == http.StatusNotFound && ge.Code == "MailboxNotEnabledForRESTAPI":
		d.Step = 4
		d.Message = fmt.Sprintf("%s exists but has no Exchange Online mailbox (unlicensed, on-premises, or not yet provisioned).", mailbox)
		d.Fix = "Use a mailbox hosted in Exchange Online: give the user a license, or create a shared mailbox for the integration."
	case ge.Status == http.StatusNotFound && (ge.Code == "ErrorInvalidUser" || ge.Code == "ResourceNotFound" || ge.Code == "Request_ResourceNotFound"):
		d.Step = 4
		d.Message = fmt.Sprintf("There is no mailbox %s in this tenant.", mailbox)
		d.Fix = "Check the mailbox address; it must belong to the tenant " + f.or(f.tenantID, "of the app registration") + "."
	case ge.Status == http.StatusUnauthorized:
		d.Message = "Microsoft Graph refused the access token: " + ge.Message
		d.Fix = "Try again; if INVITESYNC_GRAPH_URL is set, check that it names the Graph service of the same cloud as INVITESYNC_AUTHORITY_HOST."
	default:
		d.Message = fmt.Sprintf("Microsoft Graph answered %d: %s", ge.Status, ge.Message)
	}
	return d
}

func diagnoseNetwork(ne *NetworkError, f facts) *Diagnosis {
	what := "The server " + ne.Host
	switch {
	case f.authorityHost != "" && strings.EqualFold(ne.Host, f.authorityHost):
		what = "The Entra ID sign-in service " + ne.Host
	case f.graphHost != "" && strings.EqualFold(ne.Host, f.graphHost):
		what = "Microsoft Graph at " + ne.Host
	}
	d := &Diagnosis{Message: what + " cannot be reached: " + ne.Reason() + "."}
	switch {
	case ne.UnknownAuthority():
		d.Fix = "If this network inspects TLS or uses a private certificate authority, set SSL_CERT_FILE to a PEM file holding that CA's certificate (and the usual public CAs), then start invitesync again."
	case ne.DNS():
		d.Fix = "Check the machine's DNS settings and network connection; if INVITESYNC_AUTHORITY_HOST or INVITESYNC_GRAPH_URL is set, check the host name in it."
	default:
		d.Fix = "Check the network connection, the firewall and any proxy (HTTPS_PROXY)."
	}
	return d
}

// calendarRole is the application permission invitesync needs.
const calendarRole = "Calendars.ReadWrite"

// roles returns the application roles in the client's access token. The
// token comes from the credential's cache when it has one; it is read here
// and never logged or shown.
func (c *Client) roles(ctx context.Context) ([]string, error) {
	var tok string
	err := c.bounded(ctx, "token", func(ctx context.Context) error {
		t, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}, EnableCAE: true})
		tok = t.Token
		return err
	})
	if err != nil {
		return nil, err
	}
	return tokenRoles(tok)
}

// tokenRoles decodes the roles claim of a JWT access token's payload.
func tokenRoles(token string) ([]string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("the access token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("the access token's payload is not base64url")
	}
	var claims struct {
		Roles []string `json:"roles"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, errors.New("the access token's payload is not JSON")
	}
	return claims.Roles, nil
}
