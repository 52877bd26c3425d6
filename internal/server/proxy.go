package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads the --trusted-proxy flag: comma-separated CIDR
// ranges or single addresses ("10.0.0.0/8,192.0.2.7"). Empty is none.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("server: trusted proxy %q: not an address or CIDR range", f)
			}
			ip = ip.Unmap()
			out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("server: trusted proxy %q: %w", f, err)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// realClientIP replaces r.RemoteAddr with the client's address from
// X-Forwarded-For when the request came through one of the trusted proxies.
// Each proxy appends the address it received the request from, so the list
// is read from the right: the first address that is not a trusted proxy is
// the client. Everything left of it was written by the client and is not
// believed. Without trusted proxies the handler is next itself: a header
// anyone can send never moves the address.
func realClientIP(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ip, ok := forwardedFor(r, trusted); ok {
			r = r.WithContext(r.Context()) // a copy: the caller's request stays as it was
			r.RemoteAddr = net.JoinHostPort(ip.String(), "0")
		}
		next.ServeHTTP(w, r)
	})
}

// forwardedFor returns the client address of a request that reached us
// through trusted proxies, and false when RemoteAddr should stay.
func forwardedFor(r *http.Request, trusted []netip.Prefix) (netip.Addr, bool) {
	peer, ok := parseIP(r.RemoteAddr)
	if !ok || !contains(trusted, peer) {
		return netip.Addr{}, false
	}
	// Several header lines are one list, in order.
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client, found := netip.Addr{}, false
	for i := len(hops) - 1; i >= 0; i-- {
		ip, ok := parseIP(strings.TrimSpace(hops[i]))
		if !ok {
			// Garbage where an address should be: we cannot see past it.
			// The last proxy we trust is as far as we can tell.
			break
		}
		client, found = ip, true
		if !contains(trusted, ip) {
			break
		}
	}
	return client, found
}

// parseIP reads "ip", "ip:port" or "[ipv6]:port".
func parseIP(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.WithZone("").Unmap(), true
}

func contains(ps []netip.Prefix, ip netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
