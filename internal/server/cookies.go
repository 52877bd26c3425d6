package server

import (
	"net"
	"net/netip"
	"strings"
)

// DefaultSecureCookies is the default of --secure-cookies for a listen
// address: Secure, except when balie listens on loopback only, which is
// local development over plain HTTP (browsers would drop a Secure cookie
// sent over http:// to anything but localhost). An address that listens on
// every interface (":8080", "0.0.0.0:8080") or on a public name is assumed
// to sit behind HTTPS. An explicit --secure-cookies=true|false wins.
func DefaultSecureCookies(addr string) bool {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return !ip.Unmap().IsLoopback()
	}
	return true
}
