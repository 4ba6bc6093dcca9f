// Package neterr tells why a host could not be reached: DNS, TLS, the
// connection or time. Graph's and IDM's clients word it for their users.
package neterr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"syscall"
)

// Kind is why a request got no answer.
type Kind int

// The kinds, in the order Classify tests them.
const (
	Other            Kind = iota
	NoSuchHost            // the name does not resolve
	DNS                   // the lookup itself failed
	UnknownAuthority      // the certificate chains to a CA this machine does not trust
	WrongHost             // the certificate is not valid for this host name
	BadCertificate        // the certificate is expired, not yet valid or unusable
	Untrusted             // any other failure to verify the certificate
	Refused               // the connection was refused
	Reset                 // the connection was reset
	Unreachable           // no route to the network or host
	Timeout               // no answer in time
)

// Classify returns the kind of a transport error.
func Classify(err error) Kind {
	var dns *net.DNSError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case err == nil:
		return Other
	case errors.As(err, &dns) && dns.IsNotFound:
		return NoSuchHost
	case errors.As(err, &dns):
		return DNS
	case errors.As(err, new(x509.UnknownAuthorityError)):
		return UnknownAuthority
	case errors.As(err, &host):
		return WrongHost
	case errors.As(err, &invalid):
		return BadCertificate
	case errors.As(err, &verify):
		return Untrusted
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, syscall.ECONNRESET):
		return Reset
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return Unreachable
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return Timeout
	}
	return Other
}

// TLS reports whether the kind is a certificate that was not trusted.
func (k Kind) TLS() bool {
	return k == UnknownAuthority || k == WrongHost || k == BadCertificate || k == Untrusted
}

// Reason says in a few words why the host could not be reached, or ""
// when the kind has no words of its own (Other, Untrusted): the caller
// shows the error itself. BadCertificate's words need the error's.
func Reason(err error) string {
	var dns *net.DNSError
	switch Classify(err) {
	case NoSuchHost:
		return "the name does not resolve (DNS: no such host)"
	case DNS:
		errors.As(err, &dns)
		return "DNS lookup failed: " + dns.Err
	case UnknownAuthority:
		return "its TLS certificate is signed by an authority this machine does not trust"
	case WrongHost:
		return "its TLS certificate is not valid for this host name"
	case BadCertificate:
		var invalid x509.CertificateInvalidError
		errors.As(err, &invalid)
		return "its TLS certificate is not valid (" + invalid.Error() + ")"
	case Refused:
		return "the connection was refused"
	case Reset:
		return "the connection was reset"
	case Unreachable:
		return "the network is unreachable"
	case Timeout:
		return "it did not answer in time"
	}
	return ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
