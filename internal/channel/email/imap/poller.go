package imap

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/channel/email/smtpd"
	"github.com/balie-dev/balie/internal/desk"
)

// Inbox settings of an email inbox that reads an existing mailbox. The
// inbox also needs smtpd.SettingAddress: mail is filed as if sent to it.
const (
	SettingHost     = "imap_host"
	SettingPort     = "imap_port"     // default 993, or 143 for starttls and none
	SettingTLS      = "imap_tls"      // tls (default), starttls, or none (loopback only)
	SettingUsername = "imap_username" // default: the inbox's address
	SettingPassword = "imap_password" // a secret: never logged
	SettingMailbox  = "imap_mailbox"  // default INBOX
	SettingInterval = "imap_interval" // seconds between polls without IDLE; default Options.Interval
)

// Deliverer files one raw mail; *smtpd.Deliverer is the one balie uses.
// It returns nil also for a mail it deliberately drops (a duplicate, an
// auto-reply, a bounce).
type Deliverer interface {
	Deliver(ctx context.Context, env smtpd.Envelope, data []byte) error
}

// Options configure a Poller.
type Options struct {
	// Inboxes lists the inboxes; Run reads it every Refresh to start,
	// restart (settings changed) and stop the mailboxes it watches.
	Inboxes   func(ctx context.Context) ([]desk.Inbox, error)
	Deliverer Deliverer
	Log       *slog.Logger
	Interval  time.Duration // between polls when the server has no IDLE; default 60s
	IdleMax   time.Duration // the longest IDLE before polling anyway; default 10 minutes
	Refresh   time.Duration // between reads of the inbox list in Run; default 1 minute
	MaxSize   int64         // the largest mail fetched; default smtpd.DefaultMaxSize
	Batch     int           // mails per round; default 50
	// TLSConfig is the base for connections (RootCAs in tests); nil for
	// the system's roots.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each command; default 2 minutes.
	Timeout time.Duration
}

// Poller reads new mail from the mailboxes of email inboxes that have
// IMAP settings and hands it to a Deliverer. The \Seen flag on the server
// is the durable mark of "filed"; the last UID per inbox is kept in memory
// so that a mail that cannot be filed is not fetched again each round.
type Poller struct {
	o     Options
	mu    sync.Mutex
	state map[int64]mailboxState
}

// mailboxState is where reading an inbox's mailbox got to.
type mailboxState struct {
	key      string // the connection settings it belongs to
	validity uint32 // the mailbox's UIDVALIDITY; UIDs mean nothing across a change
	last     uint32 // every UID up to this one was handled
}

// New returns a Poller.
func New(o Options) *Poller {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.IdleMax <= 0 {
		o.IdleMax = 10 * time.Minute
	}
	if o.Refresh <= 0 {
		o.Refresh = time.Minute
	}
	if o.MaxSize <= 0 {
		o.MaxSize = smtpd.DefaultMaxSize
	}
	if o.Batch <= 0 {
		o.Batch = 50
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	return &Poller{o: o, state: map[int64]mailboxState{}}
}

// Configured reports whether an inbox reads a mailbox over IMAP.
func Configured(in desk.Inbox) bool {
	return in.Channel == desk.ChannelEmail && strings.TrimSpace(in.Settings[SettingHost]) != ""
}

// config is an inbox's IMAP settings, checked.
type config struct {
	addr     string // host:port
	mode     TLSMode
	user     string
	password string
	mailbox  string
	address  string // the inbox's own address
	interval time.Duration
}

// key identifies the settings that make a mailbox and its connection; a
// hash, so that the password is not kept in the clear twice.
func (c config) key() string {
	h := sha256.Sum256([]byte(strings.Join([]string{c.addr, string(c.mode), c.user, c.password, c.mailbox, c.address, c.interval.String()}, "\x00")))
	return hex.EncodeToString(h[:])
}

func (p *Poller) configOf(in desk.Inbox) (config, error) {
	s := in.Settings
	if in.Channel != desk.ChannelEmail {
		return config{}, fmt.Errorf("imap: inbox %d: %w", in.ID, desk.Invalid("channel", "not an email inbox"))
	}
	host := strings.TrimSpace(s[SettingHost])
	if host == "" {
		return config{}, fmt.Errorf("imap: inbox %d: %w", in.ID, desk.Invalid(SettingHost, "no IMAP server given"))
	}
	c := config{
		mode:     TLSMode(strings.ToLower(strings.TrimSpace(s[SettingTLS]))),
		user:     s[SettingUsername],
		password: s[SettingPassword],
		mailbox:  strings.TrimSpace(s[SettingMailbox]),
		address:  strings.TrimSpace(s[smtpd.SettingAddress]),
		interval: p.o.Interval,
	}
	if c.mode == "" {
		c.mode = TLSImplicit
	}
	port := 993
	switch c.mode {
	case TLSImplicit:
	case TLSStart, TLSNone:
		port = 143
	default:
		return config{}, fmt.Errorf("imap: inbox %d: %w", in.ID, desk.Invalid(SettingTLS, "want tls, starttls or none"))
	}
	if c.mode == TLSNone && !isLoopback(host) {
		return config{}, fmt.Errorf("imap: inbox %d: %w", in.ID, desk.Invalid(SettingTLS, "an unencrypted connection is only allowed to this machine"))
	}
	if v := strings.TrimSpace(s[SettingPort]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return config{}, fmt.Errorf("imap: inbox %d: %w", in.ID, desk.Invalid(SettingPort, "not a port number"))
		}
		port = n
	}
	c.addr = net.JoinHostPort(host, strconv.Itoa(port))
	if c.address == "" || !strings.Contains(c.address, "@") {
		return config{}, fmt.Errorf("imap: inbox %d: %w", in.ID, desk.Invalid(smtpd.SettingAddress, "the inbox needs its email address"))
	}
	if c.user == "" {
		c.user = c.address
	}
	if c.password == "" {
		return config{}, fmt.Errorf("imap: inbox %d: %w", in.ID, desk.Invalid(SettingPassword, "no password given"))
	}
	if c.mailbox == "" {
		c.mailbox = "INBOX"
	}
	if v := strings.TrimSpace(s[SettingInterval]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return config{}, fmt.Errorf("imap: inbox %d: %w", in.ID, desk.Invalid(SettingInterval, "not a number of seconds"))
		}
		c.interval = time.Duration(n) * time.Second
	}
	return c, nil
}

// connect dials, logs in and selects the mailbox.
func (p *Poller) connect(ctx context.Context, cfg config) (*Client, Mailbox, error) {
	dctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
	defer cancel()
	c, err := Dial(dctx, cfg.addr, cfg.mode, p.o.TLSConfig, ClientOptions{MaxLiteral: p.o.MaxSize, Timeout: p.o.Timeout})
	if err != nil {
		return nil, Mailbox{}, err
	}
	if err := c.Login(dctx, cfg.user, cfg.password); err != nil {
		c.Close()
		return nil, Mailbox{}, err
	}
	mb, err := c.Select(dctx, cfg.mailbox)
	if err != nil {
		c.Close()
		return nil, Mailbox{}, fmt.Errorf("imap: select %q: %w", cfg.mailbox, err)
	}
	return c, mb, nil
}

// logout ends a session without holding up a shutdown for long.
func logout(ctx context.Context, c *Client) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	c.Logout(ctx)
}

// Check tests an inbox's settings: it connects, logs in and opens the
// mailbox. Bad settings are desk.ErrInvalid, a refused login ErrAuth.
func (p *Poller) Check(ctx context.Context, in desk.Inbox) error {
	cfg, err := p.configOf(in)
	if err != nil {
		return err
	}
	c, _, err := p.connect(ctx, cfg)
	if err != nil {
		return err
	}
	logout(ctx, c)
	return nil
}

// PollOnce connects, files the unseen mail of an inbox's mailbox (at most
// one batch) and logs out. It returns how many mails the Deliverer took.
func (p *Poller) PollOnce(ctx context.Context, in desk.Inbox) (n int, err error) {
	cfg, err := p.configOf(in)
	if err != nil {
		return 0, err
	}
	c, mb, err := p.connect(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer logout(ctx, c)
	n, _, err = p.poll(ctx, c, mb, in, cfg)
	return n, err
}

// stateFor returns the inbox's state, starting afresh when the settings
// or the mailbox's UIDVALIDITY changed.
func (p *Poller) stateFor(inboxID int64, key string, validity uint32) mailboxState {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.state[inboxID]
	if st.key != key || st.validity != validity {
		st = mailboxState{key: key, validity: validity}
		p.state[inboxID] = st
	}
	return st
}

// advance records that every UID up to uid was handled.
func (p *Poller) advance(inboxID int64, key string, uid uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.state[inboxID]; st.key == key && uid > st.last {
		st.last = uid
		p.state[inboxID] = st
	}
}

// poll files one batch of unseen mail; more says another batch waits.
func (p *Poller) poll(ctx context.Context, c *Client, mb Mailbox, in desk.Inbox, cfg config) (n int, more bool, err error) {
	key := cfg.key()
	st := p.stateFor(in.ID, key, mb.UIDValidity)
	criteria := "UNSEEN"
	if st.last > 0 {
		criteria = fmt.Sprintf("UID %d:* UNSEEN", st.last+1)
	}
	found, err := c.UIDSearch(ctx, criteria)
	if err != nil {
		return 0, false, fmt.Errorf("imap: inbox %d: %w", in.ID, err)
	}
	var uids []uint32
	for _, u := range found {
		// "n:*" includes the last message even when its UID is below n.
		if u > st.last {
			uids = append(uids, u)
		}
	}
	if len(uids) > p.o.Batch {
		uids, more = uids[:p.o.Batch], true
	}
	sizes, err := c.FetchSizes(ctx, uids)
	if err != nil {
		return 0, false, fmt.Errorf("imap: inbox %d: %w", in.ID, err)
	}
	log := p.o.Log.With("inbox", in.ID, "mailbox", cfg.mailbox)
	for _, uid := range uids {
		size, ok := sizes[uid]
		if !ok { // expunged meanwhile
			p.advance(in.ID, key, uid)
			continue
		}
		if size > p.o.MaxSize {
			// Left unread in the mailbox, where a person can still see it.
			log.Warn("imap: mail too large, left unread in the mailbox", "uid", uid, "size", size, "max", p.o.MaxSize)
			p.advance(in.ID, key, uid)
			continue
		}
		raw, err := c.FetchMessage(ctx, uid)
		switch {
		case errors.Is(err, desk.ErrNotFound), errors.Is(err, desk.ErrTooLarge):
			log.Warn("imap: mail not fetched, left in the mailbox", "uid", uid, "err", err)
			p.advance(in.ID, key, uid)
			continue
		case err != nil:
			return n, false, fmt.Errorf("imap: inbox %d: %w", in.ID, err)
		}
		env := smtpd.Envelope{
			ID:         fmt.Sprintf("imap-%d-%d-%d", in.ID, mb.UIDValidity, uid),
			To:         recipients(cfg.address, raw),
			RemoteAddr: cfg.addr,
			TLS:        cfg.mode != TLSNone,
			Mailbox:    true,
		}
		err = p.o.Deliverer.Deliver(ctx, env, raw)
		switch {
		case errors.Is(err, desk.ErrInvalid), errors.Is(err, desk.ErrTooLarge):
			// It will not file better next time: leave it unread for a
			// person to look at, and go on with the rest.
			log.Error("imap: mail not filed, left unread in the mailbox", "uid", uid, "err", err)
			p.advance(in.ID, key, uid)
			continue
		case err != nil:
			// Temporary (the database is away): stop here, retry later.
			return n, false, fmt.Errorf("imap: inbox %d: deliver uid %d: %w", in.ID, uid, err)
		}
		n++
		p.advance(in.ID, key, uid)
		// Filed first, marked after: a crash in between refetches the
		// mail, and the Deliverer recognises its Message-ID.
		if err := c.AddFlags(ctx, uid, `\Seen`); err != nil {
			return n, false, fmt.Errorf("imap: inbox %d: mark uid %d seen: %w", in.ID, uid, err)
		}
	}
	return n, more, nil
}

// recipients is the envelope for a fetched mail: the inbox's address, and
// any reply address of it (local+tag@domain) the headers name, so that a
// per-conversation reply address threads as it does over SMTP. Addresses
// of other inboxes are left out: this mail came from this inbox's mailbox.
func recipients(address string, raw []byte) []string {
	out := []string{address}
	local, domain, _ := strings.Cut(address, "@")
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return out
	}
	for _, h := range []string{"Delivered-To", "X-Original-To", "To", "Cc"} {
		for _, v := range m.Header[h] {
			list, err := mail.ParseAddressList(v)
			if err != nil {
				continue
			}
			for _, a := range list {
				l, d, ok := strings.Cut(a.Address, "@")
				base, _, tagged := strings.Cut(l, "+")
				if ok && tagged && strings.EqualFold(d, domain) && strings.EqualFold(base, local) && len(out) < 5 {
					out = append(out, a.Address)
				}
			}
		}
	}
	return out
}

// Run watches the mailbox of every email inbox with IMAP settings until
// ctx ends: IDLE where the server has it, polling otherwise. Inboxes added,
// changed or removed are picked up within Options.Refresh. It returns nil
// when ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	type watcher struct {
		key    string
		cancel context.CancelFunc
		done   chan struct{}
	}
	running := map[int64]*watcher{}
	stop := func(id int64) {
		w := running[id]
		w.cancel()
		<-w.done
		delete(running, id)
	}
	defer func() {
		for id := range running {
			stop(id)
		}
	}()
	tick := time.NewTicker(p.o.Refresh)
	defer tick.Stop()
	for {
		inboxes, err := p.o.Inboxes(ctx)
		if err != nil && ctx.Err() == nil {
			p.o.Log.Error("imap: list inboxes", "err", err)
		}
		if err == nil {
			seen := map[int64]bool{}
			for _, in := range inboxes {
				if !Configured(in) {
					continue
				}
				seen[in.ID] = true
				cfg, err := p.configOf(in)
				key := ""
				if err == nil {
					key = cfg.key()
				}
				if w := running[in.ID]; w != nil {
					if w.key == key {
						continue
					}
					stop(in.ID)
				}
				if err != nil {
					p.o.Log.Warn("imap: inbox not watched", "inbox", in.ID, "err", err)
					running[in.ID] = &watcher{key: key, cancel: func() {}, done: closedChan()}
					continue
				}
				wctx, cancel := context.WithCancel(ctx)
				w := &watcher{key: key, cancel: cancel, done: make(chan struct{})}
				running[in.ID] = w
				go func() {
					defer close(w.done)
					p.watch(wctx, in, cfg)
				}()
			}
			for id := range running {
				if !seen[id] {
					stop(id)
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// Backoff between failed sessions: doubling from backoffMin to backoffMax.
const (
	backoffMin = 5 * time.Second
	backoffMax = 5 * time.Minute
)

// watch keeps a session with one inbox's mailbox until ctx ends,
// reconnecting with backoff after errors.
func (p *Poller) watch(ctx context.Context, in desk.Inbox, cfg config) {
	log := p.o.Log.With("inbox", in.ID, "server", cfg.addr, "mailbox", cfg.mailbox)
	wait := time.Duration(0)
	for ctx.Err() == nil {
		worked, err := p.session(ctx, in, cfg)
		if ctx.Err() != nil {
			return
		}
		if worked {
			wait = 0
		}
		wait = min(max(2*wait, backoffMin), backoffMax)
		// Jitter keeps many inboxes on one server from reconnecting at once.
		d := wait/2 + rand.N(wait/2+1)
		log.Warn("imap: mailbox unavailable, retrying", "err", err, "retry_in", d.Round(time.Second))
		if !sleep(ctx, d) {
			return
		}
	}
}

// session logs in and polls until an error or ctx ends; worked says it
// got as far as one successful round.
func (p *Poller) session(ctx context.Context, in desk.Inbox, cfg config) (worked bool, err error) {
	c, mb, err := p.connect(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer logout(ctx, c)
	idle := true
	for {
		before := c.Exists()
		_, more, err := p.poll(ctx, c, mb, in, cfg)
		if err != nil {
			return worked, err
		}
		worked = true
		if more || c.Exists() != before {
			continue
		}
		if idle {
			_, err := c.Idle(ctx, p.o.IdleMax)
			switch {
			case ctx.Err() != nil:
				return worked, nil
			case errors.Is(err, ErrNoIdle):
				idle = false
			case err != nil:
				return worked, err
			default:
				continue
			}
		}
		if !sleep(ctx, cfg.interval) {
			return worked, nil
		}
	}
}

// sleep waits d or until ctx ends; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
