package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/graph"
)

func TestOptionsFromEnv(t *testing.T) {
	t.Setenv(graph.EnvAuthorityHost, "https://login.microsoftonline.us/")
	t.Setenv(graph.EnvGraphURL, "https://graph.microsoft.us/v1.0")
	o, err := graph.OptionsFromEnv()
	if err != nil || o.AuthorityHost != "https://login.microsoftonline.us/" || o.GraphURL != "https://graph.microsoft.us/v1.0" {
		t.Fatalf("OptionsFromEnv = %+v, %v", o, err)
	}

	for name, bad := range map[string][2]string{
		graph.EnvAuthorityHost: {"http://login.example/", ""},
		graph.EnvGraphURL:      {"", "http://graph.example/v1.0"},
	} {
		t.Setenv(graph.EnvAuthorityHost, bad[0])
		t.Setenv(graph.EnvGraphURL, bad[1])
		if _, err := graph.OptionsFromEnv(); err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "https") {
			t.Errorf("a bad %s gave %v, want an error naming it", name, err)
		}
	}
	for name, bad := range map[string][2]string{
		graph.EnvAuthorityHost: {"https://user:hunter2@login.example/?key=s3cret", ""},
		graph.EnvGraphURL:      {"", "https://user:hunter2@graph.example/v1.0#s3cret"},
	} {
		t.Setenv(graph.EnvAuthorityHost, bad[0])
		t.Setenv(graph.EnvGraphURL, bad[1])
		_, err := graph.OptionsFromEnv()
		if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("a %s with user information, a query or a fragment gave %v, want an error that shows none of them", name, err)
		}
	}
	t.Setenv(graph.EnvAuthorityHost, "")
	t.Setenv(graph.EnvGraphURL, "")
	if o, err := graph.OptionsFromEnv(); err != nil || o.AuthorityHost != "" || o.GraphURL != "" {
		t.Errorf("unset variables gave %+v, %v", o, err)
	}
}

func TestNewRefusesUnusableSettings(t *testing.T) {
	good := config.Automation{Mailbox: watched, TenantID: "462d8eeb-a62a-4649-bb87-963362d4d912", ClientID: "e00c0029-42bd-4586-9f42-f0161fa8ec40"}
	tests := []struct {
		name   string
		change func(*config.Automation, *graph.Options, *string)
		step   int
		want   string
	}{
		{"no mailbox", func(a *config.Automation, _ *graph.Options, _ *string) { a.Mailbox = "" }, 4, "mailbox"},
		{"bad tenant", func(a *config.Automation, _ *graph.Options, _ *string) { a.TenantID = "a/b" }, 4, "tenant"},
		{"no client id", func(a *config.Automation, _ *graph.Options, _ *string) { a.ClientID = " " }, 4, "client"},
		{"no secret", func(_ *config.Automation, _ *graph.Options, s *string) { *s = "" }, 3, "secret"},
		{"http authority", func(_ *config.Automation, o *graph.Options, _ *string) { o.AuthorityHost = "http://127.0.0.1:1/" }, 0, "AuthorityHost"},
		{"http Graph elsewhere", func(_ *config.Automation, o *graph.Options, _ *string) { o.GraphURL = "http://graph.example/v1.0" }, 0, "GraphURL"},
		{"authority with a password", func(_ *config.Automation, o *graph.Options, _ *string) {
			o.AuthorityHost = "https://user:pw@login.example/"
		}, 0, "AuthorityHost"},
		{"Graph with a fragment", func(_ *config.Automation, o *graph.Options, _ *string) { o.GraphURL = "https://graph.example/v1.0#x" }, 0, "GraphURL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, o, secret := good, graph.Options{}, "s3cr3t-value"
			tc.change(&a, &o, &secret)
			_, err := graph.New(a, secret, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error about %s", err, tc.want)
			}
			var d *diag.Diagnosis
			if tc.step != 0 && (!errors.As(err, &d) || d.Step != tc.step) {
				t.Errorf("New = %#v, want a step-%d diagnosis", err, tc.step)
			}
		})
	}
	for _, u := range []string{"http://127.0.0.1:8080/v1.0", "http://127.0.0.2:8080/v1.0", "http://[::1]:8080/v1.0", "http://LocalHost:8080/v1.0"} {
		if _, err := graph.New(good, "s3cr3t-value", graph.Options{GraphURL: u, AuthorityHost: "https://127.0.0.1:8443/"}); err != nil {
			t.Errorf("plain http to a loopback Graph (%s) is allowed, got %v", u, err)
		}
	}
}

// TestSSLCertFileIsTrustedByBothTransports runs Check in a child process
// with the default HTTP client and the simulator's CA in SSL_CERT_FILE: the
// token request (azcore) and the Graph requests (kiota) must both trust it.
func TestSSLCertFileIsTrustedByBothTransports(t *testing.T) {
	if os.Getenv("GRAPHTEST_CHILD") == "1" {
		checkFromEnv()
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("SSL_CERT_FILE is read by Go's system roots on Linux")
	}
	s := newSim(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := s.WriteCACert(caFile); err != nil {
		t.Fatal(err)
	}
	run := func(withCA bool) []diag.Result {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSSLCertFileIsTrustedByBothTransports$")
		cmd.Env = append(os.Environ(), "GRAPHTEST_CHILD=1",
			graph.EnvAuthorityHost+"="+s.AuthorityHost(), graph.EnvGraphURL+"="+s.GraphURL(),
			"GRAPHTEST_TENANT="+s.TenantID, "GRAPHTEST_CLIENT="+s.ClientID, "GRAPHTEST_SECRET="+s.Secret,
			"SSL_CERT_DIR="+t.TempDir())
		if withCA {
			cmd.Env = append(cmd.Env, "SSL_CERT_FILE="+caFile)
		} else {
			cmd.Env = append(cmd.Env, "SSL_CERT_FILE="+filepath.Join(t.TempDir(), "none.pem"))
		}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		var results []diag.Result
		line := out[:max(0, strings.Index(string(out), "\n"))]
		if err := json.Unmarshal(line, &results); err != nil {
			t.Fatalf("child output %q: %v", out, err)
		}
		return results
	}

	for _, r := range run(true) {
		if !r.OK {
			t.Errorf("with SSL_CERT_FILE: %+v", r)
		}
	}
	var token, graphCalls bool
	for _, r := range s.Requests() {
		token = token || strings.HasSuffix(r.Path, "/token")
		graphCalls = graphCalls || r.Graph
	}
	if !token || !graphCalls {
		t.Errorf("the child reached token endpoint %v, Graph %v; want both", token, graphCalls)
	}

	results := run(false)
	if results[0].OK || !strings.Contains(results[0].Message, "does not trust") || !strings.Contains(results[0].Fix, "SSL_CERT_FILE") {
		t.Errorf("without the CA the token check = %+v, want an untrusted-certificate diagnosis", results[0])
	}
}

// checkFromEnv is the child process of TestSSLCertFileIsTrustedByBothTransports.
func checkFromEnv() {
	opts, err := graph.OptionsFromEnv()
	if err != nil {
		panic(err)
	}
	a := config.Automation{Mailbox: watched, TenantID: os.Getenv("GRAPHTEST_TENANT"), ClientID: os.Getenv("GRAPHTEST_CLIENT"), TimeZone: "UTC"}
	results := graph.CheckAutomation(context.Background(), a, os.Getenv("GRAPHTEST_SECRET"), opts, "")
	b, _ := json.Marshal(results)
	os.Stdout.Write(append(b, '\n'))
}
