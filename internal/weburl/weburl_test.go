package weburl

import (
	"errors"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":         true,
		"LocalHost":         true,
		"localhost.":        true,
		"127.0.0.1":         true,
		"127.8.9.10":        true,
		"::1":               true,
		"::1%lo":            true,
		"::ffff:127.0.0.1":  true,
		"":                  false,
		"0.0.0.0":           false,
		"::":                false,
		"10.0.0.1":          false,
		"128.0.0.1":         false,
		"localhost.example": false,
		"my-localhost":      false,
		"127.0.0.1.nip.io":  false,
		"::2":               false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		raw  string
		want error
	}{
		{"https://idm.example.com/api/v1", nil},
		{"https://idm.example.com:8443", nil},
		{"http://localhost:8080/api/v1", nil},
		{"http://LOCALHOST/api", nil},
		{"http://127.0.0.1:9/", nil},
		{"http://127.0.0.2/", nil},
		{"http://[::1]:8080/", nil},
		{"http://[::1%25lo]:8080/", nil},
		{"http://[::ffff:127.0.0.1]/", nil},
		{"", ErrEmpty},
		{"idm.example.com", ErrNotAbsolute},
		{"/api/v1", ErrNotAbsolute},
		{"https:idm.example.com", ErrNotAbsolute},
		{"https://", ErrNotAbsolute},
		{"https://exa mple.com", ErrNotAbsolute},
		{" https://idm.example.com", ErrNotAbsolute},
		{"https://user:pass@idm.example.com", ErrUserInfo},
		{"https://user@idm.example.com", ErrUserInfo},
		{"https://idm.example.com/api?key=1", ErrQuery},
		{"https://idm.example.com/api?", ErrQuery},
		{"https://idm.example.com/api#top", ErrQuery},
		{"http://idm.example.com/api", ErrPlainHTTP},
		{"http://10.0.0.1/api", ErrPlainHTTP},
		{"http://localhost.example.com/", ErrPlainHTTP},
		{"http://127.0.0.1.nip.io/", ErrPlainHTTP},
		{"ftp://idm.example.com/", ErrScheme},
		{"HTTPS://idm.example.com/", nil},
	}
	for _, tt := range tests {
		u, err := Parse(tt.raw)
		if !errors.Is(err, tt.want) || (err == nil) != (u != nil) {
			t.Errorf("Parse(%q) = %v, %v; want error %v", tt.raw, u, err, tt.want)
		}
	}
}

func TestShownHidesUserInfoQueryAndFragment(t *testing.T) {
	for raw, want := range map[string]string{
		"https://user:hunter2@idm.example.com/api/v1?key=s3cret#frag": "https://idm.example.com/api/v1",
		"http://localhost:8080/api":                                   "http://localhost:8080/api",
		"idm.example.com":                                             "idm.example.com",
		"https://idm.example.com/%zz?key=s3cret":                      "",
	} {
		if got := Shown(raw); got != want {
			t.Errorf("Shown(%q) = %q, want %q", raw, got, want)
		}
	}
}
