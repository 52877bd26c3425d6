package safehttp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

func TestIsPublic(t *testing.T) {
	tests := []struct {
		name string
		ip   string
		want bool
	}{
		{"public IPv4", "93.184.216.34", true},
		{"public IPv4 DNS", "1.1.1.1", true},
		{"public IPv6", "2606:4700:4700::1111", true},
		{"loopback", "127.0.0.1", false},
		{"loopback elsewhere in 127/8", "127.1.2.3", false},
		{"IPv6 loopback", "::1", false},
		{"unspecified", "0.0.0.0", false},
		{"this network", "0.1.2.3", false},
		{"IPv6 unspecified", "::", false},
		{"private 10/8", "10.0.0.1", false},
		{"private 172.16/12", "172.16.5.4", false},
		{"private 172.31", "172.31.255.255", false},
		{"just outside 172.16/12", "172.32.0.1", true},
		{"private 192.168/16", "192.168.1.1", false},
		{"cloud metadata (link-local)", "169.254.169.254", false},
		{"CGNAT", "100.64.0.1", false},
		{"CGNAT top", "100.127.255.254", false},
		{"just outside CGNAT", "100.128.0.1", true},
		{"multicast", "224.0.0.1", false},
		{"broadcast", "255.255.255.255", false},
		{"reserved 240/4", "240.0.0.1", false},
		{"documentation", "192.0.2.10", false},
		{"benchmarking", "198.18.0.1", false},
		{"IPv6 unique local", "fd00::1", false},
		{"IPv6 unique local fc", "fc12::1", false},
		{"IPv6 link-local", "fe80::1", false},
		{"IPv6 link-local with zone", "fe80::1%eth0", false},
		{"IPv6 multicast", "ff02::1", false},
		{"IPv6 site-local", "fec0::1", false},
		{"IPv6 documentation", "2001:db8::1", false},
		{"Teredo", "2001:0:4136:e378:8000:63bf:3fff:fdd2", false},
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", false},
		{"IPv4-mapped metadata", "::ffff:169.254.169.254", false},
		{"IPv4-mapped private", "::ffff:10.1.2.3", false},
		{"IPv4-mapped public", "::ffff:1.1.1.1", true},
		{"IPv4-compatible loopback", "::127.0.0.1", false},
		{"NAT64 of loopback", "64:ff9b::7f00:1", false},
		{"NAT64 of public", "64:ff9b::101:101", true},
		{"local-use NAT64", "64:ff9b:1::101:101", false},
		{"6to4 of private", "2002:c0a8:0101::1", false},
		{"6to4 of public", "2002:0101:0101::1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.ip)
			if got := IsPublic(ip); got != tt.want {
				t.Errorf("IsPublic(%s) = %v, want %v", tt.ip, got, tt.want)
			}
		})
	}
}

func TestCheckDial(t *testing.T) {
	tests := []struct {
		name    string
		address string
		allow   []netip.Prefix
		wantErr bool
	}{
		{"public", "1.1.1.1:443", nil, false},
		{"loopback", "127.0.0.1:80", nil, true},
		{"IPv6 loopback", "[::1]:80", nil, true},
		{"mapped loopback", "[::ffff:127.0.0.1]:80", nil, true},
		{"metadata", "169.254.169.254:80", nil, true},
		{"unparsable", "localhost:80", nil, true},
		{"private but allowed", "10.1.2.3:8080", []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24")}, false},
		{"private outside the allowed range", "10.1.3.3:8080", []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24")}, true},
		{"mapped address in an allowed IPv4 range", "[::ffff:10.1.2.3]:8080", []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkDial(tt.address, tt.allow)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("checkDial(%q) = %v, want error: %v", tt.address, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBlockedAddress) {
				t.Errorf("error %v does not wrap ErrBlockedAddress", err)
			}
		})
	}
}

// counter is a loopback test server that counts the requests it received.
func counter(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if h != nil {
			h(w, r)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestLoopbackIsRefusedUnlessAllowed(t *testing.T) {
	srv, hits := counter(t, nil)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	urls := []string{srv.URL, "http://localhost:" + port + "/x"}

	for _, u := range urls {
		t.Run("default refuses "+u, func(t *testing.T) {
			resp, err := NewClient(Options{}).Post(u, "application/json", strings.NewReader("{}"))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("POST %s succeeded with %s, want it refused", u, resp.Status)
			}
			if !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("POST %s: %v, want ErrBlockedAddress", u, err)
			}
		})
	}
	if _, err := NewClient(Options{}).Get(srv.URL); !Refused(err) {
		t.Errorf("Refused(%v) = false, want true", err)
	}
	if got := hits.Load(); got != 0 {
		t.Fatalf("server received %d requests, want none", got)
	}

	allowed := map[string]Options{
		"AllowPrivate":       {AllowPrivate: true},
		"Allow 127.0.0.1/32": {Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
	}
	for name, opts := range allowed {
		t.Run(name, func(t *testing.T) {
			resp, err := NewClient(opts).Get(srv.URL)
			if err != nil {
				t.Fatalf("GET with %s: %v", name, err)
			}
			defer resp.Body.Close()
			b, err := ReadBody(resp.Body, 100)
			if err != nil || string(b) != "ok" {
				t.Fatalf("body = %q, %v; want ok", b, err)
			}
		})
	}
}

func TestRedirects(t *testing.T) {
	// Every hop is on loopback, allowed by a narrow Allow list, so that a
	// hop to anywhere else is judged by the real address check.
	opts := Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	var chain *httptest.Server
	chain, _ = counter(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/to-ipv6-loopback":
			http.Redirect(w, r, "http://[::1]:1/", http.StatusFound)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/to-gopher":
			http.Redirect(w, r, "gopher://example.com/", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/three":
			http.Redirect(w, r, "/two", http.StatusFound)
		case "/two":
			http.Redirect(w, r, "/one", http.StatusFound)
		case "/one":
			http.Redirect(w, r, "/done", http.StatusTemporaryRedirect)
		default:
			io.WriteString(w, "done")
		}
	})
	tests := []struct {
		path    string
		wantErr error
	}{
		{"/to-metadata", ErrBlockedAddress},
		{"/to-ipv6-loopback", ErrBlockedAddress},
		{"/to-file", ErrScheme},
		{"/to-gopher", ErrScheme},
		{"/loop", ErrTooManyRedirects},
		{"/three", nil}, // exactly MaxRedirects hops
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := NewClient(opts).Get(chain.URL + tt.path)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("GET %s: %v, want success", tt.path, err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("GET %s = %s, want 200", tt.path, resp.Status)
				}
				return
			}
			if err == nil {
				resp.Body.Close()
				t.Fatalf("GET %s = %s, want %v", tt.path, resp.Status, tt.wantErr)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("GET %s: %v, want %v", tt.path, err, tt.wantErr)
			}
		})
	}
}

func TestSchemeOfTheFirstRequest(t *testing.T) {
	for _, u := range []string{"file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/"} {
		t.Run(u, func(t *testing.T) {
			resp, err := NewClient(Options{AllowPrivate: true}).Get(u)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("GET %s succeeded, want ErrScheme", u)
			}
			if !errors.Is(err, ErrScheme) {
				t.Fatalf("GET %s: %v, want ErrScheme", u, err)
			}
		})
	}
}

func TestResponseSizeLimit(t *testing.T) {
	const limit = 1000
	srv, _ := counter(t, func(w http.ResponseWriter, r *http.Request) {
		n := limit
		if r.URL.Path == "/big" {
			n = limit + 1
		}
		io.WriteString(w, strings.Repeat("x", n))
	})
	c := NewClient(Options{AllowPrivate: true, MaxResponseBytes: limit})
	tests := []struct {
		path    string
		wantErr bool
	}{
		{"/exact", false},
		{"/big", true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := c.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if tt.wantErr {
				if !errors.Is(err, ErrTooLarge) {
					t.Fatalf("read %d bytes, err %v; want ErrTooLarge", len(b), err)
				}
				if len(b) > limit {
					t.Errorf("read %d bytes, want at most %d", len(b), limit)
				}
				return
			}
			if err != nil || len(b) != limit {
				t.Fatalf("read %d bytes, err %v; want %d, nil", len(b), err, limit)
			}
		})
	}
}

func TestReadBody(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		max     int64
		want    string
		wantErr bool
	}{
		{"under", "abc", 5, "abc", false},
		{"exact", "abcde", 5, "abcde", false},
		{"over", "abcdef", 5, "abcde", true},
		{"empty", "", 5, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadBody(strings.NewReader(tt.in), tt.max)
			if string(got) != tt.want {
				t.Errorf("ReadBody = %q, want %q", got, tt.want)
			}
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrTooLarge)) {
				t.Errorf("ReadBody error = %v, want ErrTooLarge: %v", err, tt.wantErr)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"blocked address", fmt.Errorf("post: %w", ErrBlockedAddress), true},
		{"scheme", ErrScheme, true},
		{"redirects", ErrTooManyRedirects, true},
		{"too large", ErrTooLarge, false},
		{"network", errors.New("connection refused"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Refused(tt.err); got != tt.want {
				t.Errorf("Refused(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c := NewClient(Options{})
	if c.Timeout != DefaultTimeout {
		t.Errorf("Timeout = %v, want %v", c.Timeout, DefaultTimeout)
	}
	tr := c.Transport.(*guard).next.(*http.Transport)
	if tr.Proxy != nil {
		t.Error("transport uses a proxy; the address check would judge the proxy")
	}
	if c.Transport.(*guard).maxBody != DefaultMaxResponseBytes {
		t.Errorf("max body = %d, want %d", c.Transport.(*guard).maxBody, DefaultMaxResponseBytes)
	}
}
