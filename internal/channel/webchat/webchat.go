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
// The widget opens on a help view (help.go): the contextual FAQ and search
// of the knowledge base, articles read inside the widget, and "was this
// helpful?", before and beside the chat. In the chat, the bot's messages
// (internal/front) are marked as automated and its numbered choices and
// "did this help?" become buttons. An inbox's proactive triggers
// (proactive.go) come with the widget's config and open a teaser beside the
// launcher. A known visitor's conversations on every channel are listed for
// the help center's contact page (cases.go).
//
// A company's site may vouch for a logged-in visitor with a signed identity
// token (identity.go, internal/idtoken); only then is the visitor linked to
// an existing customer. Balie.logout() unlinks the browser again
// (logout.go).
//
// webchat imports desk, contact and conversation (for their types and
// rules), kb (the help view), realtime (the visitor shapes and hub), blob,
// idtoken and problem.
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
	"sync"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/problem"
	"github.com/balie-dev/balie/internal/realtime"
	"github.com/balie-dev/balie/internal/selfservice"
)

// Limits.
const (
	MaxUpload    = 10 << 20 // bytes of one uploaded file
	maxJSON      = 96 << 10 // a message body is at most 64 KiB of text, escaped
	historyLimit = 200
	thumbSide    = 320
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
	// DropVisitor closes the sockets opened with a visitor key (logout).
	DropVisitor(key string)
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
	// Limits bound anonymous traffic; zero fields take the defaults.
	Limits Limits
	// KB answers the widget's help view; nil leaves the help routes out.
	KB *kb.Service
	// Actions runs "My orders" for identified visitors (orders.go); nil
	// leaves those routes out.
	Actions *selfservice.Catalogue
}

// Handler serves the widget and its API.
type Handler struct {
	d        Deps
	contacts *contact.Service
	// One limiter per kind of key; see Limits.
	visitors, clientSessions, clientPosts, inboxes *limiter
	clientReads, inboxHelp                         *limiter
	script                                         []byte
	scriptGz                                       []byte
	etag                                           string
	demo                                           *template.Template
	// warned holds, per inbox, the faulty proactive setting last logged.
	warnMu sync.Mutex
	warned map[int64]string
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
	lim := d.Limits.withDefaults()
	d.Limits = lim
	return &Handler{d: d, contacts: contact.New(d.Store, d.Clock),
		visitors:       newLimiter(lim.Visitor, lim.Keys),
		clientSessions: newLimiter(lim.ClientSessions, lim.Keys),
		clientPosts:    newLimiter(lim.ClientPosts, lim.Keys),
		inboxes:        newLimiter(lim.Inbox, lim.Keys),
		clientReads:    newLimiter(lim.ClientReads, lim.Keys),
		inboxHelp:      newLimiter(lim.InboxHelp, lim.Keys),
		script:         widgetJS, scriptGz: gz.Bytes(),
		etag:   `"` + hex.EncodeToString(sum[:8]) + `"`,
		demo:   template.Must(template.New("demo").Parse(demoHTML)),
		warned: map[int64]string{}}
}

// ScriptSizes reports the widget script's size, plain and gzipped.
func (h *Handler) ScriptSizes() (plain, gzipped int) { return len(h.script), len(h.scriptGz) }

// Routes registers the widget's routes.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /widget.js", h.serveScript)
	mux.HandleFunc("GET /widget/demo", h.serveDemo)
	mux.Handle("OPTIONS /widget/api/", cors(http.HandlerFunc(preflight)))
	mux.Handle("GET /widget/api/config", cors(http.HandlerFunc(h.config)))
	mux.Handle("POST /widget/api/session", cors(http.HandlerFunc(h.session)))
	mux.Handle("POST /widget/api/messages", cors(http.HandlerFunc(h.postMessage)))
	mux.Handle("POST /widget/api/upload", cors(http.HandlerFunc(h.upload)))
	mux.Handle("POST /widget/api/contact-details", cors(http.HandlerFunc(h.contactDetails)))
	mux.Handle("POST /widget/api/identify", cors(http.HandlerFunc(h.identifyVisitor)))
	mux.Handle("POST /widget/api/logout", cors(http.HandlerFunc(h.logout)))
	mux.Handle("GET /widget/api/cases", cors(http.HandlerFunc(h.cases)))
	mux.HandleFunc("GET /widget/attachments/{id}", h.attachment)
	mux.HandleFunc("GET /widget/attachments/{id}/thumb", h.attachment)
	mux.HandleFunc("GET /widget/ws", h.websocket)
	if h.d.KB != nil {
		h.helpRoutes(mux)
	}
	if h.d.Actions != nil {
		h.orderRoutes(mux)
	}
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

// serveDemo renders the demo page. With an identity parameter the tag
// carries it as data-identity-token, as a shop's page for a logged-in
// customer would, and an empty one as a shop's page after logout.
func (h *Handler) serveDemo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q := r.URL.Query()
	h.demo.Execute(w, struct {
		Inbox, Locale, Identity string
		HasIdentity             bool
	}{q.Get("inbox"), q.Get("locale"), q.Get("identity"), q.Has("identity")})
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
			return fmt.Errorf("webchat: body over %d bytes: %w", maxJSON, desk.ErrTooLarge)
		}
		return fmt.Errorf("webchat: malformed JSON: %v: %w", err, problem.ErrBadRequest)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError answers with problem.Write. Visitors are anonymous: they read
// only public texts, never an internal error chain.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	opts := problem.Options{Log: h.d.Log, Public: true}
	if rl, ok := errors.AsType[*rateLimited](err); ok {
		opts.RetryAfter = rl.retryAfter()
	}
	problem.Write(w, r, err, opts)
}

// Channel is the desk.Channel of web chat. Agents' replies reach visitors
// over their WebSocket as soon as they are stored, so there is nothing to
// send through the outbox.
type Channel struct{}

// Kind is desk.ChannelWebChat.
func (Channel) Kind() desk.ChannelKind { return desk.ChannelWebChat }

// Send does nothing: delivery is live, through the realtime hub.
func (Channel) Send(context.Context, desk.Outbound) (string, error) { return "", nil }

// visitorFields are the inbox and visitor token every widget POST carries.
type visitorFields struct {
	Inbox string `json:"inbox"`
	Token string `json:"token"`
}

// admitPost reads a widget POST: the per-address limit, the JSON body into
// req, and the visitor its inbox and token (or the X-Balie-Visitor header)
// name. On failure it has answered.
func (h *Handler) admitPost(w http.ResponseWriter, r *http.Request, req any, f *visitorFields) (*visitor, bool) {
	if err := h.check(h.clientPosts, clientKey(r.RemoteAddr), "requests from this address"); err != nil {
		h.writeError(w, r, err)
		return nil, false
	}
	if err := decode(w, r, req); err != nil {
		h.writeError(w, r, err)
		return nil, false
	}
	token, _ := visitorToken(r, f.Token)
	v, err := h.admitVisitor(r.Context(), f.Inbox, token)
	if err != nil {
		h.writeError(w, r, err)
		return nil, false
	}
	return v, true
}
