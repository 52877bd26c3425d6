// Package api is balie's JSON API under /api/v1: thin handlers that decode a
// request, call a service or the store, and encode the answer. Every route is
// declared once in a table with the least role it needs; the OpenAPI document
// and the role tests are checked against that table.
//
// api imports desk, wire, auth and the services.
package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/balie-dev/balie/internal/casestatus"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/feedback"
	"github.com/balie-dev/balie/internal/flow"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/privacy"
	"github.com/balie-dev/balie/internal/problems"
	"github.com/balie-dev/balie/internal/routing"
	"github.com/balie-dev/balie/internal/selfservice"
	"github.com/balie-dev/balie/internal/slawatch"
	"github.com/balie-dev/balie/internal/wire"
)

// MaxJSON is the largest JSON request body accepted.
const MaxJSON = 1 << 20

type loggerKey struct{}

// principal is the authenticated caller, as the auth middleware found it.
func principal(r *http.Request) *auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

// WithLogger stores the request logger in ctx.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

func loggerFrom(r *http.Request) *slog.Logger {
	l, _ := r.Context().Value(loggerKey{}).(*slog.Logger)
	return l
}

// Deps are what the API needs.
type Deps struct {
	Store         desk.Store
	Conversations *conversation.Service
	Contacts      *contact.Service
	Agents        Agents
	Clock         desk.Clock
	// Tokens revokes cached tokens when an agent is disabled; may be nil.
	OnAgentChanged func(agentID int64)
	// Realtime serves the agents' WebSocket; may be nil.
	Realtime func(w http.ResponseWriter, r *http.Request, agent *desk.Agent)
	// AdminChanged is called after inboxes or webhooks change.
	AdminChanged func()
	// KB is the knowledge base.
	KB *kb.Service
	// Front is the front line (categories, suggestions, AI); Flows the
	// guided flows.
	Front *front.Service
	Flows *flow.Service
	// Connections tests inboxes' provider settings
	// (POST /inboxes/{id}/test); nil: that route answers 404.
	Connections Connections
	// Routing previews the routing rules; nil: the preview answers 404.
	Routing *routing.Service
	// SLA keeps SLA policies and teams' hours (sla.go); nil: those routes
	// answer 404.
	SLA *slawatch.Service
	// Commerce runs self-service actions on orders (commerce.go); nil:
	// those routes answer 404, but orders can still be pushed.
	Commerce *selfservice.Catalogue
	// Problems is the recurring-problems report; nil: its routes answer 404.
	Problems *problems.Service
	// CaseStatus keeps the customers' status links and the choice of
	// status notices; nil: those routes answer 404.
	CaseStatus *casestatus.Service
	// Feedback runs the satisfaction surveys; nil: /reports/csat answers 404.
	Feedback *feedback.Service
	// Privacy exports and erases customers and keeps the personal-data
	// access log (privacy.go); nil: those routes answer 404 and views
	// are not logged.
	Privacy *privacy.Service
}

// Connections tests an inbox's provider settings; the app maps each
// channel to its adapter's check (api does not import channel adapters).
type Connections interface {
	// CanTest reports whether inboxes of the channel have a test.
	CanTest(kind desk.ChannelKind) bool
	// TestConnection talks to the provider with in's settings, sending
	// nothing a customer sees, and returns a short description of what
	// answered. hookURL is where balie expects the provider to post; ""
	// compares only its path. A *desk.ValidationError names the setting
	// to fix.
	TestConnection(ctx context.Context, in desk.Inbox, hookURL string) (string, error)
}

// Handler serves the API.
type Handler struct {
	Deps
	routes []Route
}

// Route is one API route: its method and path (relative to /api/v1), the
// least role allowed to call it (empty: public), and its handler.
type Route struct {
	Method  string
	Path    string
	Role    desk.Role
	Summary string
	// In and Out are example values of the request and response bodies,
	// from which the OpenAPI document takes their schemas.
	In, Out any
	// Query lists the query parameters the route reads.
	Query   []string
	handler func(http.ResponseWriter, *http.Request) error
}

func (rt Route) io(in, out any) Route {
	rt.In, rt.Out = in, out
	return rt
}

func (rt Route) query(names ...string) Route {
	rt.Query = names
	return rt
}

// New returns the API handler.
func New(d Deps) *Handler {
	h := &Handler{Deps: d}
	h.routes = h.table()
	return h
}

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Routes lists every route, for the server, the docs and the tests.
func (h *Handler) Routes() []Route { return h.routes }

// Serve runs a route's handler after checking the caller's role. The server
// has authenticated the request (or not) before.
func (h *Handler) Serve(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.Role != "" {
			p := principal(r)
			if p == nil || p.Agent == nil {
				WriteError(w, r, fmt.Errorf("sign in or send a bearer token: %w", desk.ErrUnauthorized))
				return
			}
			if !p.Agent.Role.AtLeast(rt.Role) {
				WriteError(w, r, fmt.Errorf("this needs the %s role: %w", rt.Role, desk.ErrForbidden))
				return
			}
		}
		if err := rt.handler(w, r); err != nil {
			WriteError(w, r, err)
		}
	})
}

// Mount registers every route on mux, wrapped by wrap (authentication).
func (h *Handler) Mount(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	for _, rt := range h.routes {
		mux.Handle(rt.Method+" "+Prefix+rt.Path, wrap(h.Serve(rt)))
	}
}

func (h *Handler) table() []Route {
	r := func(method, path string, role desk.Role, summary string, fn func(http.ResponseWriter, *http.Request) error) Route {
		return Route{Method: method, Path: path, Role: role, Summary: summary, handler: fn}
	}
	A, S, X := desk.RoleAgent, desk.RoleSupervisor, desk.RoleAdmin
	routes := []Route{
		r("GET", "/openapi.json", "", "This API as an OpenAPI 3.1 document", h.openAPI),
		r("GET", "/me", A, "The caller", h.me).io(nil, agentJSON{}),
		r("GET", "/contacts", A, "List or search contacts", h.listContacts).io(nil, list[wire.Contact]{}).query("q", "limit", "offset"),
		r("POST", "/contacts", A, "Create a contact", h.createContact).io(contactIn{}, wire.Contact{}),
		r("GET", "/contacts/{id}", A, "Get a contact with its identities", h.getContact).io(nil, wire.Contact{}),
		r("PATCH", "/contacts/{id}", A, "Update a contact", h.updateContact).io(contactIn{}, wire.Contact{}),
		r("PUT", "/contacts/{id}/owner", A, "Set a contact's account owner (0: none)", h.setOwner).io(ownerIn{}, wire.Contact{}),
		r("GET", "/contacts/{id}/conversations", A, "Every conversation of a contact", h.contactConversations).io(nil, list[wire.Conversation]{}),
		r("GET", "/conversations", A, "List conversations, newest activity first", h.listConversations).io(nil, conversationPage{}).
			query("view", "status", "channel", "inbox_id", "team_id", "label", "contact_id", "sla", "limit", "cursor"),
		r("POST", "/conversations", A, "Open a conversation with its first customer message", h.createConversation).io(newConversationIn{}, newConversationOut{}),
		r("GET", "/conversations/{id}", A, "Get a conversation", h.getConversation).io(nil, wire.Conversation{}),
		r("PATCH", "/conversations/{id}", A, "Change status, priority, assignee, team, labels, snooze, subject", h.updateConversation).io(changeIn{}, wire.Conversation{}),
		r("POST", "/conversations/{id}/transfer", A, "Transfer to a team or agent with a note", h.transfer).io(transferIn{}, wire.Conversation{}),
		r("POST", "/conversations/{id}/continue", A, "Answer on another channel: a new conversation in another inbox; this one is resolved", h.continueConversation).io(continueIn{}, continueOut{}),
		r("GET", "/conversations/{id}/messages", A, "List a conversation's messages", h.listMessages).io(nil, list[wire.Message]{}).query("after_id", "limit"),
		r("POST", "/conversations/{id}/messages", A, "Add a customer message, an agent reply or a note", h.createMessage).io(newMessageIn{}, wire.Message{}),
		r("GET", "/search", A, "Search conversations", h.search).io(nil, list[searchHit]{}).query("q", "limit"),
		r("GET", "/agents", A, "List agents", h.listAgents).io(nil, list[agentJSON]{}),
		r("POST", "/agents", X, "Create an agent", h.createAgent).io(agentIn{}, agentJSON{}),
		r("GET", "/agents/{id}", A, "Get an agent", h.getAgent).io(nil, agentJSON{}),
		r("PATCH", "/agents/{id}", A, "Update an agent (others: admin only)", h.updateAgent).io(agentIn{}, agentJSON{}),
		r("GET", "/teams", A, "List teams", h.listTeams).io(nil, list[teamJSON]{}),
		r("POST", "/teams", S, "Create a team", h.createTeam).io(teamIn{}, teamJSON{}),
		r("GET", "/teams/{id}", A, "Get a team with its members", h.getTeam).io(nil, teamJSON{}),
		r("PATCH", "/teams/{id}", S, "Update a team", h.updateTeam).io(teamIn{}, teamJSON{}),
		r("GET", "/routing/rules", S, "List routing rules in evaluation order", h.listRules).io(nil, list[ruleJSON]{}),
		r("POST", "/routing/rules", X, "Create a routing rule (it goes last)", h.createRule).io(ruleIn{}, ruleJSON{}),
		r("PUT", "/routing/rules/{id}", X, "Replace a routing rule", h.updateRule).io(ruleIn{}, ruleJSON{}),
		r("DELETE", "/routing/rules/{id}", X, "Delete a routing rule", h.deleteRule),
		r("POST", "/routing/rules/{id}/move", X, "Move a routing rule one place earlier (-1) or later (1)", h.moveRule).io(moveIn{}, list[ruleJSON]{}),
		r("POST", "/routing/preview", S, "Which rule and agent a conversation would get now, and why", h.previewRouting).io(previewIn{}, previewOut{}),
		r("DELETE", "/teams/{id}", S, "Delete a team", h.deleteTeam),
		r("GET", "/inboxes", A, "List inboxes", h.listInboxes).io(nil, list[inboxJSON]{}),
		r("POST", "/inboxes", X, "Create an inbox", h.createInbox).io(inboxIn{}, inboxJSON{}),
		r("GET", "/inboxes/{id}", A, "Get an inbox", h.getInbox).io(nil, inboxJSON{}),
		r("PATCH", "/inboxes/{id}", X, "Update an inbox", h.updateInbox).io(inboxIn{}, inboxJSON{}),
		r("POST", "/inboxes/{id}/test", X, "Test an inbox's connection to its provider", h.testInbox).io(nil, connectionTest{}),
		r("GET", "/webhooks", X, "List outgoing webhooks", h.listWebhooks).io(nil, list[webhookJSON]{}),
		r("POST", "/webhooks", X, "Create an outgoing webhook", h.createWebhook).io(webhookIn{}, webhookJSON{}),
		r("DELETE", "/webhooks/{id}", X, "Delete an outgoing webhook", h.deleteWebhook),
		r("GET", "/outbox", S, "Outbox queue depth", h.outbox).io(nil, outboxDepth{}),
		r("GET", "/realtime", A, "WebSocket of live events", h.realtime),
	}
	routes = append(routes, h.kbRoutes(r)...)
	routes = append(routes, h.identityRoutes(r)...)
	routes = append(routes, h.reportRoutes(r)...)
	routes = append(routes, h.problemRoutes(r)...)
	routes = append(routes, h.statusRoutes(r)...)
	routes = append(routes, h.feedbackRoutes(r)...)
	routes = append(routes, h.slaRoutes(r)...)
	routes = append(routes, h.commerceRoutes(r)...)
	routes = append(routes, h.privacyRoutes(r)...)
	return append(routes, h.frontRoutes(r)...)
}

// decode reads a strict JSON body into v.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("send Content-Type application/json: %w", errBadRequest)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if _, ok := err.(*http.MaxBytesError); ok {
			return err
		}
		return fmt.Errorf("malformed JSON: %v: %w", err, errBadRequest)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("malformed JSON: trailing data: %w", errBadRequest)
	}
	return nil
}

func write(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("id %q: %w", r.PathValue("id"), desk.ErrNotFound)
	}
	return id, nil
}

func queryInt(r *http.Request, name string, def, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, desk.Invalid(name, "must be a non-negative integer")
	}
	if max > 0 && n > max {
		n = max
	}
	return n, nil
}

func queryID(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, desk.Invalid(name, "must be an id")
	}
	return n, nil
}

// EncodeCursor turns a list position into an opaque string.
func EncodeCursor(c *desk.Cursor) string {
	if c == nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixNano(), 10) + ":" + strconv.FormatInt(c.ID, 10)))
}

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(s string) (*desk.Cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, desk.Invalid("cursor", "malformed")
	}
	at, id, ok := strings.Cut(string(b), ":")
	ns, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, desk.Invalid("cursor", "malformed")
	}
	return &desk.Cursor{At: time.Unix(0, ns).UTC(), ID: n}, nil
}

func actor(r *http.Request) conversation.Actor {
	p := principal(r)
	if p == nil || p.Agent == nil {
		return conversation.Actor{}
	}
	return conversation.Actor{AgentID: p.Agent.ID, Name: p.Agent.Name}
}

// Agents creates and changes agents (hashing passwords, checking roles).
type Agents interface {
	Create(ctx context.Context, email, name string, role desk.Role, locale, password string) (*desk.Agent, error)
	Update(ctx context.Context, id int64, ch AgentChange) (*desk.Agent, error)
}

// AgentChange lists the agent fields to change; nil fields stay.
type AgentChange = auth.AgentChange
