package provision

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// MaxSecretMonths is the longest client secret lifetime offered: the
// portal's own longest choice (24 months), as Microsoft recommends secrets
// be rotated at least that often.
const MaxSecretMonths = 24

// Secret is a client secret just added: its value exists only here.
type Secret struct {
	KeyID string
	Value string
	End   time.Time
}

// AddSecret adds a client secret named label to the app registration
// objectID, valid until end. Its value is in the result and nowhere else.
func (a *Admin) AddSecret(ctx context.Context, objectID, label string, end time.Time) (Secret, error) {
	var out struct {
		KeyID       string `json:"keyId"`
		SecretText  string `json:"secretText"`
		EndDateTime string `json:"endDateTime"`
	}
	err := a.call(ctx, "add a client secret", http.MethodPost, "/applications/"+objectID+"/addPassword",
		map[string]any{"passwordCredential": map[string]string{
			"displayName": label,
			"endDateTime": end.UTC().Format(time.RFC3339),
		}}, &out)
	if err != nil {
		return Secret{}, a.roleOr(err, "add a client secret to the app registration", AppRoles)
	}
	s := Secret{KeyID: out.KeyID, Value: out.SecretText, End: end.UTC()}
	if t, err := time.Parse(time.RFC3339Nano, out.EndDateTime); err == nil {
		s.End = t.UTC()
	}
	if s.Value == "" || s.KeyID == "" {
		return s, fmt.Errorf("could not add a client secret: Microsoft Graph's answer carries no secret")
	}
	return s, nil
}

// RemoveSecret removes the client secret keyID from the app registration objectID.
func (a *Admin) RemoveSecret(ctx context.Context, objectID, keyID string) error {
	err := a.call(ctx, "remove the client secret "+keyID, http.MethodPost, "/applications/"+objectID+"/removePassword",
		map[string]string{"keyId": keyID}, nil)
	return a.roleOr(err, "remove a client secret from the app registration", AppRoles)
}

// SecretOf returns the app's client secret whose value is value, found by
// its hint (the first three characters Entra keeps of every secret); ok is
// false unless exactly one secret other than except has that hint.
func (app *App) SecretOf(value, except string) (c Credential, ok bool) {
	if len(value) < 3 {
		return Credential{}, false
	}
	n := 0
	for _, s := range app.Secrets {
		if s.Hint == value[:3] && !strings.EqualFold(s.KeyID, except) {
			c, n = s, n+1
		}
	}
	return c, n == 1
}

// Delete removes the app registration and its enterprise application, the
// enterprise application first (its admin consent goes with it), and
// returns what it removed, in words.
func (a *Admin) Delete(ctx context.Context, app *App) ([]string, error) {
	var done []string
	if app.ServicePrincipalID != "" {
		if err := a.call(ctx, "delete the enterprise application", http.MethodDelete, "/servicePrincipals/"+app.ServicePrincipalID, nil, nil); err != nil {
			return done, a.roleOr(err, "delete an enterprise application", AppRoles)
		}
		done = append(done, "Enterprise application "+app.ServicePrincipalID+" deleted, with its admin consent")
	}
	if err := a.call(ctx, "delete the app registration", http.MethodDelete, "/applications/"+app.ObjectID, nil, nil); err != nil {
		return done, a.roleOr(err, "delete an app registration", AppRoles)
	}
	done = append(done, fmt.Sprintf("App registration %q (client ID %s) deleted: Entra keeps it 30 days under App registrations → Deleted applications, where it can be restored", app.DisplayName, app.AppID))
	return done, nil
}
