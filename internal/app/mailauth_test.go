package app

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/channel/email/smtpd"
)

// txtResolver answers TXT lookups from a map; everything else is not found.
type txtResolver map[string][]string

func (r txtResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := r[strings.TrimSuffix(strings.ToLower(name), ".")]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r txtResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (r txtResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func TestAuthenticateMail(t *testing.T) {
	dns := txtResolver{
		"klant.example":        {"v=spf1 ip4:192.0.2.0/24 -all"},
		"_dmarc.klant.example": {"v=DMARC1; p=reject"},
	}
	check := authenticateMail(dns, "mx.despaak.example")
	mail := []byte("From: Jan <jan@klant.example>\r\nTo: support@despaak.example\r\nSubject: Hoi\r\n\r\nHallo\r\n")
	cases := []struct {
		name   string
		remote string
		want   string
	}{
		{"allowed sender", "192.0.2.10:52000", "spf=pass dkim=none dmarc=pass; mx.despaak.example"},
		{"forged sender", "203.0.113.9:52000", "spf=fail dkim=none dmarc=fail; mx.despaak.example"},
		{"no address to check", "pipe", ""},
	}
	for _, tc := range cases {
		got := check(context.Background(), smtpd.Envelope{RemoteAddr: tc.remote, HeloName: "mail.klant.example",
			From: "jan@klant.example"}, mail)
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
