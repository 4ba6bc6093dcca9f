// Package weburl checks the base URLs invitesync sends credentials to: https,
// or plain http to this machine only, with nothing hidden in them.
package weburl

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
)

// The ways a URL fails Parse; callers word them for their own field.
var (
	ErrEmpty       = errors.New("the URL is empty")
	ErrNotAbsolute = errors.New("not an absolute URL with a host")
	ErrUserInfo    = errors.New("the URL holds a user name or password")
	ErrQuery       = errors.New("the URL has a query or fragment")
	ErrPlainHTTP   = errors.New("plain http to a host other than this machine")
	ErrScheme      = errors.New("the scheme is neither https nor http")
)

// Parse checks raw as it is (no trimming): an absolute URL with a host, no
// user information, query or fragment, and https, or http to a loopback
// host (see IsLoopback). A failure is one of the errors above.
func Parse(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, ErrEmpty
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return nil, ErrNotAbsolute
	case u.User != nil:
		return nil, ErrUserInfo
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, ErrQuery
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
	case u.Scheme == "http":
		return nil, ErrPlainHTTP
	default:
		return nil, ErrScheme
	}
	return u, nil
}

// Shown is raw as a message may show it: its scheme, host and path only,
// never the user information, query or fragment, where a secret might
// hide; "" when raw is not a URL at all.
func Shown(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// IsLoopback reports whether host, as url.URL.Hostname gives it, names this
// machine: localhost (any case, with or without the final dot) or a loopback
// address of either family, 127.0.0.0/8 and ::1, also IPv4-mapped or with
// a zone.
func IsLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
