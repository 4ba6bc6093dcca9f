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

	"invitesync/diag"
	"invitesync/internal/powershell"
)

// Diagnose turns an error from this package into a Diagnosis. Client.Diagnose
// says more, because it knows the mailbox, the secret's expiry and the token.
func Diagnose(err error) *diag.Diagnosis {
	return diagnose(err, facts{})
}

// Diagnose turns an error from one of the client's calls into a Diagnosis.
// For an access-denied answer it reads the roles of the (cached) access token
// to say whether the permission or the admin consent is missing.
func (c *Client) Diagnose(ctx context.Context, err error) *diag.Diagnosis {
	f := c.facts()
	var ge *GraphError
	if errors.As(err, &ge) && ge.Status == http.StatusForbidden && !blockedByPolicy(ge) {
		if tok, terr := c.accessToken(ctx); terr == nil {
			if roles, rerr := tokenRoles(tok); rerr == nil {
				f.roles, f.rolesKnown = roles, true
			}
		}
	}
	return diagnose(err, f)
}

// facts are what the client's settings tell a diagnosis.
func (c *Client) facts() facts {
	return facts{mailbox: c.a.Mailbox, tenantID: c.a.TenantID, clientID: c.a.ClientID,
		objectID: c.a.EnterpriseObjectID, name: c.a.Name, secretExpires: c.a.SecretExpires.String(),
		authorityHost: c.authority.Host, graphHost: c.graphBase.Host}
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

func diagnose(err error, f facts) *diag.Diagnosis {
	if err == nil {
		return nil
	}
	var (
		d   *diag.Diagnosis
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
		return &diag.Diagnosis{Code: te.Code,
			Message: "Microsoft Graph is throttling requests for this mailbox until " + te.Until.Format(time.DateTime) + ".",
			Fix:     "Nothing to do: invitesync waits and then carries on. If it happens often, look for other applications using this mailbox."}
	case errors.As(err, &re):
		return &diag.Diagnosis{Code: re.Code, Message: "The calendar's delta token has expired; invitesync starts a full sync round."}
	case errors.As(err, &ne):
		return diagnoseNetwork(ne, f)
	case errors.As(err, &to):
		return &diag.Diagnosis{Message: fmt.Sprintf("%s did not answer within %s.", to.Host, to.After),
			Fix: "Check the network connection and any proxy, then try again."}
	case errors.Is(err, ErrMalformed):
		return &diag.Diagnosis{Message: "Microsoft Graph sent an answer that cannot be read: " + cleanText(err.Error()),
			Fix: "Try again later; if it keeps happening, report it with the log."}
	case errors.Is(err, context.Canceled):
		return &diag.Diagnosis{Message: "Cancelled before an answer came."}
	}
	if typed, ok := classifyGraph(err, time.Now()); ok {
		return diagnose(typed, f)
	}
	return &diag.Diagnosis{Message: cleanText(err.Error())}
}

func diagnoseAuth(ae *AuthError, f facts) *diag.Diagnosis {
	d := &diag.Diagnosis{Code: ae.AADSTS()}
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

func diagnoseGraph(ge *GraphError, f facts) *diag.Diagnosis {
	mailbox := f.or(f.mailbox, "the mailbox")
	d := &diag.Diagnosis{Code: ge.Code}
	switch {
	case blockedByPolicy(ge):
		d.Step = 5
		d.Message = fmt.Sprintf("An Exchange Online access policy keeps the app out of %s.", mailbox)
		d.Fix = scopeFix(f)
	case ge.Status == http.StatusForbidden && f.rolesKnown && len(f.roles) == 0:
		// RBAC for Applications grants come without a roles claim, so no
		// roles may mean either cause (graph-notes §0).
		d.Step = 2
		d.Message = fmt.Sprintf("Access to %s is denied and the app's access token carries no application permissions. Either admin consent for Calendars.ReadWrite was not granted (step 2), or the app is limited with Exchange RBAC for Applications and its scope does not cover %s or is not applied yet: a new or changed role assignment can take up to 2 hours to reach Microsoft Graph (step 5).", mailbox, mailbox)
		d.Fix = "Without an Exchange scope: in the app registration, API permissions, click \"Grant admin consent\" until the green check mark shows next to Calendars.ReadWrite (type Application).\n" +
			"With RBAC for Applications: " + rbacFix(f)
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
		d.Message = fmt.Sprintf("Microsoft Graph finds no mailbox %s in this tenant. Graph wants the mailbox's user principal name (UPN) or object ID, which can differ from an alias or another address that mail reaches.", mailbox)
		d.Fix = upnFix(f)
	case ge.Status == http.StatusUnauthorized:
		d.Message = "Microsoft Graph refused the access token: " + ge.Message
		d.Fix = "Try again; if INVITESYNC_GRAPH_URL is set, check that it names the Graph service of the same cloud as INVITESYNC_AUTHORITY_HOST."
	default:
		d.Message = fmt.Sprintf("Microsoft Graph answered %d: %s", ge.Status, ge.Message)
	}
	return d
}

func diagnoseNetwork(ne *NetworkError, f facts) *diag.Diagnosis {
	what := "The server " + ne.Host
	switch {
	case f.authorityHost != "" && strings.EqualFold(ne.Host, f.authorityHost):
		what = "The Entra ID sign-in service " + ne.Host
	case f.graphHost != "" && strings.EqualFold(ne.Host, f.graphHost):
		what = "Microsoft Graph at " + ne.Host
	}
	d := &diag.Diagnosis{Message: what + " cannot be reached: " + ne.Reason() + "."}
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

// accessToken returns the client's access token for Graph, from the
// credential's cache when it has one. It is read, never logged or shown.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	var tok string
	err := c.bounded(ctx, "token", func(ctx context.Context) error {
		t, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}, EnableCAE: true})
		tok = t.Token
		return err
	})
	return tok, err
}

// tokenRoles decodes the roles claim of a JWT access token's payload. A
// token without the claim has no roles: not an error, since RBAC for
// Applications grants do not show in it.
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

// objectIDPlaceholder stands in the commands for an enterprise object ID the
// automation does not know. The client ID is never put in its place: Exchange
// wants the service principal's object ID there.
const objectIDPlaceholder = "<Object ID of the enterprise application>"

// scopeInput is the step-5 script's input for f's app and mailbox.
func scopeInput(f facts) powershell.Input {
	return powershell.Input{
		ClientID:           f.clientID,
		EnterpriseObjectID: f.or(f.objectID, objectIDPlaceholder),
		Mailbox:            f.mailbox,
		ScopeName:          "invitesync " + f.or(f.name, f.mailbox),
		PolicyGroup:        "<group address>",
	}
}

// objectIDNote says where the object ID the commands need comes from, when
// the automation does not hold it.
func objectIDNote(f facts) string {
	if f.objectID != "" {
		return ""
	}
	return "Replace " + objectIDPlaceholder + " with the Object ID shown under Microsoft Entra ID → Enterprise applications → the app (not its Application (client) ID), and enter it in step 4.\n"
}

// scopeFix says how to limit the app to the watched mailbox, with the
// Exchange Online commands filled in (quoted as step 5 quotes them).
func scopeFix(f facts) string {
	mailbox := f.or(f.mailbox, "the mailbox")
	general := fmt.Sprintf("Limit the app to %s in Exchange Online PowerShell: RBAC for Applications (a management scope for the mailbox and a role assignment of \"Application Calendars.ReadWrite\" to the enterprise application's object ID, then remove the Entra Calendars.ReadWrite permission), or an application access policy on a mail-enabled security group holding the mailbox. Step 5 of the set-up generates the script.", mailbox)
	in := scopeInput(f)
	in.Scope = powershell.ScopeRBAC
	rbac, err := powershell.ScopeCommands(in)
	if err != nil || f.mailbox == "" || f.clientID == "" {
		return general
	}
	in.Scope = powershell.ScopeAccessPolicy
	policy, err := powershell.ScopeCommands(in)
	if err != nil {
		return general
	}
	return fmt.Sprintf("Limit the app to %s with RBAC for Applications (Exchange Online PowerShell):\n%s%s"+
		"Or, the older way, an application access policy (replace <group address> with a mail-enabled security group holding the mailbox):\n%s",
		f.mailbox, objectIDNote(f), rbac, policy)
}

// rbacFix says how to make an RBAC for Applications scope cover the watched
// mailbox: the commands, keyed on the enterprise application's object ID,
// and the wait before Graph follows.
func rbacFix(f facts) string {
	in := scopeInput(f)
	in.Scope = powershell.ScopeRBAC
	rbac, err := powershell.ScopeCommands(in)
	if err != nil || f.mailbox == "" {
		return "in Exchange Online PowerShell, Test-ServicePrincipalAuthorization with the enterprise application's Object ID and the mailbox must say InScope True; if not, create the management scope and the role assignment that step 5 generates, then allow up to 2 hours."
	}
	return "in Exchange Online PowerShell, the last of these commands must say InScope True; if it does not, run the two before it. Then allow up to 2 hours before checking again.\n" +
		objectIDNote(f) + rbac
}

// upnFix says how to find the name Graph knows the mailbox by.
func upnFix(f facts) string {
	tenant := f.or(f.tenantID, "of the app registration")
	mailbox, err := powershell.Quote(f.mailbox)
	if err != nil || f.mailbox == "" {
		mailbox = "<address>"
	}
	return fmt.Sprintf("In Exchange Online PowerShell run: Get-Mailbox %s | fl UserPrincipalName,ExternalDirectoryObjectId\n"+
		"and enter its UserPrincipalName as the mailbox address (step 4). If Get-Mailbox finds nothing, check the address: it must be a mailbox of the tenant %s.",
		mailbox, tenant)
}
