// Package server assembles balie's HTTP surface: the route table for every
// surface (API, agent UI, widget, attachments, health), and the middleware
// around it (recovery, logging, security headers, authentication).
//
// server imports api, web, auth, channel handlers and desk; it knows nothing
// about storage drivers.
package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/api"
	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
)

// Surface is a part of the site that registers its own routes (the agent UI,
// the widget).
type Surface interface {
	Routes(mux *http.ServeMux)
}

// Deps are the server's parts.
type Deps struct {
	API      *api.Handler
	Auth     *auth.Service
	Store    desk.Store
	Blob     desk.Blob
	Surfaces []Surface
	// Hooks are the channels that take provider webhooks, mounted at
	// /hooks/<kind>/<inbox key>.
	Hooks []desk.WebhookChannel
	Log   *slog.Logger
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (ParseTrustedProxies); none: RemoteAddr is the client.
	TrustedProxies []netip.Prefix
}

// Handler returns the whole site as one handler.
func Handler(d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, `{"status":"ok"}`+"\n")
	})
	d.API.Mount(mux, func(h http.Handler) http.Handler { return h })
	mux.Handle("GET /attachments/{id}", attachment(d, false))
	mux.Handle("GET /attachments/{id}/thumb", attachment(d, true))
	mux.Handle("GET /messages/{id}/html", mailHTML(d))
	mux.Handle("GET /kbfiles/{id}", kbFile(d))
	mux.Handle("GET /favicon.ico", favicon())
	hooks := webhooks(d)
	mux.Handle("GET /hooks/{kind}/{key}", hooks)
	mux.Handle("POST /hooks/{kind}/{key}", hooks)
	for _, s := range d.Surfaces {
		s.Routes(mux)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/app", http.StatusFound)
	})
	authed := d.Auth.Middleware(mux)
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if publicPath(r.URL.Path) {
			// The help center serves everybody alike: a signed-in agent
			// reading it must not need a CSRF token to vote.
			mux.ServeHTTP(w, r)
			return
		}
		authed.ServeHTTP(w, r)
	})
	h = limitBodies(h)
	h = securityHeaders(h)
	h = logRequests(d.Log, h)
	h = realClientIP(d.TrustedProxies, h)
	h = recoverPanics(d.Log, h)
	return h
}

// publicPath reports whether a path is public and never looks at who is
// signed in: the help center, and provider webhooks (which check the
// provider's signature instead).
func publicPath(p string) bool {
	return p == "/help" || strings.HasPrefix(p, "/help/") || strings.HasPrefix(p, "/kbfiles/") ||
		p == "/robots.txt" || p == "/sitemap.xml" || p == "/favicon.ico" || strings.HasPrefix(p, "/hooks/")
}

// New returns an http.Server with sensible timeouts.
func New(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // uploads
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Run serves until ctx is done, then shuts down gracefully.
func Run(ctx context.Context, srv *http.Server) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	return nil
}

// webhooks hands a provider's webhook to its channel: the inbox is found by
// its public key and must be of the channel's kind. The channel checks the
// provider's signature or verification token.
func webhooks(d Deps) http.Handler {
	byKind := map[desk.ChannelKind]desk.WebhookChannel{}
	for _, h := range d.Hooks {
		byKind[h.Kind()] = h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := desk.ChannelKind(r.PathValue("kind"))
		ch, ok := byKind[kind]
		if !ok {
			api.WriteError(w, r, fmt.Errorf("no webhook channel %q: %w", kind, desk.ErrNotFound))
			return
		}
		in, err := d.Store.InboxByKey(r.Context(), r.PathValue("key"))
		if err != nil || in.Channel != kind {
			api.WriteError(w, r, fmt.Errorf("no %s inbox with that key: %w", kind, desk.ErrNotFound))
			return
		}
		ch.Webhook(*in).ServeHTTP(w, r)
	})
}

// favicon serves a small icon (a speech bubble in balie green), so that
// browsers asking for /favicon.ico get one instead of a 404.
func favicon() http.Handler {
	const side = 32
	m := image.NewNRGBA(image.Rect(0, 0, side, side))
	green := color.NRGBA{R: 0x1d, G: 0x6b, B: 0x4f, A: 0xff}
	for y := range side {
		for x := range side {
			dx, dy := float64(x)-15.5, float64(y)-13.5
			inBubble := dx*dx/(15*15)+dy*dy/(12*12) <= 1
			inTail := y >= 22 && y <= 30 && x >= 6 && x <= 6+(30-y)
			if inBubble || inTail {
				m.Set(x, y, green)
			}
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, m)
	b := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Write(b)
	})
}

// kbFile serves an image uploaded for knowledge-base articles. Articles are
// public, so their images are too; they are immutable, so cached long.
func kbFile(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			api.WriteError(w, r, desk.ErrNotFound)
			return
		}
		f, err := d.Store.KBFileByID(r.Context(), id)
		if err != nil {
			api.WriteError(w, r, fmt.Errorf("file %d: %w", id, err))
			return
		}
		rc, err := d.Blob.Open(r.Context(), f.BlobKey)
		if err != nil {
			api.WriteError(w, r, fmt.Errorf("file %d: %w", id, err))
			return
		}
		defer rc.Close()
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		ServeFile(w, f.ContentType, f.Name, false, rc)
	})
}

func attachment(d Deps, thumb bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			api.WriteError(w, r, fmt.Errorf("sign in to see attachments: %w", desk.ErrUnauthorized))
			return
		}
		_ = p
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			api.WriteError(w, r, desk.ErrNotFound)
			return
		}
		a, err := d.Store.AttachmentByID(r.Context(), id)
		if err != nil {
			api.WriteError(w, r, fmt.Errorf("attachment %d: %w", id, err))
			return
		}
		key, ctype := a.BlobKey, a.ContentType
		if thumb {
			if a.ThumbKey == "" {
				api.WriteError(w, r, fmt.Errorf("attachment %d has no thumbnail: %w", id, desk.ErrNotFound))
				return
			}
			key, ctype = a.ThumbKey, "image/png"
		}
		rc, err := d.Blob.Open(r.Context(), key)
		if err != nil {
			api.WriteError(w, r, fmt.Errorf("attachment %d: %w", id, err))
			return
		}
		defer rc.Close()
		ServeFile(w, ctype, a.Name, !a.IsImage() && !thumb, rc)
	})
}

// ServeFile writes stored bytes safely: the type we sniffed at upload, never
// sniffed again by the browser, sandboxed, and as a download unless inline
// is safe (images).
func ServeFile(w http.ResponseWriter, contentType, name string, download bool, r io.Reader) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=86400")
	disp := "inline"
	if download {
		disp = "attachment"
	}
	h.Set("Content-Disposition", disp+"; filename*=UTF-8''"+urlPathEscape(name))
	io.Copy(w, r)
}

func urlPathEscape(s string) string {
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '.' || c == '-' || c == '_' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

// MaxBody bounds every request body before anything reads it (the auth
// middleware reads forms for their CSRF token). Handlers set tighter limits:
// 1 MiB for JSON, 10 MiB for uploads.
const MaxBody = 12 << 20

// MaxReplyBody bounds an agent's reply with its attachments (5 × 10 MiB).
const MaxReplyBody = 52 << 20

func limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(MaxBody)
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/app/conversations/") {
			limit = MaxReplyBody
		}
		if r.ContentLength > limit {
			api.WriteError(w, r, fmt.Errorf("request body over %d bytes: %w", limit, desk.ErrTooLarge))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (WebSockets
// hijack it, streaming flushes it).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs method, path (never the query: it may carry a visitor
// token), status and duration. Successful requests are logged at debug level
// so that a busy server's log stays readable.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(api.WithLogger(r.Context(), log)))
		level := slog.LevelDebug
		if sw.status >= 500 {
			level = slog.LevelError
		} else if sw.status >= 400 {
			level = slog.LevelInfo
		}
		log.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"ms", float64(time.Since(start).Microseconds())/1000)
	})
}

func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic", "path", r.URL.Path, "value", fmt.Sprint(v), "stack", string(debug.Stack()))
				api.WriteError(w, r.WithContext(api.WithLogger(r.Context(), log)), errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
