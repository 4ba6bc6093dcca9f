package provision

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Directory roles, by the names the portal shows.
const (
	GlobalAdministrator           = "Global Administrator"
	PrivilegedRoleAdministrator   = "Privileged Role Administrator"
	ApplicationAdministrator      = "Application Administrator"
	CloudApplicationAdministrator = "Cloud Application Administrator"
	ApplicationDeveloper          = "Application Developer"
)

// roleNames maps the roles' template IDs (the same in every tenant, as a
// token's wids claim lists them) to their names.
var roleNames = map[string]string{
	"62e90394-69f5-4237-9190-012177145e10": GlobalAdministrator,
	"e8611ab8-c189-46e8-94e1-60213ab1f814": PrivilegedRoleAdministrator,
	"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": ApplicationAdministrator,
	"158c047a-c907-4556-b7ef-446551a6b5f7": CloudApplicationAdministrator,
	"cf1c38e5-3621-4004-a7cb-879624dced7c": ApplicationDeveloper,
}

// Who may do what (Microsoft Entra built-in roles; "Grant tenant-wide admin
// consent to an application", prerequisites): Application and Cloud
// Application Administrators create and manage app registrations and
// enterprise applications, and may consent to any permission except
// Microsoft Graph's app roles; only Global and Privileged Role
// Administrators may grant a Microsoft Graph application permission.
var (
	// AppRoles may create and change app registrations and service principals.
	AppRoles = []string{GlobalAdministrator, ApplicationAdministrator, CloudApplicationAdministrator}
	// ConsentRoles may grant admin consent for Calendars.ReadWrite (application).
	ConsentRoles = []string{GlobalAdministrator, PrivilegedRoleAdministrator}
)

// Roles returns the directory roles the administrator's token lists, and
// whether it listed any at all (a token without the wids claim says nothing).
func (a *Admin) Roles() (roles []string, known bool) { return a.roles, a.rolesSet }

// Holds reports whether the administrator holds one of roles; true when the
// token does not say, or lists a role unknown here (a custom role may
// allow it): then Graph decides.
func (a *Admin) Holds(roles []string) bool {
	return !a.rolesSet || a.otherRoles || slices.ContainsFunc(roles, func(r string) bool { return slices.Contains(a.roles, r) })
}

// RoleError says that the signed-in user lacks the directory role a step
// needs: the step, the roles that would do, and what the user holds.
type RoleError struct {
	User  string
	Step  string   // e.g. "grant admin consent for Calendars.ReadWrite"
	Need  []string // any one of these roles
	Holds []string // the user's roles, when the token said
	Known bool     // Holds is what the token said (else Graph refused)
}

// Error says it in words.
func (e *RoleError) Error() string {
	who := e.User
	if who == "" {
		who = "the signed-in account"
	}
	var holds string
	switch {
	case !e.Known:
		holds = "; Microsoft Graph refused it (403 Authorization_RequestDenied: insufficient privileges)"
	case len(e.Holds) > 0:
		holds = ", and " + who + " holds only " + orList(e.Holds)
	default:
		holds = ", and " + who + " holds none of them"
	}
	return fmt.Sprintf("%s may not %s: that needs the directory role %s%s. A role that is only eligible in Privileged Identity Management must be activated first.",
		who, e.Step, orList(e.Need), holds)
}

func orList(v []string) string {
	switch len(v) {
	case 0:
		return ""
	case 1:
		return v[0]
	}
	return strings.Join(v[:len(v)-1], ", ") + " or " + v[len(v)-1]
}

// manualPath is the way without an administrator sign-in: steps 1–4 by hand.
const manualPath = "Or do steps 1–4 by hand in the Azure portal, as `invitesync setup` (the wizard) walks them, and save with setup --no-input (without --create-app)."

// Stopped is the error of a creation that stopped: why, what this run
// created (Result.Created) and how to remove it, and, for a missing role,
// who could do it and the manual path.
func Stopped(created []string, appName string, why error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "nothing was saved: %v", why)
	if len(created) == 0 {
		b.WriteString("\nNothing was created in the tenant.")
	} else {
		b.WriteString("\nCreated in the tenant by this run, and still there:")
		for _, c := range created {
			b.WriteString("\n  - " + c)
		}
		fmt.Fprintf(&b, "\nRun it again to reuse it once the cause is fixed, or remove it with:\n  invitesync setup --delete-app --app-name %q\n(or in the Azure portal: Microsoft Entra ID → App registrations → %s → Delete).", appName, appName)
	}
	var re *RoleError
	if errors.As(why, &re) {
		b.WriteString("\nSign in as someone who holds that role, or ask them to do this. " + manualPath)
	}
	return errors.New(b.String())
}
