package livecheck

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/idm"
	"invitesync/idm/idmtest"
)

const mailbox = "visitors@contoso.com"

func checkInput(g *graphtest.Server, im *idmtest.Server) Input {
	return Input{
		Automation: config.Automation{
			Name: "Reception", Environment: idmtest.DefaultEnvironment.Name, Enabled: true,
			Interval: time.Minute, Protocol: config.ProtocolOutlook, Mailbox: mailbox,
			TimeZone: "Europe/Madrid", TenantID: g.TenantID, ClientID: g.ClientID,
		},
		IDMURL: im.URL(), ClientSecret: g.Secret, IDMKey: im.APIKey(),
		Graph:         graph.Options{AuthorityHost: g.AuthorityHost(), GraphURL: g.GraphURL(), HTTPClient: g.Client()},
		IDMHTTPClient: im.Client(),
	}
}

func TestCheckAutomation(t *testing.T) {
	g := graphtest.NewServer(graphtest.WithMailboxes(mailbox))
	defer g.Close()
	im := idmtest.NewTLSServer()
	defer im.Close()
	ctx := context.Background()

	ids := func(rs []diag.Result) string {
		var s []string
		for _, r := range rs {
			s = append(s, r.ID)
		}
		return strings.Join(s, ",")
	}
	steps := func(probe bool) string {
		var s []string
		for _, c := range Steps(probe) {
			s = append(s, c.ID)
		}
		return strings.Join(s, ",")
	}
	byID := func(rs []diag.Result, id string) diag.Result {
		for _, r := range rs {
			if r.ID == id {
				return r
			}
		}
		t.Fatalf("no %s result in %s", id, ids(rs))
		return diag.Result{}
	}

	t.Run("all pass", func(t *testing.T) {
		var reported []diag.Result
		rs := Run(ctx, checkInput(g, im), func(r diag.Result) { reported = append(reported, r) })
		if !diag.Passed(rs) || ids(rs) != steps(false) || ids(reported) != ids(rs) {
			t.Fatalf("results %+v (reported %s), want every step of %s passed", rs, ids(reported), steps(false))
		}
	})
	t.Run("with a probe", func(t *testing.T) {
		g.AddMailbox("ceo@contoso.com")
		g.RestrictAccess(mailbox)
		defer g.RestrictAccess()
		in := checkInput(g, im)
		in.ProbeMailbox = "ceo@contoso.com"
		rs := Run(ctx, in, nil)
		if ids(rs) != steps(true) || !diag.Passed(rs) {
			t.Fatalf("results %+v, want %s passed", rs, steps(true))
		}
	})
	t.Run("wrong IDM key", func(t *testing.T) {
		in := checkInput(g, im)
		in.IDMKey = "not-the-key-0123456789"
		rs := Run(ctx, in, nil)
		h, env := byID(rs, IDMHealth), byID(rs, IDMEnvironment)
		if diag.Passed(rs) || h.OK || h.Step != 6 || h.Code != "unauthorized" || !strings.Contains(h.Message, "rejected the API key") || h.Fix == "" {
			t.Fatalf("idm-health = %+v", h)
		}
		if env.OK || !strings.HasPrefix(env.Message, "Not run") {
			t.Fatalf("idm-environment = %+v, want not run", env)
		}
		if !byID(rs, graph.CheckToken).OK {
			t.Errorf("the Graph checks failed too: %+v", rs)
		}
		if strings.Contains(h.Message+h.Fix, in.IDMKey) {
			t.Errorf("the key leaked into %+v", h)
		}
	})
	t.Run("unknown environment", func(t *testing.T) {
		in := checkInput(g, im)
		in.Automation.Environment = "Staging"
		rs := Run(ctx, in, nil)
		env := byID(rs, IDMEnvironment)
		if env.OK || env.Step != 6 || !strings.Contains(env.Message, `"Production"`) {
			t.Fatalf("idm-environment = %+v, want step 6 naming the environments IDM has", env)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		in := checkInput(g, im)
		in.ClientSecret = g.SecretID
		rs := Run(ctx, in, nil)
		tok := byID(rs, graph.CheckToken)
		if tok.OK || tok.Step != 3 || tok.Code != "AADSTS7000215" {
			t.Fatalf("token = %+v, want AADSTS7000215 at step 3", tok)
		}
		if !byID(rs, IDMHealth).OK {
			t.Errorf("IDM checks should still run and pass: %+v", rs)
		}
	})
	t.Run("IDM unreachable", func(t *testing.T) {
		down := idmtest.NewTLSServer()
		in := checkInput(g, down)
		down.Close()
		rs := Run(ctx, in, nil)
		h := byID(rs, IDMHealth)
		if h.OK || h.Step != 6 || !strings.Contains(h.Message, "could not be reached") {
			t.Fatalf("idm-health = %+v", h)
		}
	})
}

func TestEnvironmentFoundWarnsOfAnotherTimeZone(t *testing.T) {
	a := config.Automation{Environment: "Production", TimeZone: "Europe/Madrid"}
	for _, tc := range []struct {
		zone string
		warn bool
	}{
		{"", false},
		{"Europe/Madrid", false},
		{"Romance Standard Time", false}, // Windows' name for Paris and Madrid alike
		{"Europe/Paris", false},          // another name, the same offsets
		{"Europe/London", true},
		{"America/New_York", true},
		{"not a zone", true},
	} {
		r := environmentFound(a, idm.Environment{ID: "env-1", Name: "Production", TimeZone: tc.zone}, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
		if !r.OK || r.Warning != tc.warn {
			t.Errorf("IDM zone %q: ok=%v warning=%v, want ok and warning=%v", tc.zone, r.OK, r.Warning, tc.warn)
		}
		if tc.warn && (r.Step != 6 || !strings.Contains(r.Fix, tc.zone)) {
			t.Errorf("IDM zone %q: %+v, want step 6 and a fix naming the zone", tc.zone, r.Diagnosis)
		}
	}
}

func TestExplainSecrets(t *testing.T) {
	noSecret := errors.New("no client secret stored for Reception")
	noKey := errors.New("no IDM API key stored")
	tokenFailed := diag.Result{ID: graph.CheckToken, Diagnosis: diag.Diagnosis{Step: 3, Message: "No client secret is available."}}
	healthFailed := diag.Result{ID: IDMHealth, Diagnosis: diag.Diagnosis{Step: 6, Message: "The IDM API key is missing or malformed."}}
	for _, tc := range []struct {
		name              string
		r                 diag.Result
		secretErr, keyErr error
		want              string // the message after
	}{
		{"token without its secret", tokenFailed, noSecret, nil, noSecret.Error()},
		{"token failed for another reason", tokenFailed, nil, noKey, tokenFailed.Message},
		{"token passed", diag.Result{ID: graph.CheckToken, OK: true, Diagnosis: diag.Diagnosis{Message: "Signed in."}}, noSecret, nil, "Signed in."},
		{"IDM without its key", healthFailed, nil, noKey, noKey.Error()},
		{"IDM failed for another reason", healthFailed, noSecret, nil, healthFailed.Message},
		{"another check", diag.Result{ID: IDMEnvironment, Diagnosis: diag.Diagnosis{Message: "Not run."}}, noSecret, noKey, "Not run."},
	} {
		got := ExplainSecrets(tc.r, tc.secretErr, tc.keyErr)
		if got.Message != tc.want || got.ID != tc.r.ID || got.OK != tc.r.OK {
			t.Errorf("%s: %+v, want the message %q", tc.name, got, tc.want)
		}
		if got.Message != tc.r.Message && (got.Code != "secret-unavailable" || got.Fix == "" || got.Step != tc.r.Step) {
			t.Errorf("%s: explained as %+v, want code secret-unavailable, the step kept and a fix", tc.name, got.Diagnosis)
		}
	}
}

func TestAttention(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	date := func(days int) config.Date {
		d, err := config.ParseDate(now.AddDate(0, 0, days).Format("2006-01-02"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a := config.Automation{Name: "Reception", Environment: "Production", TimeZone: "Europe/Madrid"}
	otherZone := environmentFound(a, idm.Environment{ID: "env-1", Name: "Production", TimeZone: "Europe/London"}, now)
	sameZone := environmentFound(a, idm.Environment{ID: "env-1", Name: "Production", TimeZone: "Europe/Madrid"}, now)
	for _, tc := range []struct {
		name    string
		days    int // the secret expires in; 0: no date recorded
		results []diag.Result
		want    []string // what each reason contains, in order
	}{
		{"all well", 60, []diag.Result{sameZone}, nil},
		{"no expiry date", 0, []diag.Result{sameZone}, nil},
		{"expires in 30 days", 30, []diag.Result{sameZone}, nil},
		{"expires in 14 days", 14, []diag.Result{sameZone}, []string{"Reception: the client secret expires in 14 days"}},
		{"expires in 3 days", 3, []diag.Result{sameZone}, []string{"Reception: the client secret expires in 3 days"}},
		{"a warning", 60, []diag.Result{otherZone}, []string{"Reception: " + IDMEnvironment + ": "}},
		{"both", 7, []diag.Result{otherZone}, []string{"Reception: " + IDMEnvironment + ": ", "Reception: the client secret expires in 7 days"}},
	} {
		au := a
		if tc.days != 0 {
			au.SecretExpires = date(tc.days)
		}
		got := Attention(au, tc.results, now)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %q, want %d reasons", tc.name, got, len(tc.want))
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], tc.want[i]) {
				t.Errorf("%s: reason %d = %q, want it to start with %q", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}
