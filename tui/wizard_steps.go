package tui

import (
	"fmt"
	"strings"

	"invitesync/config"
)

//go:generate go run ./internal/genzones

// stepCount is the number of steps of the set-up procedure.
const stepCount = 6

// link is an address a step sends the person to.
type link struct {
	label, url string
}

// Portal addresses. The app-specific ones take the Application (client) ID.
const (
	urlAppRegistrations = "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade"
	urlEntraAppRegs     = "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade"
	urlEnterpriseApps   = "https://portal.azure.com/#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview"
	urlAppBlade         = "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/%s/appId/%s/isMSAApp~/false"
	urlEXOModule        = "https://learn.microsoft.com/powershell/exchange/connect-to-exchange-online-powershell"
)

// stepTitles name the steps as the vendor's guide does.
var stepTitles = [stepCount + 1]string{
	1: "Register the app in Azure",
	2: "Give it permission to the calendar",
	3: "Create a client secret",
	4: "Copy the IDs and the mailbox",
	5: "Connect the app to the mailbox in Exchange Online",
	6: "Create the automation",
}

// appPage returns the app registration's page named blade when the client
// ID is known (editing, or after step 4), else the list of registrations.
func appPage(d *Draft, blade string) string {
	if validGUID(d.ClientID) {
		return fmt.Sprintf(urlAppBlade, blade, d.ClientID)
	}
	return urlAppRegistrations
}

// stepLinks are the pages step n works in, the one to open first first.
func stepLinks(n int, d *Draft) []link {
	switch n {
	case 1:
		return []link{{"Azure portal, App registrations", urlAppRegistrations}, {"or the Microsoft Entra admin center", urlEntraAppRegs}}
	case 2:
		return []link{{"The app's API permissions", appPage(d, "CallAnAPI")}}
	case 3:
		return []link{{"The app's Certificates & secrets", appPage(d, "Credentials")}}
	case 4:
		return []link{{"The app's Overview", appPage(d, "Overview")}, {"Enterprise applications", urlEnterpriseApps}}
	case 5:
		return []link{{"Connecting to Exchange Online PowerShell", urlEXOModule}}
	}
	return nil
}

// stepText is the plain-words instruction of step n: what to do, where, and
// what to copy back.
func stepText(n int, d *Draft) string {
	app := d.AppName
	if app == "" {
		app = "your app"
	}
	var s []string
	switch n {
	case 1:
		s = []string{
			"In the Azure portal open App registrations and choose New registration.",
			"• Name: one that says what and where, e.g. Salto-IDM-Calendar-Integration-Production.",
			"  One registration per environment (Staging, Production…) keeps debugging simple.",
			"• Supported account types: this organizational directory only (single tenant).",
			"• Redirect URI: leave it empty. Then choose Register.",
			"Copy back: the name you gave it.",
		}
	case 2:
		s = []string{
			"In " + app + ", open API permissions:",
			"• Add a permission → Microsoft Graph → Application permissions → Calendars.ReadWrite.",
			"• Add a permission → Microsoft Graph → Delegated permissions → User.Read.",
			"• Choose Grant admin consent. The Status column must show a green check mark",
			"  (Granted) for both; without consent every calendar request is refused.",
		}
	case 3:
		s = []string{
			"In " + app + ", open Certificates & secrets → Client secrets → New client secret.",
			"Give it a description (e.g. invitesync) and an expiry, then choose Add.",
			"Copy the Value column now: it is shown only once. Not the Secret ID, which is",
			"a GUID and is refused at sign-in.",
			"The secret goes to the system keyring, never to a file.",
		}
	case 4:
		s = []string{
			"From the app's Overview: the Directory (tenant) ID and the Application (client) ID.",
			"From Microsoft Entra ID → Enterprise applications → " + app + ": the Object ID.",
			"  It differs from the Object ID on the app registration's page: take this one.",
			"And the mailbox users will add to their invitations. Dedicate it to this",
			"integration: invitesync reads its calendar and answers the meetings in it.",
		}
	case 5:
		s = []string{
			"Run these commands in PowerShell as an Exchange administrator. They register",
			"the app in Exchange and can limit it to this one mailbox (RBAC is recommended;",
			"up to 2 hours to apply). FullAccess is not needed by Graph: off unless asked.",
		}
	case 6:
		s = []string{
			"The automation ties the mailbox to a Salto IDM environment. invitesync polls",
			"the calendar at the interval you choose and turns each invitation into visits",
			"in the environment's time zone.",
			"Save tests the whole chain first and says saved only when everything works.",
		}
	}
	return strings.Join(s, "\n")
}

// validGUID reports whether s is a usable GUID.
func validGUID(s string) bool { return config.ValidateGUID(s) == nil }
