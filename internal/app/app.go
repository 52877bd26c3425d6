// Package app wires balie together: it opens the store, builds the services,
// the workers and the HTTP handler. cmd/balie calls it to serve; tests call
// it to run the real thing in-process.
//
// app is the only package besides cmd that imports adapters and services
// together.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/api"
	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/bus/pgbus"
	"github.com/balie-dev/balie/internal/casestatus"
	"github.com/balie-dev/balie/internal/channel/apichan"
	"github.com/balie-dev/balie/internal/channel/email/imap"
	"github.com/balie-dev/balie/internal/channel/email/outbound"
	"github.com/balie-dev/balie/internal/channel/email/smtpd"
	"github.com/balie-dev/balie/internal/channel/meta"
	"github.com/balie-dev/balie/internal/channel/telegram"
	"github.com/balie-dev/balie/internal/channel/webchat"
	"github.com/balie-dev/balie/internal/channel/whatsapp"
	"github.com/balie-dev/balie/internal/commerce"
	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/feedback"
	"github.com/balie-dev/balie/internal/flow"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/helpcenter"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/privacy"
	"github.com/balie-dev/balie/internal/problems"
	"github.com/balie-dev/balie/internal/realtime"
	"github.com/balie-dev/balie/internal/routing"
	"github.com/balie-dev/balie/internal/safehttp"
	"github.com/balie-dev/balie/internal/selfservice"
	"github.com/balie-dev/balie/internal/server"
	"github.com/balie-dev/balie/internal/slawatch"
	"github.com/balie-dev/balie/internal/store/postgres"
	"github.com/balie-dev/balie/internal/store/sealed"
	"github.com/balie-dev/balie/internal/store/sqlite"
	"github.com/balie-dev/balie/internal/web"
	"github.com/balie-dev/balie/internal/worker"
)

// Config says where balie keeps its data and how it serves.
type Config struct {
	DataDir       string // SQLite database and attachments
	DatabaseURL   string // postgres://...; empty: SQLite in DataDir
	SecureCookies bool
	// AllowPrivateTargets lets webhooks and API-channel replies reach
	// loopback and private addresses (tests, `balie bench`, receivers on the
	// internal network); off, they reach public addresses only.
	AllowPrivateTargets bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (server.ParseTrustedProxies).
	TrustedProxies []netip.Prefix
	// SecretKey (base64, 32 bytes; BALIE_SECRET_KEY) seals credentials at
	// rest. "" on SQLite: a key file in DataDir is made once and used; ""
	// on PostgreSQL: credentials are stored unsealed (a warning says so),
	// because every node needs the same key.
	SecretKey string
	// SMTPAddr, when set, is where balie's own SMTP server takes in mail
	// for its email inboxes (":25" behind the company's MX, or
	// "127.0.0.1:2525" behind a forwarding mail server); SMTPHostname is
	// the name it greets with.
	SMTPAddr, SMTPHostname string
	// PublicURL is the site's absolute address ("https://help.example.com"):
	// the base of every link balie sends (portal login mails, status links,
	// surveys) and of the help center's canonical links and sitemap. ""
	// derives page links from each request, but sends no login mails: a
	// link in a mail must never come from a request's Host header.
	PublicURL string
	Log       *slog.Logger
	Clock     desk.Clock // nil: the system clock
	// Bus carries events between the parts; nil: an in-process bus. New
	// sets a PostgreSQL bus when DatabaseURL is set, so that every node sees
	// every node's events.
	Bus desk.Bus
	// CommerceURL, when set, is the company's order endpoint
	// (docs/commerce.md), called with requests signed with
	// CommerceSecret; "": balie's built-in order store.
	CommerceURL, CommerceSecret string
}

// App is balie wired together.
type App struct {
	Store         desk.Store
	Where         string // which database, for the log
	Bus           desk.Bus
	Clock         desk.Clock
	Log           *slog.Logger
	Auth          *auth.Service
	Agents        *auth.Agents
	Problems      *problems.Service // recurring problems, analysed hourly
	Conversations *conversation.Service
	Contacts      *contact.Service
	KB            *kb.Service
	Front         *front.Service
	Flows         *flow.Service
	Actions       *selfservice.Catalogue // self-service actions on orders
	Feedback      *feedback.Service      // surveys, compliments, improvement signals
	CaseStatus    *casestatus.Service    // status links and status notices
	Privacy       *privacy.Service       // GDPR export, erasure, retention, access log
	Bot           *front.Bot
	Routing       *routing.Service
	SLA           *slawatch.Service // nil when the store lacks SLA support
	Outbox        *worker.Outbox
	Blob          *blob.Disk
	Hub           *realtime.Hub
	Mail          *smtpd.Deliverer // files inbound mail; SMTP and IMAP deliver through it
	SMTP          *smtpd.Server    // nil unless Config.SMTPAddr is set
	IMAP          *imap.Poller     // polls the mailboxes of email inboxes with imap settings
	Handler       http.Handler

	workers  sync.WaitGroup
	closeBus func() error // set when New opened the bus
	// imapLead makes one node of several poll the mailboxes (nil: this
	// node always does, as the single SQLite node).
	imapLead func(context.Context) (context.Context, error)
}

// OpenStore opens (creating or migrating) the configured database, with
// credentials sealed at rest (see Config.SecretKey).
func OpenStore(ctx context.Context, cfg Config) (desk.Store, string, error) {
	if u := cfg.DatabaseURL; u != "" {
		if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
			return nil, "", fmt.Errorf("database URL must start with postgres://")
		}
		st, err := postgres.Open(ctx, u)
		if err != nil {
			return nil, "", err
		}
		if cfg.SecretKey == "" {
			return st, "PostgreSQL (credentials NOT sealed: set BALIE_SECRET_KEY on every node)", nil
		}
		sst, err := seal(st, cfg.SecretKey)
		if err != nil {
			st.Close()
			return nil, "", err
		}
		return sst, "PostgreSQL", nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, "", fmt.Errorf("data directory: %w", err)
	}
	key := cfg.SecretKey
	if key == "" {
		var err error
		if key, err = keyFile(filepath.Join(cfg.DataDir, "secret.key")); err != nil {
			return nil, "", err
		}
	}
	path := filepath.Join(cfg.DataDir, "balie.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, "", err
	}
	sst, err := seal(st, key)
	if err != nil {
		st.Close()
		return nil, "", err
	}
	return sst, "SQLite " + path, nil
}

func seal(st desk.Store, key string) (desk.Store, error) {
	k, err := sealed.ParseKey(key)
	if err != nil {
		return nil, fmt.Errorf("BALIE_SECRET_KEY: %w", err)
	}
	box, err := sealed.NewBox(k)
	if err != nil {
		return nil, err
	}
	return sealed.Wrap(st, box), nil
}

// keyFile reads the data directory's sealing key, making it the first
// time (readable by the owner only).
func keyFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("secret key file: %w", err)
	}
	key := sealed.NewKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return keyFile(path) // made meanwhile by another process
		}
		return "", fmt.Errorf("secret key file: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("secret key file: %w", err)
	}
	return key, f.Close()
}

// New opens the store and builds every part. Close it when done.
func New(ctx context.Context, cfg Config) (*App, error) {
	st, where, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	var pg *pgbus.Bus
	if cfg.DatabaseURL != "" && cfg.Bus == nil {
		if pg, err = pgbus.New(ctx, cfg.DatabaseURL, cfg.Log); err != nil {
			st.Close()
			return nil, err
		}
		cfg.Bus = pg
	}
	a, err := Assemble(st, cfg)
	if err != nil {
		if pg != nil {
			pg.Close()
		}
		st.Close()
		return nil, err
	}
	if pg != nil {
		a.closeBus = pg.Close
	}
	a.Where = where
	return a, nil
}

// Assemble builds every part around an open store.
func Assemble(st desk.Store, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = desk.SystemClock{}
	}
	a := &App{Store: st, Bus: cfg.Bus, Clock: cfg.Clock, Log: cfg.Log}
	if a.Bus == nil {
		a.Bus = bus.NewLocal(0)
	}
	a.Auth = auth.New(st, a.Clock, auth.Options{ErrorWriter: api.WriteError, Logger: a.Log})
	a.Agents = auth.NewAgents(st, a.Auth)
	client := safehttp.NewClient(safehttp.Options{AllowPrivate: cfg.AllowPrivateTargets})
	// Channels with provider webhooks take messages in through the
	// conversation service, which the outbox must exist for (it kicks it):
	// the outbox gets its channel list once they are made, below.
	kick := func() {
		if a.Outbox != nil {
			a.Outbox.Kick()
		}
	}
	// The bot answers from the node that took the message in; it is made
	// after the conversation service it answers through.
	afterIngest := func(ctx context.Context, res *conversation.IngestResult) {
		if a.Bot != nil {
			a.Bot.AfterIngest(ctx, res)
		}
		if a.SLA != nil {
			a.SLA.AfterIngest(ctx, res) // the out-of-hours reply
		}
	}
	a.Conversations = conversation.New(st, a.Bus, a.Clock, a.Log, conversation.Options{Kick: kick, AfterIngest: afterIngest})
	a.Contacts = contact.New(st, a.Clock)
	a.KB = kb.New(st, a.Bus, a.Clock, a.Log, kb.Options{})
	var orders commerce.Connector = commerce.NewBuiltin(st, a.Clock, commerce.BuiltinOptions{})
	if cfg.CommerceURL != "" {
		shop, err := commerce.NewHTTP(commerce.HTTPOptions{URL: cfg.CommerceURL, Secret: cfg.CommerceSecret,
			Clock: a.Clock, Client: safehttp.NewClient(safehttp.Options{AllowPrivate: cfg.AllowPrivateTargets,
				Timeout: 10 * time.Second})})
		if err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
		orders = shop
	}
	a.Actions = selfservice.New(st, orders, a.Clock)
	a.CaseStatus = casestatus.New(st, a.Conversations, a.Clock, casestatus.Options{BaseURL: cfg.PublicURL, Log: a.Log,
		BotHandles: a.botHandles})
	a.Flows = flow.New(st, a.Clock, flow.Options{Articles: a.KB, Actions: a.Actions})
	a.Front = front.New(st, a.Conversations, a.Clock, a.Log, front.Options{HTTPClient: func(allowLocal bool) *http.Client {
		return safehttp.NewClient(safehttp.Options{AllowPrivate: allowLocal || cfg.AllowPrivateTargets, Timeout: time.Minute})
	}})
	a.Bot = a.Front.NewBot(front.BotOptions{KB: a.KB, Flows: front.FlowsFrom(a.Flows, st, cfg.PublicURL), BaseURL: cfg.PublicURL})
	a.Routing = a.newRouting(st, cfg)
	a.SLA = a.newSLA(st)
	b, err := blob.NewDisk(filepath.Join(cfg.DataDir, "attachments"))
	if err != nil {
		return nil, err
	}
	a.Blob = b
	a.Privacy = privacy.New(st, b, a.Clock, a.Log)
	tg := telegram.New(telegram.Deps{Conversations: a.Conversations, Blob: a.Blob, Clock: a.Clock, Log: a.Log,
		Client: safehttp.NewClient(safehttp.Options{AllowPrivate: cfg.AllowPrivateTargets, Timeout: telegram.Timeout})})
	wa := whatsapp.New(whatsapp.Deps{Conversations: a.Conversations, Blob: a.Blob, Clock: a.Clock, Log: a.Log,
		Client:      safehttp.NewClient(safehttp.Options{AllowPrivate: cfg.AllowPrivateTargets, Timeout: 2 * time.Minute}),
		LastInbound: a.lastInbound})
	metaDeps := meta.Deps{Conversations: a.Conversations, Blob: a.Blob, Clock: a.Clock, Log: a.Log, Messages: st,
		LastInbound: a.lastInbound,
		Client:      safehttp.NewClient(safehttp.Options{AllowPrivate: cfg.AllowPrivateTargets, Timeout: 2 * time.Minute})}
	fb, ig := meta.NewMessenger(metaDeps), meta.NewInstagram(metaDeps)
	hooks := []desk.WebhookChannel{tg, wa, fb, ig}
	smtpOut := outbound.New(outbound.Deps{Blob: a.Blob, Store: st, Clock: a.Clock, Log: a.Log})
	a.Outbox = worker.NewOutbox(st, a.Bus, a.Clock, a.Log, worker.OutboxOptions{
		Channels: []desk.Channel{apichan.New(client, a.Clock), webchat.Channel{}, tg, wa, fb, ig, smtpOut},
		Client:   client,
	})
	a.Hub = realtime.New(a.Bus, st, a.Conversations, realtime.Options{Log: a.Log})
	// Mail comes in by SMTP (balie's own server, when an address is set)
	// and by polling mailboxes over IMAP (inboxes with imap settings); both
	// file it the same way.
	inboxes := &inboxCache{st: st}
	mxHost := cfg.SMTPHostname
	if mxHost == "" {
		mxHost, _ = os.Hostname()
	}
	a.Mail = smtpd.NewDeliverer(smtpd.Deps{Conversations: a.Conversations, Inboxes: inboxes.list, Blob: a.Blob,
		Store: st, Log: a.Log, Authenticate: authenticateMail(net.DefaultResolver, mxHost)})
	if cfg.SMTPAddr != "" {
		a.SMTP = &smtpd.Server{Addr: cfg.SMTPAddr, Hostname: mxHost, Log: a.Log, Handler: a.Mail}
	}
	if cfg.DatabaseURL != "" {
		a.imapLead = pgLeader(cfg.DatabaseURL, imapLock, a.Log)
	}
	a.IMAP = imap.New(imap.Options{Inboxes: inboxes.list, Deliverer: a.Mail, Log: a.Log})
	conns := newConnections(wa, fb, ig, tg, smtpOut, a.IMAP)

	a.Problems = problems.New(st, a.Clock, a.Log, problems.Options{})
	a.Feedback = feedback.New(st, a.Conversations, a.Clock, a.Log, feedback.Options{BaseURL: cfg.PublicURL})
	apiH := api.New(api.Deps{Store: st, Conversations: a.Conversations, Contacts: a.Contacts, Agents: a.Agents,
		Clock: a.Clock, OnAgentChanged: a.agentChanged, Realtime: a.Hub.ServeAgent,
		AdminChanged: a.Conversations.InvalidateCaches, KB: a.KB, Front: a.Front, Flows: a.Flows, Connections: conns,
		Routing: a.Routing, SLA: a.SLA, Commerce: a.Actions, Problems: a.Problems, Feedback: a.Feedback, CaseStatus: a.CaseStatus,
		Privacy: a.Privacy})
	chat := webchat.New(webchat.Deps{Store: st, Conversations: a.Conversations, Blob: a.Blob, Hub: a.Hub,
		AgentsOnline: a.agentsOnline, Clock: a.Clock, Log: a.Log, KB: a.KB, Actions: a.Actions})
	ui, err := web.New(web.Deps{Store: st, Auth: a.Auth, Conversations: a.Conversations, Contacts: a.Contacts,
		Agents: a.Agents, AdminChanged: a.Conversations.InvalidateCaches, Uploads: uploads{blob: a.Blob},
		AgentChanged: a.agentChanged, AgentSignedOut: a.Hub.DropAgent,
		Clock: a.Clock, Logger: a.Log, SecureCookies: cfg.SecureCookies, KB: a.KB, Front: a.Front, Flows: a.Flows,
		Telegram: tg, Connections: conns, Mail: newMailSetup(cfg.SMTPAddr, mxHost), Presence: a.Hub, SLA: a.SLA, Routing: a.Routing,
		Commerce: a.Actions, Problems: a.Problems, Privacy: a.Privacy, Feedback: a.Feedback,
		Notices: a.CaseStatus, Surveys: a.Feedback})
	if err != nil {
		return nil, err
	}
	help, err := helpcenter.New(helpcenter.Deps{KB: a.KB, Clock: a.Clock, Log: a.Log, BaseURL: cfg.PublicURL,
		WidgetKey: a.helpChat, Flows: a.Flows, Front: a.Front, Visits: st, Settings: st, Conversations: a.Conversations, Feedback: a.Feedback,
		Portal: &helpcenter.Portal{Store: st, Status: a.CaseStatus, Conversations: a.Conversations, Actions: a.Actions,
			Mail: smtpOut, SecureCookies: cfg.SecureCookies, Privacy: a.Privacy}})
	if err != nil {
		return nil, err
	}
	a.Handler = server.Handler(server.Deps{API: apiH, Auth: a.Auth, Store: st, Blob: a.Blob,
		Surfaces: []server.Surface{ui, chat, help}, Hooks: hooks, Log: a.Log, TrustedProxies: cfg.TrustedProxies})
	return a, nil
}

// inboxCache lists the inboxes for the SMTP server, which asks for every
// recipient: at most once every ten seconds from the store.
type inboxCache struct {
	st     desk.InboxStore
	mu     sync.Mutex
	at     time.Time
	cached []desk.Inbox
}

func (c *inboxCache) list(ctx context.Context) ([]desk.Inbox, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cached != nil && time.Since(c.at) < 10*time.Second {
		return c.cached, nil
	}
	ins, err := c.st.ListInboxes(ctx)
	if err != nil {
		return nil, err
	}
	c.cached, c.at = ins, time.Now()
	return ins, nil
}

// lastInbound is when the customer last wrote in a conversation (WhatsApp's
// 24-hour window); zero when never.
func (a *App) lastInbound(ctx context.Context, conversationID int64) (time.Time, error) {
	var last time.Time
	var after int64
	for {
		msgs, err := a.Store.ListMessages(ctx, conversationID, after, 500)
		if err != nil {
			return time.Time{}, err
		}
		for _, m := range msgs {
			if m.Sender == desk.SenderContact && m.CreatedAt.After(last) {
				last = m.CreatedAt
			}
			after = m.ID
		}
		if len(msgs) < 500 {
			return last, nil
		}
	}
}

// botHandles reports whether the front-line bot still has the
// conversation (no status notices then), as routing decides it.
func (a *App) botHandles(ctx context.Context, c *desk.Conversation) bool {
	in, err := a.Store.InboxByID(ctx, c.InboxID)
	if err != nil {
		return false
	}
	return front.BotConfigOf(in).Enabled && c.HandedOverAt.IsZero()
}

// helpChat is the web-chat inbox the help center offers: the oldest one.
func (a *App) helpChat(ctx context.Context) string {
	inboxes, err := a.Store.ListInboxes(ctx)
	if err != nil {
		return ""
	}
	for _, in := range inboxes {
		if in.Channel == desk.ChannelWebChat {
			return in.PublicKey
		}
	}
	return ""
}

// agentsOnline reports whether an agent has the workspace open on this node,
// so the widget can promise a live answer; otherwise it asks for an email.
func (a *App) agentsOnline(context.Context) bool {
	agents, _ := a.Hub.Counts()
	return agents > 0
}

// Start builds the knowledge-base index, then runs the background workers
// and the realtime hub until ctx is done; Wait then waits for them to finish
// their current work.
func (a *App) Start(ctx context.Context) {
	if err := a.KB.Load(ctx); err != nil {
		// Search starts empty and fills from the next rebuild; the rest of
		// balie need not wait for it.
		a.Log.Error("knowledge base index", "err", err)
	}
	if err := a.Front.Retrain(ctx); err != nil {
		a.Log.Error("front-line classifier", "err", err)
	}
	sw := &worker.Sweeper{Every: 30 * time.Second, Log: a.Log, Jobs: []worker.Job{
		worker.ExpiredSessions(a.Store, a.Clock),
		{Name: "expired portal logins", Run: func(ctx context.Context) error {
			return a.Store.DeleteExpiredPortal(ctx, a.Clock.Now())
		}},
		worker.StatsRollup(a.Store, a.Clock),
		{Name: "recurring problems", Run: a.Problems.Job},
		{Name: "satisfaction surveys", Run: a.Feedback.Job},
		{Name: "retention", Run: a.Privacy.RetentionJob},
		{Name: "bot sweep", Run: a.Bot.Sweep},
		{Name: "wake snoozed", Run: func(ctx context.Context) error { _, err := a.Conversations.WakeSnoozed(ctx); return err }},
	}}
	kbRun := func(ctx context.Context) { a.KB.Run(ctx, 30*time.Second, time.Hour) }
	runs := []func(context.Context){a.Outbox.Run, func(ctx context.Context) { a.Hub.Run(ctx) }, sw.Run, kbRun, a.Bot.Run}
	runs = append(runs, func(ctx context.Context) {
		whileLeading(ctx, a.imapLead, a.Log, "imap poller", func(ctx context.Context) {
			if err := a.IMAP.Run(ctx); err != nil && ctx.Err() == nil {
				a.Log.Error("imap poller", "err", err)
			}
		})
	})
	runs = append(runs, a.Routing.Run, a.followAgents)
	runs = append(runs, func(ctx context.Context) { a.CaseStatus.Run(ctx, a.Bus) })
	runs = append(runs, a.slaRuns()...)
	if a.SMTP != nil {
		runs = append(runs, func(ctx context.Context) {
			if err := a.SMTP.ListenAndServe(ctx); err != nil {
				a.Log.Error("smtp server", "addr", a.SMTP.Addr, "err", err)
			}
		})
	}
	for _, run := range runs {
		a.workers.Add(1)
		go func() {
			defer a.workers.Done()
			run(ctx)
		}()
	}
	<-a.Hub.Ready()
}

// Wait blocks until the background work started by Start has stopped.
func (a *App) Wait() { a.workers.Wait() }

// Close stops the bus, sending what it still holds, then closes the store.
// Call it after Wait: workers publish events until they stop.
func (a *App) Close() error {
	var errBus error
	if a.closeBus != nil {
		errBus = a.closeBus()
	}
	return errors.Join(errBus, a.Store.Close())
}
