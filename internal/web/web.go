package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Amsterdam must load on hosts without a zone database

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/flow"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/privacy"
	"github.com/balie-dev/balie/internal/problem"
	"github.com/balie-dev/balie/internal/routing"
	"github.com/balie-dev/balie/internal/selfservice"
	"github.com/balie-dev/balie/internal/slawatch"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Store is the part of desk.Store the pages read, plus the admin writes.
type Store interface {
	MessageByID(ctx context.Context, id int64) (*desk.Message, error)
	AgentByID(ctx context.Context, id int64) (*desk.Agent, error)
	CreateAgent(ctx context.Context, a *desk.Agent) error
	UpdateAgent(ctx context.Context, a *desk.Agent) error
	ListAgents(ctx context.Context) ([]desk.Agent, error)
	SetAgentTeams(ctx context.Context, agentID int64, teamIDs []int64) error
	SetTeamMembers(ctx context.Context, teamID int64, agentIDs []int64) error

	CreateTeam(ctx context.Context, t *desk.Team) error
	UpdateTeam(ctx context.Context, t *desk.Team) error
	DeleteTeam(ctx context.Context, id int64) error
	TeamByID(ctx context.Context, id int64) (*desk.Team, error)
	ListTeams(ctx context.Context) ([]desk.Team, error)
	TeamMembers(ctx context.Context, teamID int64) ([]desk.Agent, error)

	CreateInbox(ctx context.Context, in *desk.Inbox) error
	UpdateInbox(ctx context.Context, in *desk.Inbox) error
	InboxByID(ctx context.Context, id int64) (*desk.Inbox, error)
	ListInboxes(ctx context.Context) ([]desk.Inbox, error)

	ContactByID(ctx context.Context, id int64) (*desk.Contact, error)
	ListContacts(ctx context.Context, q desk.ContactQuery) ([]desk.Contact, error)
	// The identity graph: duplicates, merge, undo and split (a split runs
	// in a transaction).
	contact.Graph
	desk.Transactor

	ConversationByID(ctx context.Context, id int64) (*desk.Conversation, error)
	ListConversations(ctx context.Context, q desk.ConversationQuery) (desk.ConversationPage, error)
	ConversationsOfContact(ctx context.Context, contactID int64, limit int) ([]desk.Conversation, error)
	SearchConversations(ctx context.Context, q desk.SearchQuery) ([]desk.SearchHit, error)
	CountConversations(ctx context.Context, q desk.ConversationQuery) (int, error)

	ListMessages(ctx context.Context, conversationID int64, afterID int64, limit int) ([]desk.Message, error)
	AttachmentsOfContact(ctx context.Context, contactID int64, limit int) ([]desk.ContactFile, error)

	ListAPITokens(ctx context.Context, agentID int64) ([]desk.APIToken, error)

	CreateWebhook(ctx context.Context, w *desk.Webhook) error
	DeleteWebhook(ctx context.Context, id int64) error
	ListWebhooks(ctx context.Context) ([]desk.Webhook, error)

	// DeflectionStats counts the contact page's visits per topic, for the
	// knowledge base's analytics.
	DeflectionStats(ctx context.Context, since, until time.Time) ([]desk.DeflectionStat, error)
}

// Conversations is what the pages ask of conversation.Service.
type Conversations interface {
	Reply(ctx context.Context, by conversation.Actor, conversationID int64, body string, atts []desk.InboundAttachment) (*desk.Message, error)
	Note(ctx context.Context, by conversation.Actor, conversationID int64, body string) (*desk.Message, error)
	Update(ctx context.Context, by conversation.Actor, conversationID int64, ch conversation.Change) (*desk.Conversation, error)
	Retry(ctx context.Context, messageID int64) (*desk.Message, error)
	Continue(ctx context.Context, by conversation.Actor, fromID, toInbox int64, body string) (*desk.Conversation, *desk.Message, error)
}

// Contacts is what the pages ask of contact.Service.
type Contacts interface {
	Update(ctx context.Context, id int64, in contact.Input) (*desk.Contact, error)
}

// Agents creates and changes agents with the one set of rules for every
// surface (validation, password hashing, dropping cached credentials);
// *auth.Agents implements it.
type Agents interface {
	Create(ctx context.Context, email, name string, role desk.Role, locale, password string) (*desk.Agent, error)
	Update(ctx context.Context, id int64, ch auth.AgentChange) (*desk.Agent, error)
}

// Auth is what the pages ask of auth.Service.
type Auth interface {
	Login(ctx context.Context, email, password, remoteIP string) (*desk.Agent, *desk.Session, string, error)
	Logout(ctx context.Context, cookieValue string) error
	CookieExpires(sess *desk.Session) time.Time
	// InvalidateAgent drops cached credentials after an agent's role or
	// status changed.
	InvalidateAgent(agentID int64)
	// SetPassword validates and stores an agent's new password; a password
	// that is too short is a desk.ValidationError for field "password".
	SetPassword(ctx context.Context, agentID int64, password string) error
	// CreateToken makes a personal API token; the plaintext is returned
	// once and never stored.
	CreateToken(ctx context.Context, agentID int64, name string) (string, *desk.APIToken, error)
	// RevokeToken deletes one of the agent's own tokens (desk.ErrNotFound
	// for anyone else's).
	RevokeToken(ctx context.Context, agentID, tokenID int64) error
}

// Uploads stores files agents attach to replies. Store reads r (at most
// MaxUpload bytes), checks the type against the allow-list and puts the
// bytes (and an image's thumbnail) in the blob store. A disallowed type is
// an error wrapping desk.ErrInvalid, a file over MaxUpload desk.ErrTooLarge.
// Discard removes the blobs of an attachment that did not end up on a
// message, so that a failed reply leaves no orphans.
type Uploads interface {
	Store(ctx context.Context, name string, r io.Reader) (desk.InboundAttachment, error)
	Discard(ctx context.Context, a desk.InboundAttachment)
}

// Limits of the reply box's attachments.
const (
	MaxUpload = 10 << 20 // bytes of one file
	MaxFiles  = 5        // files on one reply
)

// Telegram is what the inbox page asks of the Telegram channel (the app
// adapts *telegram.Channel: web does not import channel adapters).
type Telegram interface {
	SetWebhook(ctx context.Context, in desk.Inbox, publicURL string) error
	// CheckBot returns the bot's username.
	CheckBot(ctx context.Context, in desk.Inbox) (string, error)
}

// Connections tests an inbox's provider settings for the inbox page's
// "Test connection" button (the app maps each channel to its adapter's
// check: web does not import channel adapters).
type Connections interface {
	// CanTest reports whether inboxes of the channel have a test.
	CanTest(kind desk.ChannelKind) bool
	// TestConnection talks to the provider with in's settings, sending
	// nothing a customer sees, and returns a short description of what
	// answered. hookURL is where balie expects the provider to post. A
	// *desk.ValidationError names the setting to fix; any other error is
	// what went wrong on the way (the provider is down, a timeout).
	TestConnection(ctx context.Context, in desk.Inbox, hookURL string) (string, error)
}

// Deps are the handler's dependencies.
type Deps struct {
	Store         Store
	Conversations Conversations
	Contacts      Contacts
	Auth          Auth
	// Agents creates and edits agents (the admin pages and every agent's
	// profile); nil refuses those changes.
	Agents Agents
	// AgentSignedOut is called with an agent's id after they logged out or
	// an admin disabled them, so that their live connections are closed
	// (realtime.Hub.DropAgent). May be nil.
	AgentSignedOut func(agentID int64)
	// AgentChanged is called after an agent's role, status, availability,
	// password, teams, skills or capacity changed, so that every node drops
	// what it cached of them and routing reads them again. May be nil:
	// then only this node's cached credentials are dropped.
	AgentChanged func(agentID int64)
	// Uploads stores reply attachments; nil hides the file input.
	Uploads Uploads
	// AdminChanged is called after an admin created or edited an inbox or
	// a webhook, so that services drop cached copies
	// (conversation.Service.InvalidateCaches). May be nil.
	AdminChanged func()
	// KB is the knowledge base the /app/kb pages author and search; nil
	// hides them (404) and the conversation page's article search.
	KB *kb.Service
	// Front is the digital front line: categories, the bot's hand-over
	// summary, saved and suggested replies (/app/replies, /admin/front, the
	// conversation page's category and suggestions); nil hides them.
	Front *front.Service
	// Flows are the guided flows supervisors author under /app/flows; nil
	// hides them.
	Flows *flow.Service
	// Problems is the recurring-problems report (/app/problems); nil
	// hides it.
	Problems Problems
	// Feedback is the satisfaction report and the improvement signals
	// (/app/reports/csat, /app/improvements); nil hides them.
	Feedback Feedback
	// Privacy exports and erases customers, keeps the access log and the
	// retention policies (privacy.go); nil hides those pages and views are
	// not logged.
	Privacy *privacy.Service
	// Notices and Surveys are the messages customers get without an agent
	// (/admin/messages); nil leaves that part out.
	Notices Notices
	Surveys SurveySettings
	// Telegram connects Telegram inboxes (setWebhook) and tests their bot
	// token (getMe) from the inbox page; nil hides those buttons.
	Telegram Telegram
	// Connections tests inboxes' provider settings from the inbox page;
	// nil hides the Test connection button.
	Connections Connections
	// Mail is balie's mail set-up for the email inbox page (DKIM key and
	// record, where MX points); nil hides the DKIM button and record.
	Mail MailSetup
	// Presence tells the live board who has which conversation open
	// (realtime.Hub); nil shows nobody viewing.
	Presence Presence
	// SLA keeps service levels: the policy and team-hours pages, the
	// supervisors' /app/sla list, the inbox badges and the conversation's
	// SLA panel; nil hides them.
	SLA *slawatch.Service
	// Routing assigns conversations: the rules pages, agents' skills and
	// capacity, contacts' account owners; nil hides them.
	Routing *routing.Service
	// Commerce is the self-service catalogue: the customer panel's orders
	// and action buttons (orders.go); nil hides them.
	Commerce *selfservice.Catalogue
	Clock    desk.Clock
	Logger   *slog.Logger
	// Location is where times are shown; nil: Europe/Amsterdam.
	Location *time.Location
	// DefaultLocale is used when neither the agent nor the browser picks a
	// supported one; empty: "nl".
	DefaultLocale string
	// SecureCookies marks cookies Secure; true whenever served over HTTPS.
	SecureCookies bool
}

// Handler serves the pages.
type Handler struct {
	d       Deps
	log     *slog.Logger
	loc     *time.Location
	cats    map[string]catalog
	pages   map[string]map[string]*template.Template // locale → page → template
	static  http.Handler
	version map[string]string // static file → content hash
}

// page names; each is templates/<name>.html parsed with layout.html and
// parts.html.
var pageNames = []string{"login", "inbox", "conversation", "search", "contact", "error",
	"admin_overview", "admin_agents", "admin_agent", "admin_teams", "admin_team",
	"admin_inboxes", "admin_inbox", "admin_webhooks", "profile",
	"kb_list", "kb_article", "kb_edit", "kb_categories", "kb_analytics", "kb_settings",
	"front_admin", "replies", "flows", "flow_edit", "flow_preview", "flow_stats", "reports", "staffing", "live", "problems", "csat", "improvements",
	"admin_sla", "admin_team_hours", "sla_board",
	"admin_routing", "admin_agent_routing", "contact_owner",
	"privacy_contact", "admin_privacy", "admin_messages"}

// New parses the templates and catalogues and returns the handler.
func New(d Deps) (*Handler, error) {
	if d.Store == nil || d.Conversations == nil || d.Auth == nil {
		return nil, errors.New("web: new: Store, Conversations and Auth are required")
	}
	if d.Clock == nil {
		d.Clock = desk.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.DefaultLocale == "" {
		d.DefaultLocale = "nl"
	}
	h := &Handler{d: d, log: d.Logger, loc: d.Location}
	if h.loc == nil {
		loc, err := time.LoadLocation("Europe/Amsterdam")
		if err != nil {
			return nil, fmt.Errorf("web: new: %w", err)
		}
		h.loc = loc
	}
	cats, err := loadCatalogs(localeFS)
	if err != nil {
		return nil, fmt.Errorf("web: new: %w", err)
	}
	if _, ok := cats[d.DefaultLocale]; !ok {
		return nil, fmt.Errorf("web: new: no catalogue for default locale %q", d.DefaultLocale)
	}
	h.cats = cats
	if err := h.hashStatic(); err != nil {
		return nil, fmt.Errorf("web: new: %w", err)
	}
	h.pages = map[string]map[string]*template.Template{}
	for loc := range cats {
		h.pages[loc] = map[string]*template.Template{}
		for _, name := range pageNames {
			t, err := template.New(name).Funcs(h.funcs(loc)).ParseFS(templateFS,
				"templates/layout.html", "templates/parts.html", "templates/orders.html", "templates/"+name+".html")
			if err != nil {
				return nil, fmt.Errorf("web: new: parse %s: %w", name, err)
			}
			h.pages[loc][name] = t
		}
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("web: new: %w", err)
	}
	h.static = http.StripPrefix("/static/", http.FileServerFS(sub))
	return h, nil
}

func (h *Handler) hashStatic() error {
	h.version = map[string]string{}
	return fs.WalkDir(staticFS, "static", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h.version[strings.TrimPrefix(path, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
}

// Routes registers the pages on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /logout", h.logout)

	mux.HandleFunc("GET /app", h.agentOnly(h.inbox))
	mux.HandleFunc("GET /app/{$}", h.agentOnly(h.inbox))
	mux.HandleFunc("GET /app/fragments/conversation-row/{id}", h.agentOnly(h.rowFragment))
	mux.HandleFunc("GET /app/fragments/conversation-panel/{id}", h.agentOnly(h.panelFragment))
	mux.HandleFunc("GET /app/fragments/counts", h.agentOnly(h.countsFragment))
	mux.HandleFunc("GET /app/conversations/{id}", h.agentOnly(h.conversationPage))
	mux.HandleFunc("POST /app/conversations/{id}/messages", h.guard(anyAgent, maxUploadForm, h.postMessage))
	mux.HandleFunc("POST /app/conversations/{id}/messages/{n}/retry", h.agentOnly(h.postRetry))
	mux.HandleFunc("POST /app/conversations/{id}/assign", h.agentOnly(h.postAssign))
	mux.HandleFunc("POST /app/conversations/{id}/transfer", h.agentOnly(h.postTransfer))
	mux.HandleFunc("POST /app/conversations/{id}/continue", h.agentOnly(h.postContinue))
	mux.HandleFunc("POST /app/conversations/{id}/labels", h.agentOnly(h.postLabels))
	mux.HandleFunc("POST /app/conversations/{id}/priority", h.agentOnly(h.postPriority))
	mux.HandleFunc("POST /app/conversations/{id}/snooze", h.agentOnly(h.postSnooze))
	mux.HandleFunc("POST /app/conversations/{id}/status", h.agentOnly(h.postStatus))
	mux.HandleFunc("GET /app/search", h.agentOnly(h.search))
	mux.HandleFunc("GET /app/contacts/{id}", h.agentOnly(h.contactPage))
	mux.HandleFunc("POST /app/contacts/{id}", h.agentOnly(h.postContact))
	mux.HandleFunc("POST /app/contacts/{id}/merge", h.agentOnly(h.postMerge))
	mux.HandleFunc("POST /app/contacts/{id}/split", h.agentOnly(h.postSplit))
	mux.HandleFunc("POST /app/contact-merges/{id}/undo", h.agentOnly(h.postUndoMerge))
	mux.HandleFunc("GET /app/profile", h.agentOnly(h.profile))
	mux.HandleFunc("POST /app/profile", h.agentOnly(h.postProfile))
	mux.HandleFunc("POST /app/profile/password", h.agentOnly(h.postPassword))
	mux.HandleFunc("POST /app/profile/tokens", h.agentOnly(h.postToken))
	mux.HandleFunc("POST /app/profile/tokens/{id}/delete", h.agentOnly(h.deleteToken))

	h.kbRoutes(mux)
	h.frontRoutes(mux)
	h.flowRoutes(mux)
	h.problemRoutes(mux)
	h.messageRoutes(mux)
	h.feedbackRoutes(mux)
	h.orderRoutes(mux)
	h.reportRoutes(mux)
	h.liveRoutes(mux)
	h.slaRoutes(mux)
	h.routingRoutes(mux)
	h.privacyRoutes(mux)

	mux.HandleFunc("GET /admin", h.adminOnly(h.adminOverview))
	mux.HandleFunc("GET /admin/{$}", h.adminOnly(h.adminOverview))
	mux.HandleFunc("GET /admin/agents", h.adminOnly(h.adminAgents))
	mux.HandleFunc("POST /admin/agents", h.adminOnly(h.adminCreateAgent))
	mux.HandleFunc("GET /admin/agents/{id}", h.adminOnly(h.adminAgent))
	mux.HandleFunc("POST /admin/agents/{id}", h.adminOnly(h.adminUpdateAgent))
	mux.HandleFunc("POST /admin/agents/{id}/password", h.adminOnly(h.adminAgentPassword))
	mux.HandleFunc("GET /admin/teams", h.adminOnly(h.adminTeams))
	mux.HandleFunc("POST /admin/teams", h.adminOnly(h.adminCreateTeam))
	mux.HandleFunc("GET /admin/teams/{id}", h.adminOnly(h.adminTeam))
	mux.HandleFunc("POST /admin/teams/{id}", h.adminOnly(h.adminUpdateTeam))
	mux.HandleFunc("POST /admin/teams/{id}/delete", h.adminOnly(h.adminDeleteTeam))
	mux.HandleFunc("GET /admin/inboxes", h.adminOnly(h.adminInboxes))
	mux.HandleFunc("POST /admin/inboxes", h.adminOnly(h.adminCreateInbox))
	mux.HandleFunc("GET /admin/inboxes/{id}", h.adminOnly(h.adminInbox))
	mux.HandleFunc("POST /admin/inboxes/{id}", h.adminOnly(h.adminUpdateInbox))
	mux.HandleFunc("POST /admin/inboxes/{id}/telegram/connect", h.adminOnly(h.adminTelegramConnect))
	mux.HandleFunc("POST /admin/inboxes/{id}/telegram/check", h.adminOnly(h.adminTelegramCheck))
	mux.HandleFunc("POST /admin/inboxes/{id}/test", h.adminOnly(h.adminInboxTest))
	mux.HandleFunc("POST /admin/inboxes/{id}/dkim", h.adminOnly(h.adminInboxDKIM))
	mux.HandleFunc("GET /admin/webhooks", h.adminOnly(h.adminWebhooks))
	mux.HandleFunc("POST /admin/webhooks", h.adminOnly(h.adminCreateWebhook))
	mux.HandleFunc("POST /admin/webhooks/{id}/delete", h.adminOnly(h.adminDeleteWebhook))

	mux.HandleFunc("GET /static/", h.serveStatic)
}

// serveStatic serves embedded files. URLs carry the content hash (?v=), so
// a versioned request may be cached for a year.
func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("v") != "" {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=3600")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.static.ServeHTTP(w, r)
}

// req is one request's context for the page handlers.
type req struct {
	w      http.ResponseWriter
	r      *http.Request
	agent  *desk.Agent
	csrf   string
	locale string
}

func (q *req) actor() conversation.Actor {
	return conversation.Actor{AgentID: q.agent.ID, Name: q.agent.Name}
}

// principal returns the request's session principal. API tokens do not open
// the browser pages: they carry no CSRF token for the forms.
func principal(r *http.Request) (*auth.Principal, bool) {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok || p.Agent == nil || p.ViaToken || p.Session == nil || p.Agent.Disabled {
		return nil, false
	}
	return p, true
}

// guard checks the principal, the role and, on POST, the CSRF token, and
// then calls fn. A POST body may be at most limit bytes; only a route with
// a limit above maxForm reads multipart bodies (the reply box's files).
func (h *Handler) guard(allowed func(desk.Role) bool, limit int64, fn func(*req)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := principal(r)
		if !ok {
			if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/app/fragments/") {
				http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h.errorPage(w, r, h.locale(r, nil), nil, http.StatusUnauthorized)
			return
		}
		q := &req{w: w, r: r, agent: p.Agent, csrf: p.Session.CSRFToken, locale: h.locale(r, p.Agent)}
		if !allowed(p.Agent.Role) {
			h.errorPage(w, r, q.locale, q, http.StatusForbidden)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if err := parseBody(r, limit); err != nil {
				status := http.StatusBadRequest
				if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
					status = http.StatusRequestEntityTooLarge
				}
				h.errorPage(w, r, q.locale, q, status)
				return
			}
			if r.MultipartForm != nil {
				// Files over the in-memory share went to temporary files.
				defer r.MultipartForm.RemoveAll()
			}
			if err := auth.CheckCSRF(r, p); err != nil {
				h.errorPage(w, r, q.locale, q, http.StatusForbidden)
				return
			}
		}
		fn(q)
	}
}

// parseBody reads a form body: multipart only where the route allows more
// than a plain form (the server's auth middleware may have parsed it
// already, which makes this a no-op).
func parseBody(r *http.Request, limit int64) error {
	if limit > maxForm && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(multipartMemory)
	}
	return r.ParseForm()
}

const (
	// maxForm bounds a form body: a reply is at most 64 KiB of text.
	maxForm = 256 << 10
	// maxUploadForm bounds a reply with files: MaxFiles files and the text.
	maxUploadForm = MaxFiles*MaxUpload + 1<<20
	// multipartMemory is how much of an upload is held in memory; the rest
	// is spooled to temporary files.
	multipartMemory = 1 << 20
)

func anyAgent(r desk.Role) bool { return r.AtLeast(desk.RoleAgent) }

func (h *Handler) agentOnly(fn func(*req)) http.HandlerFunc {
	return h.guard(anyAgent, maxForm, fn)
}

func (h *Handler) adminOnly(fn func(*req)) http.HandlerFunc {
	return h.guard(func(r desk.Role) bool { return r.AtLeast(desk.RoleSupervisor) }, maxForm, fn)
}

// view is what every page template gets.
type view struct {
	Title    string
	Locale   string
	Agent    *desk.Agent
	CSRF     string
	Nav      string // highlighted navigation entry
	Flash    *flash
	Admin    bool // may open /admin
	KB       bool // the knowledge base is there
	Replies  bool // saved replies are there
	Flows    bool // the agent may author flows
	Front    bool // the agent may change the front line's settings
	SLA      bool // service levels are wired (sla.go)
	Privacy  bool // GDPR pages are wired (privacy.go)
	Problems bool // the recurring-problems report is wired
	PageAttr string
	// D is the page's own data.
	D any
}

func (h *Handler) render(w http.ResponseWriter, q *req, status int, name, nav string, d any) {
	v := view{Locale: q.locale, Nav: nav, D: d}
	if q.agent != nil {
		v.Agent, v.CSRF = q.agent, q.csrf
		v.Admin = q.agent.Role.AtLeast(desk.RoleSupervisor)
	}
	v.KB = h.d.KB != nil
	v.Replies = h.d.Front != nil && q.agent != nil
	v.Flows = h.d.Flows != nil && v.Admin
	v.Front = h.d.Front != nil && q.agent != nil && q.agent.Role.AtLeast(desk.RoleAdmin)
	v.SLA = h.d.SLA != nil && q.agent != nil
	v.Privacy = h.d.Privacy != nil && q.agent != nil
	v.Problems = h.d.Problems != nil
	if q.r != nil {
		v.Flash = takeFlash(q.w, q.r, h.cats[q.locale], h.d.SecureCookies)
	}
	h.renderView(w, q.locale, status, name, "layout", v)
}

func (h *Handler) renderView(w http.ResponseWriter, locale string, status int, name, tmpl string, v any) {
	t := h.pages[locale][name]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, tmpl, v); err != nil {
		h.log.Error("web: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	if hd.Get("Content-Security-Policy") == "" {
		// The server normally sets the policy; this keeps the pages safe
		// when the handler is mounted on its own.
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage renders a page for an HTTP error status in the agent's language.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, locale string, q *req, status int) {
	if q == nil {
		q = &req{w: w, r: r, locale: locale}
	}
	h.render(w, q, status, "error", "", errorData{Status: status, Key: errorKey(status)})
}

type errorData struct {
	Status int
	Key    string
}

func errorKey(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "error.unauthorized"
	case http.StatusForbidden:
		return "error.forbidden"
	case http.StatusNotFound:
		return "error.not_found"
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusUnsupportedMediaType:
		return "error.bad_request"
	case http.StatusRequestEntityTooLarge:
		return "error.too_large"
	case http.StatusConflict:
		return "error.conflict"
	case http.StatusTooManyRequests:
		return "error.rate_limited"
	}
	return "error.internal"
}

// fail answers a failed read: the error page with the matching status.
func (h *Handler) fail(q *req, err error) {
	status := statusOf(err)
	if status >= 500 {
		h.log.Error("web: request failed", "path", q.r.URL.Path, "err", err)
	}
	h.errorPage(q.w, q.r, q.locale, q, status)
}

// statusOf maps an error to an HTTP status: problem.Status, the one mapping
// the API, the widget and the pages share.
func statusOf(err error) int { return problem.Status(err) }

// back redirects after a POST (PRG) with a flash message.
func (h *Handler) back(q *req, to string, f flash) {
	setFlash(q.w, f, h.d.SecureCookies)
	http.Redirect(q.w, q.r, to, http.StatusSeeOther)
}

// failed redirects after a POST that did not succeed, with a message
// describing err in the agent's language.
func (h *Handler) failed(q *req, to string, err error) {
	f := flash{Kind: "error", Key: "flash.error"}
	var ve *desk.ValidationError
	switch {
	case errors.As(err, &ve):
		f.Key, f.Field = "flash.invalid", ve.Field
	case errors.Is(err, desk.ErrInvalid):
		f.Key = "flash.invalid_plain"
	case errors.Is(err, desk.ErrTooLarge):
		f.Key = "flash.too_large"
	case errors.Is(err, desk.ErrNotFound):
		f.Key = "flash.not_found"
	case errors.Is(err, desk.ErrConflict):
		f.Key = "flash.conflict"
	case errors.Is(err, desk.ErrForbidden):
		f.Key = "flash.forbidden"
	default:
		h.log.Error("web: action failed", "path", q.r.URL.Path, "err", err)
	}
	h.back(q, to, f)
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("id %q: %w", r.PathValue("id"), desk.ErrNotFound)
	}
	return id, nil
}

func formID(r *http.Request, name string) (int64, error) {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, desk.Invalid(name, "not an id")
	}
	return id, nil
}
