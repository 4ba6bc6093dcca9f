package neterr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestClassify(t *testing.T) {
	wrap := func(err error) error {
		return &url.Error{Op: "Get", URL: "https://idm.example.com", Err: fmt.Errorf("dial: %w", err)}
	}
	tests := []struct {
		name   string
		err    error
		kind   Kind
		tls    bool
		reason string
	}{
		{"nil", nil, Other, false, ""},
		{"no such host", wrap(&net.DNSError{Err: "no such host", Name: "idm.example", IsNotFound: true}), NoSuchHost, false, "the name does not resolve (DNS: no such host)"},
		{"DNS server failure", wrap(&net.DNSError{Err: "server misbehaving", Name: "idm.example"}), DNS, false, "DNS lookup failed: server misbehaving"},
		{"unknown authority", wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), UnknownAuthority, true, "signed by an authority this machine does not trust"},
		{"bare unknown authority", x509.UnknownAuthorityError{}, UnknownAuthority, true, "does not trust"},
		{"wrong host", wrap(&tls.CertificateVerificationError{Err: x509.HostnameError{Host: "idm.example"}}), WrongHost, true, "not valid for this host name"},
		{"expired", wrap(&tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired, Detail: "it expired yesterday"}}), BadCertificate, true, "its TLS certificate is not valid (x509: certificate has expired or is not yet valid: it expired yesterday)"},
		{"other verification failure", wrap(&tls.CertificateVerificationError{Err: x509.SystemRootsError{}}), Untrusted, true, ""},
		{"refused", wrap(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), Refused, false, "the connection was refused"},
		{"reset", wrap(syscall.ECONNRESET), Reset, false, "the connection was reset"},
		{"network unreachable", wrap(syscall.ENETUNREACH), Unreachable, false, "the network is unreachable"},
		{"host unreachable", wrap(syscall.EHOSTUNREACH), Unreachable, false, "the network is unreachable"},
		{"deadline", wrap(context.DeadlineExceeded), Timeout, false, "it did not answer in time"},
		{"i/o timeout", wrap(os.ErrDeadlineExceeded), Timeout, false, "it did not answer in time"},
		{"a net.Error's timeout", &url.Error{Op: "Get", URL: "https://idm.example.com", Err: &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}}, Timeout, false, "it did not answer in time"},
		{"something else", wrap(errors.New("proxy said no")), Other, false, ""},
	}
	for _, tt := range tests {
		k := Classify(tt.err)
		if k != tt.kind || k.TLS() != tt.tls {
			t.Errorf("%s: Classify = %d (TLS %v), want %d (TLS %v)", tt.name, k, k.TLS(), tt.kind, tt.tls)
		}
		r := Reason(tt.err)
		if tt.reason == "" && r != "" || !strings.Contains(r, tt.reason) {
			t.Errorf("%s: Reason = %q, want %q", tt.name, r, tt.reason)
		}
	}
}

// TestClassifyARealRefusal dials a port nothing listens on.
func TestClassifyARealRefusal(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = net.Dial("tcp", addr)
	if err == nil {
		t.Skip("something answered on the freed port")
	}
	if k := Classify(err); k != Refused {
		t.Errorf("Classify(%v) = %d, want Refused", err, k)
	}
}
