package server

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/api"
	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
)

// testSurface registers a few routes that report what the server made of
// a request, fail, or panic.
type testSurface struct{}

func (testSurface) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /test/remote", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.RemoteAddr)
	})
	mux.HandleFunc("GET /test/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /test/panic", func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	})
	mux.HandleFunc("GET /test/ok", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})
}

// newTestHandler is the real Handler with a test surface; nothing in it
// reaches the store unless a request carries credentials.
func newTestHandler(log *slog.Logger, trusted []netip.Prefix) http.Handler {
	return Handler(Deps{
		API:            api.New(api.Deps{}),
		Auth:           auth.New(nil, desk.SystemClock{}, auth.Options{ErrorWriter: api.WriteError}),
		Surfaces:       []Surface{testSurface{}},
		Log:            log,
		TrustedProxies: trusted,
	})
}

func TestRequestLogNeverRecordsTheQuery(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := newTestHandler(log, nil)
	const secret = "visitor-token-s3cr3t"
	tests := []struct {
		name, target string
		wantStatus   int
	}{
		{"success, logged at debug", "/test/ok?token=" + secret, 200},
		{"unknown route, logged at info", "/widget/ws?token=" + secret, 404},
		{"server error", "/test/fail?token=" + secret + "&x=1", 500},
		{"panic", "/test/panic?token=" + secret, 500},
		{"token in an escaped query", "/test/ok?a=%26token%3D" + secret, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf.Reset()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", tt.target, nil))
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", w.Code, tt.wantStatus)
			}
			logged := buf.String()
			path, _, _ := strings.Cut(tt.target, "?")
			if !strings.Contains(logged, `"path":"`+path+`"`) {
				t.Fatalf("log does not name the path %s: %s", path, logged)
			}
			for _, leak := range []string{secret, "token="} {
				if strings.Contains(logged, leak) {
					t.Errorf("log contains %q: %s", leak, logged)
				}
			}
		})
	}
}

func TestRealClientIP(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.7,fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		xff     []string // header lines
		want    string
	}{
		{"no trusted proxies: header ignored", nil, "10.0.0.1:5000", []string{"1.2.3.4"}, "10.0.0.1:5000"},
		{"untrusted peer: header ignored", trusted, "203.0.113.9:5000", []string{"1.2.3.4"}, "203.0.113.9:5000"},
		{"trusted peer, one hop", trusted, "10.0.0.1:5000", []string{"1.2.3.4"}, "1.2.3.4:0"},
		{"trusted single address", trusted, "192.0.2.7:5000", []string{"1.2.3.4"}, "1.2.3.4:0"},
		{"spoofed left entries are skipped", trusted, "10.0.0.1:5000", []string{"6.6.6.6, 1.2.3.4"}, "1.2.3.4:0"},
		{"chain of trusted proxies", trusted, "10.0.0.1:5000", []string{"6.6.6.6, 1.2.3.4, 10.9.9.9, 10.0.0.2"}, "1.2.3.4:0"},
		{"several header lines are one list", trusted, "10.0.0.1:5000", []string{"6.6.6.6", "1.2.3.4, 10.0.0.2"}, "1.2.3.4:0"},
		{"every hop trusted: the leftmost", trusted, "10.0.0.1:5000", []string{"10.1.1.1, 10.0.0.2"}, "10.1.1.1:0"},
		{"no header", trusted, "10.0.0.1:5000", nil, "10.0.0.1:5000"},
		{"empty header", trusted, "10.0.0.1:5000", []string{""}, "10.0.0.1:5000"},
		{"garbage rightmost", trusted, "10.0.0.1:5000", []string{"1.2.3.4, nonsense"}, "10.0.0.1:5000"},
		{"garbage left of the client", trusted, "10.0.0.1:5000", []string{"nonsense, 1.2.3.4"}, "1.2.3.4:0"},
		{"garbage behind a trusted hop", trusted, "10.0.0.1:5000", []string{"nonsense, 10.0.0.2"}, "10.0.0.2:0"},
		{"IPv6 client", trusted, "10.0.0.1:5000", []string{"2001:db8::1"}, "[2001:db8::1]:0"},
		{"IPv6 proxy", trusted, "[fd00::1]:443", []string{"1.2.3.4"}, "1.2.3.4:0"},
		{"client with a port", trusted, "10.0.0.1:5000", []string{"1.2.3.4:1234"}, "1.2.3.4:0"},
		{"bracketed IPv6 client with a port", trusted, "10.0.0.1:5000", []string{"[2001:db8::1]:1234"}, "[2001:db8::1]:0"},
		{"IPv4-mapped proxy", trusted, "[::ffff:10.0.0.1]:5000", []string{"1.2.3.4"}, "1.2.3.4:0"},
		{"IPv4-mapped client", trusted, "10.0.0.1:5000", []string{"::ffff:1.2.3.4"}, "1.2.3.4:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(slog.New(slog.DiscardHandler), tt.trusted)
			r := httptest.NewRequest("GET", "/test/remote", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if got := w.Body.String(); got != tt.want {
				t.Errorf("RemoteAddr seen by the handler = %q, want %q", got, tt.want)
			}
			if r.RemoteAddr != tt.remote {
				t.Errorf("caller's request changed: RemoteAddr = %q", r.RemoteAddr)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{" , ", nil, false},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}, false},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}, false},
		{"10.0.0.0/8, 172.16.0.0/12", []string{"10.0.0.0/8", "172.16.0.0/12"}, false},
		{"192.0.2.7", []string{"192.0.2.7/32"}, false},
		{"::1", []string{"::1/128"}, false},
		{"fd00::/8", []string{"fd00::/8"}, false},
		{"::ffff:10.0.0.0/104", []string{"10.0.0.0/8"}, false},
		{"10.0.0.0/33", nil, true},
		{"proxy.example.com", nil, true},
		{"10.0.0.0/8,nope", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTrustedProxies(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseTrustedProxies(%q) error = %v, want error: %v", tt.in, err, tt.wantErr)
			}
			var gs []string
			for _, p := range got {
				gs = append(gs, p.String())
			}
			if strings.Join(gs, " ") != strings.Join(tt.want, " ") {
				t.Errorf("ParseTrustedProxies(%q) = %v, want %v", tt.in, gs, tt.want)
			}
		})
	}
}

func TestDefaultSecureCookies(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8080", false},
		{"127.0.0.2:8080", false},
		{"localhost:8080", false},
		{"LOCALHOST:8080", false},
		{"app.localhost:8080", false},
		{"[::1]:8080", false},
		{"[::ffff:127.0.0.1]:8080", false},
		{"127.0.0.1", false},
		{"localhost", false},
		{":8080", true},
		{"", true},
		{"0.0.0.0:8080", true},
		{"[::]:8080", true},
		{"192.168.1.10:8080", true},
		{"10.0.0.5:80", true},
		{"balie.example.com:443", true},
		{"localhost.example.com:80", true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := DefaultSecureCookies(tt.addr); got != tt.want {
				t.Errorf("DefaultSecureCookies(%q) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}
