// Package webchat is the web-chat channel: the embeddable widget script
// (/widget.js), the visitor API it talks to (/widget/api/...), attachment
// downloads and the visitor WebSocket.
//
// A visitor is known by a random token the widget keeps in localStorage; only
// its SHA-256 is stored, as the contact's desk.IdentityVisitor identity. The
// contact is created with the visitor's first message, not on page view. A
// visitor sees only their own conversations in the widget's inbox, and only
// what a customer may see (no notes, no activity, no agent-internal fields).
//
// webchat imports desk, contact and conversation (for their types and
// rules), realtime (the visitor shapes and hub) and blob.
package webchat

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/realtime"
)

// Limits.
const (
	MaxUpload    = 10 << 20 // bytes of one uploaded file
	maxJSON      = 96 << 10 // a message body is at most 64 KiB of text, escaped
	historyLimit = 200
	thumbSide    = 320
	// Visitors may post this many messages and uploads per window.
	rateBurst  = 20
	rateWindow = 10 * time.Second
)

// VisitorHeader carries the visitor token on API calls.
const VisitorHeader = "X-Balie-Visitor"

// Store is what the channel reads and writes directly.
type Store interface {
	desk.ContactStore
	desk.Transactor
	InboxByKey(ctx context.Context, publicKey string) (*desk.Inbox, error)
	ConversationByID(ctx context.Context, id int64) (*desk.Conversation, error)
	ConversationsOfContact(ctx context.Context, contactID int64, limit int) ([]desk.Conversation, error)
	ListMessages(ctx context.Context, conversationID, afterID int64, limit int) ([]desk.Message, error)
	MessageByID(ctx context.Context, id int64) (*desk.Message, error)
	AttachmentByID(ctx context.Context, id int64) (*desk.Attachment, error)
}

// Conversations stores visitors' messages; conversation.Service implements it.
type Conversations interface {
	Ingest(ctx context.Context, in desk.Inbound) (*conversation.IngestResult, error)
}

// Hub serves visitor WebSockets; realtime.Hub implements it.
type Hub interface {
	ServeVisitor(w http.ResponseWriter, r *http.Request, v realtime.Visitor)
	BindVisitor(key string, contactID int64)
}

// Deps are the Handler's collaborators.
type Deps struct {
	Store         Store
	Conversations Conversations
	Blob          desk.Blob
	Hub           Hub
	// AgentsOnline reports whether someone can answer live; when not, the
	// widget asks for an email address.
	AgentsOnline func(ctx context.Context) bool
	Clock        desk.Clock
	Log          *slog.Logger
}

// Handler serves the widget and its API.
type Handler struct {
	d        Deps
	contacts *contact.Service
	limiter  *limiter
	script   []byte
	scriptGz []byte
	etag     string
	demo     *template.Template
}

//go:embed static/widget.js
var widgetJS []byte

//go:embed static/demo.html
var demoHTML string

// New returns the web-chat handler.
func New(d Deps) *Handler {
	if d.Clock == nil {
		d.Clock = desk.SystemClock{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.AgentsOnline == nil {
		d.AgentsOnline = func(context.Context) bool { return false }
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(widgetJS)
	zw.Close()
	sum := sha256.Sum256(widgetJS)
	return &Handler{d: d, contacts: contact.New(d.Store, d.Clock),
		limiter: newLimiter(rateBurst, rateWindow), script: widgetJS, scriptGz: gz.Bytes(),
		etag: `"` + hex.EncodeToString(sum[:8]) + `"`,
		demo: template.Must(template.New("demo").Parse(demoHTML))}
}

// ScriptSizes reports the widget script's size, plain and gzipped.
func (h *Handler) ScriptSizes() (plain, gzipped int) { return len(h.script), len(h.scriptGz) }

// Routes registers the widget's routes.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /widget.js", h.serveScript)
	mux.HandleFunc("GET /widget/demo", h.serveDemo)
	mux.Handle("OPTIONS /widget/api/", cors(http.HandlerFunc(preflight)))
	mux.Handle("POST /widget/api/session", cors(http.HandlerFunc(h.session)))
	mux.Handle("POST /widget/api/messages", cors(http.HandlerFunc(h.postMessage)))
	mux.Handle("POST /widget/api/upload", cors(http.HandlerFunc(h.upload)))
	mux.Handle("POST /widget/api/contact-details", cors(http.HandlerFunc(h.contactDetails)))
	mux.HandleFunc("GET /widget/attachments/{id}", h.attachment)
	mux.HandleFunc("GET /widget/attachments/{id}/thumb", h.attachment)
	mux.HandleFunc("GET /widget/ws", h.websocket)
}

// cors lets any site call the visitor API. No credentials: visitors are
// authenticated by their token, never by cookies.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		next.ServeHTTP(w, r)
	})
}

func preflight(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, "+VisitorHeader)
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) serveScript(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/javascript; charset=utf-8")
	hd.Set("Cache-Control", "public, max-age=3600")
	hd.Set("ETag", h.etag)
	hd.Set("Vary", "Accept-Encoding")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, h.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := h.script
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		hd.Set("Content-Encoding", "gzip")
		body = h.scriptGz
	}
	hd.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			return strings.ReplaceAll(params, " ", "") != "q=0"
		}
	}
	return false
}

func (h *Handler) serveDemo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	h.demo.Execute(w, struct{ Inbox, Locale string }{r.URL.Query().Get("inbox"), r.URL.Query().Get("locale")})
}

// visitorToken returns the token from the header, else from the fallback
// (the JSON body or a query parameter), if it has the shape newToken makes.
func visitorToken(r *http.Request, fallback string) (string, bool) {
	t := r.Header.Get(VisitorHeader)
	if t == "" {
		t = fallback
	}
	return t, validToken(t)
}

func newToken() string {
	var b [32]byte
	mustRandom(b[:])
	return hex.EncodeToString(b[:])
}

func validToken(t string) bool {
	if len(t) != 64 {
		return false
	}
	_, err := hex.DecodeString(t)
	return err == nil && strings.ToLower(t) == t
}

// tokenHash is the stored identity value: the token itself is never stored.
func tokenHash(t string) string {
	s := sha256.Sum256([]byte(t))
	return hex.EncodeToString(s[:])
}

// decode reads a JSON body strictly and within limits.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxJSON)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("body over %d bytes: %w", maxJSON, desk.ErrTooLarge)
		}
		return fmt.Errorf("%w: %v", errBadJSON, err)
	}
	return nil
}

var errBadJSON = errors.New("malformed JSON")

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// problem is an RFC 9457 error body.
type problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Field  string `json:"field,omitempty"`
}

// writeError maps an error to a problem+json answer. Unexpected errors are
// logged here, once, and their text is not shown to visitors.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	var ve *desk.ValidationError
	switch {
	case errors.Is(err, errBadJSON):
		status = http.StatusBadRequest
	case errors.Is(err, errUnsupportedType):
		status = http.StatusUnsupportedMediaType
	case errors.Is(err, desk.ErrInvalid):
		status = http.StatusUnprocessableEntity
	case errors.Is(err, desk.ErrTooLarge):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, desk.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, desk.ErrUnauthorized):
		status = http.StatusUnauthorized
	case errors.Is(err, desk.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, desk.ErrRateLimited):
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", "10")
	case errors.Is(err, desk.ErrConflict):
		status = http.StatusConflict
	}
	p := problem{Title: http.StatusText(status), Status: status, Detail: err.Error()}
	if errors.As(err, &ve) {
		p.Field = ve.Field
	}
	if status == http.StatusInternalServerError {
		h.d.Log.Error("webchat: request failed", "path", r.URL.Path, "err", err)
		p.Detail = "something went wrong; please try again"
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

// Channel is the desk.Channel of web chat. Agents' replies reach visitors
// over their WebSocket as soon as they are stored, so there is nothing to
// send through the outbox.
type Channel struct{}

// Kind is desk.ChannelWebChat.
func (Channel) Kind() desk.ChannelKind { return desk.ChannelWebChat }

// Send does nothing: delivery is live, through the realtime hub.
func (Channel) Send(context.Context, desk.Outbound) (string, error) { return "", nil }
