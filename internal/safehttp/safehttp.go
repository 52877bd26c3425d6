// Package safehttp builds the HTTP client balie uses for requests to
// addresses that customers and admins type in: outgoing webhooks and the API
// channel's reply URL. Such a URL must not become a way into the server's
// own network (server-side request forgery): the client refuses to connect
// to loopback, private, link-local and other non-public addresses, checks
// every redirect hop, and bounds time and response size.
//
// The address check runs on the connection itself (the dialer's Control
// hook), after DNS resolution, so a name that resolves to 127.0.0.1, or
// starts to after a first check (DNS rebinding), is refused too.
//
// safehttp imports only the standard library.
package safehttp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Defaults for Options' zero values.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultDialTimeout      = 5 * time.Second
	DefaultMaxResponseBytes = 1 << 20
	// MaxRedirects is how many redirects one request may follow.
	MaxRedirects = 3
)

// Errors the client returns, wrapped in *url.Error; test with errors.Is.
// Neither is worth retrying.
var (
	// ErrBlockedAddress is a connection to a non-public address.
	ErrBlockedAddress = errors.New("safehttp: address is not public")
	// ErrScheme is a URL (or redirect target) that is not http or https.
	ErrScheme = errors.New("safehttp: scheme not allowed")
	// ErrTooManyRedirects is a request that was redirected more than
	// MaxRedirects times.
	ErrTooManyRedirects = errors.New("safehttp: too many redirects")
	// ErrTooLarge is a response body over the configured limit.
	ErrTooLarge = errors.New("safehttp: response too large")
)

// Options configure NewClient. The zero value is the safe default.
type Options struct {
	// AllowPrivate lets the client reach any address, loopback and private
	// ranges included: for tests, `balie bench` and installations whose
	// receivers live on the internal network. Schemes, redirects, timeouts
	// and the size limit still apply.
	AllowPrivate bool
	// Allow lists ranges reachable although not public (an internal
	// receiver at 10.1.2.3/32, say), without opening every private range.
	Allow []netip.Prefix
	// Timeout bounds a whole request, redirects and body included; zero:
	// DefaultTimeout.
	Timeout time.Duration
	// DialTimeout bounds one TCP connect; zero: DefaultDialTimeout.
	DialTimeout time.Duration
	// MaxResponseBytes bounds every response body: reading past it fails
	// with ErrTooLarge. Zero: DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// NewClient returns a client that enforces opts. It ignores the
// environment's proxy settings: through a proxy, the address check would
// see the proxy instead of the real target.
func NewClient(opts Options) *http.Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	dialer := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
	if !opts.AllowPrivate {
		allow := opts.Allow
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			return checkDial(address, allow)
		}
	}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    opts.DialTimeout,
		ResponseHeaderTimeout:  opts.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           32,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport:     &guard{next: tr, maxBody: opts.MaxResponseBytes},
		Timeout:       opts.Timeout,
		CheckRedirect: checkRedirect,
	}
}

// checkDial is the dialer's Control hook: address is the resolved
// "ip:port" about to be connected to.
func checkDial(address string, allow []netip.Prefix) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrBlockedAddress, address)
	}
	ip := ap.Addr().Unmap()
	if IsPublic(ip) {
		return nil
	}
	for _, p := range allow {
		if p.Contains(ip) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrBlockedAddress, ip)
}

// checkRedirect re-checks each hop: the scheme here, the address when the
// hop's connection is dialled.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, MaxRedirects)
	}
	return checkScheme(req)
}

func checkScheme(req *http.Request) error {
	switch req.URL.Scheme {
	case "http", "https":
		return nil
	}
	return fmt.Errorf("%w: %q", ErrScheme, req.URL.Scheme)
}

// guard checks the scheme before anything is sent (the transport would
// also refuse an unknown one, but a future registered protocol must not
// slip through) and bounds the response body.
type guard struct {
	next    http.RoundTripper
	maxBody int64
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkScheme(req); err != nil {
		if req.Body != nil {
			req.Body.Close() // RoundTrip must close it, even on error
		}
		return nil, err
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: g.maxBody}
	return resp, nil
}

// limitedBody fails with ErrTooLarge once more than its limit is read, so
// that a caller reading "everything" cannot be made to read gigabytes.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, ErrTooLarge
	}
	// Ask for one byte past the limit to tell "exactly at" from "over".
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n + int(l.left), ErrTooLarge
	}
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }

// ReadBody reads at most max bytes of r; more is ErrTooLarge. Use it for
// response bodies whose content matters; one to throw away needs only
// io.Copy(io.Discard, io.LimitReader(body, n)).
func ReadBody(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return b, fmt.Errorf("safehttp: read body: %w", err)
	}
	if int64(len(b)) > max {
		return b[:max], fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	}
	return b, nil
}

// nonPublic are ranges that are not reachable on the public internet or
// that reach the host itself, beyond what netip's predicates cover.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated), :: and ::1
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments, Teredo included
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

// Prefixes that embed an IPv4 address, which must be public itself.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	nat64Loc  = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// IsPublic reports whether ip is a public unicast address, one a webhook
// may be sent to. IPv4-mapped IPv6 addresses are judged by their IPv4
// address, and so are NAT64 and 6to4 addresses.
func IsPublic(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() {
		// IsGlobalUnicast is false for loopback, link-local, multicast
		// and unspecified addresses; IsPrivate covers RFC 1918 and fc00::/7.
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	switch {
	case nat64.Contains(ip):
		b := ip.As16()
		return IsPublic(netip.AddrFrom4([4]byte(b[12:16])))
	case nat64Loc.Contains(ip):
		return false // local-use translation: the embedded address is the operator's
	case sixToFour.Contains(ip):
		b := ip.As16()
		return IsPublic(netip.AddrFrom4([4]byte(b[2:6])))
	}
	return true
}

// Refused reports whether err is the client refusing a request by its rules
// (address, scheme, redirects) rather than a failure of the network or the
// receiver: trying again cannot succeed until the URL changes.
func Refused(err error) bool {
	return errors.Is(err, ErrBlockedAddress) || errors.Is(err, ErrScheme) || errors.Is(err, ErrTooManyRedirects)
}
