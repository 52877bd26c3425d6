package imap

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// ErrAuth is returned when the server refuses the username or password.
var ErrAuth = errors.New("imap: authentication failed")

// ErrNoIdle is returned by Idle when the server does not offer IDLE.
var ErrNoIdle = errors.New("imap: server does not support IDLE")

// StatusError is a NO or BAD answer to a command.
type StatusError struct {
	Command string // the command's name, e.g. SELECT
	Status  string // NO or BAD
	Code    string // the response code without brackets, e.g. AUTHENTICATIONFAILED
	Text    string
}

func (e *StatusError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("imap: %s: %s [%s] %s", e.Command, e.Status, e.Code, e.Text)
	}
	return fmt.Sprintf("imap: %s: %s %s", e.Command, e.Status, e.Text)
}

// TLSMode says how a connection is secured.
type TLSMode string

const (
	TLSImplicit TLSMode = "tls"      // TLS from the first byte, usually port 993
	TLSStart    TLSMode = "starttls" // plain, upgraded with STARTTLS, usually port 143
	TLSNone     TLSMode = "none"     // no TLS; Dial allows it for loopback addresses only
)

// ClientOptions tune a Client.
type ClientOptions struct {
	// MaxLiteral is the largest literal (message body) read into memory;
	// larger ones are skipped. Default 25 MiB.
	MaxLiteral int64
	// Timeout bounds a command whose context has no deadline. Default 5
	// minutes.
	Timeout time.Duration
}

// Client is one IMAP4rev1 (RFC 3501) connection, with just what balie
// needs to read a mailbox. It is not safe for concurrent use. A network
// error, a cancelled command or a protocol error makes it unusable: every
// later call returns that error, and the caller should Close it.
type Client struct {
	conn    net.Conn
	rd      *reader
	w       *bufio.Writer
	timeout time.Duration
	tagN    int
	caps    map[string]bool
	capsGen int    // counts updates of caps
	exists  uint32 // messages in the selected mailbox, as last reported

	// One goroutine reads responses, one at a time on request, so that a
	// command can wait for the next response and for its context at once
	// (IDLE needs that) without the reader running ahead of STARTTLS.
	want    chan struct{}
	got     chan readResult
	pending bool

	err       error // sticky: why the connection is unusable
	closeOnce sync.Once
}

type readResult struct {
	r   *response
	err error
}

// Dial connects to addr ("host:port"), secures the connection as mode
// says, and reads the server's greeting. conf may be nil; its ServerName
// defaults to the host.
func Dial(ctx context.Context, addr string, mode TLSMode, conf *tls.Config, o ClientOptions) (*Client, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("imap: dial: %w", desk.Invalid("imap_host", err.Error()))
	}
	if mode == TLSNone && !isLoopback(host) {
		return nil, fmt.Errorf("imap: dial: %w", desk.Invalid("imap_tls", "an unencrypted connection is only allowed to this machine"))
	}
	if conf == nil {
		conf = &tls.Config{}
	}
	conf = conf.Clone()
	if conf.ServerName == "" {
		conf.ServerName = host
	}
	if conf.MinVersion == 0 {
		conf.MinVersion = tls.VersionTLS12
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("imap: dial: %w", err)
	}
	if mode == TLSImplicit {
		tc := tls.Client(conn, conf)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("imap: dial: tls: %w", err)
		}
		conn = tc
	}
	c, err := NewClient(ctx, conn, o)
	if err != nil {
		return nil, err
	}
	switch mode {
	case TLSImplicit, TLSNone:
	case TLSStart:
		if err := c.StartTLS(ctx, conf); err != nil {
			c.Close()
			return nil, err
		}
	default:
		c.Close()
		return nil, fmt.Errorf("imap: dial: %w", desk.Invalid("imap_tls", fmt.Sprintf("unknown mode %q, want tls, starttls or none", mode)))
	}
	return c, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewClient reads the greeting on an established connection. The Client
// owns conn from then on, also when NewClient fails.
func NewClient(ctx context.Context, conn net.Conn, o ClientOptions) (*Client, error) {
	if o.MaxLiteral <= 0 {
		o.MaxLiteral = 25 << 20
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	c := &Client{
		conn:    conn,
		rd:      &reader{r: bufio.NewReader(conn), maxLiteral: o.MaxLiteral},
		w:       bufio.NewWriter(conn),
		timeout: o.Timeout,
		want:    make(chan struct{}, 1),
		got:     make(chan readResult, 1),
	}
	go c.readLoop()
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	r, err := c.next(ctx)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("imap: greeting: %w", err)
	}
	if r.tag != "*" || (r.kind != "OK" && r.kind != "PREAUTH") {
		c.Close()
		return nil, fmt.Errorf("imap: greeting: %w: %s %s", errProtocol, r.kind, r.text)
	}
	return c, nil
}

func (c *Client) readLoop() {
	for range c.want {
		r, err := c.rd.next()
		c.got <- readResult{r, err}
		if err != nil {
			return
		}
	}
}

// Close closes the connection without a LOGOUT.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		if c.err == nil {
			c.err = fmt.Errorf("imap: %w", net.ErrClosed)
		}
		err = c.conn.Close()
		close(c.want)
	})
	return err
}

// fail makes the client unusable for the reason err, and closes it.
func (c *Client) fail(err error) error {
	if c.err == nil {
		c.err = err
	}
	c.Close()
	return c.err
}

func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.timeout)
}

// next returns the next response. When ctx ends first it returns ctx's
// error and the read stays outstanding: the next call gets its response.
func (c *Client) next(ctx context.Context) (*response, error) {
	if c.err != nil {
		return nil, c.err
	}
	if !c.pending {
		c.want <- struct{}{}
		c.pending = true
	}
	select {
	case res := <-c.got:
		c.pending = false
		if res.err != nil {
			return nil, c.fail(fmt.Errorf("imap: read: %w", res.err))
		}
		c.track(res.r)
		return res.r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// track keeps the state that any response may update.
func (c *Client) track(r *response) {
	switch {
	case r.kind == "EXISTS":
		c.exists = r.num
	case r.kind == "EXPUNGE" && c.exists > 0:
		c.exists--
	case r.kind == "CAPABILITY":
		c.setCaps(r.fields)
	case strings.HasPrefix(strings.ToUpper(r.code), "CAPABILITY "):
		var fs []any
		for f := range strings.FieldsSeq(r.code[len("CAPABILITY "):]) {
			fs = append(fs, atom(f))
		}
		c.setCaps(fs)
	}
}

func (c *Client) setCaps(fields []any) {
	c.capsGen++
	c.caps = map[string]bool{}
	for _, f := range fields {
		if s, ok := str(f); ok {
			c.caps[strings.ToUpper(s)] = true
		}
	}
}

// write sends bytes with the context's deadline.
func (c *Client) write(ctx context.Context, b ...[]byte) error {
	if c.err != nil {
		return c.err
	}
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetWriteDeadline(dl)
	}
	for _, p := range b {
		c.w.Write(p)
	}
	if err := c.w.Flush(); err != nil {
		return c.fail(fmt.Errorf("imap: write: %w", err))
	}
	return nil
}

// quote is an argument sent as an IMAP astring: a quoted string, or a
// literal when it holds line breaks or bytes beyond ASCII.
type quote string

// begin sends a command and returns its tag. Arguments are raw text
// (string), quote or a literal ([]byte); a synchronising literal waits for
// the server's go-ahead.
func (c *Client) begin(ctx context.Context, name string, args ...any) (string, error) {
	c.tagN++
	tag := "b" + strconv.Itoa(c.tagN)
	var line strings.Builder
	line.WriteString(tag + " " + name)
	for _, a := range args {
		line.WriteByte(' ')
		var lit []byte
		switch a := a.(type) {
		case string:
			line.WriteString(a)
			continue
		case quote:
			if needsLiteral(string(a)) {
				lit = []byte(a)
			} else {
				line.WriteString(`"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(string(a)) + `"`)
				continue
			}
		case []byte:
			lit = a
		default:
			panic(fmt.Sprintf("imap: argument of type %T", a))
		}
		sync := !c.Has("LITERAL+")
		if sync {
			line.WriteString("{" + strconv.Itoa(len(lit)) + "}\r\n")
		} else {
			line.WriteString("{" + strconv.Itoa(len(lit)) + "+}\r\n")
		}
		if err := c.write(ctx, []byte(line.String())); err != nil {
			return "", err
		}
		line.Reset()
		if sync {
			if err := c.awaitContinue(ctx, tag, name); err != nil {
				return "", err
			}
		}
		if err := c.write(ctx, lit); err != nil {
			return "", err
		}
	}
	line.WriteString("\r\n")
	return tag, c.write(ctx, []byte(line.String()))
}

func needsLiteral(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r > 0x7e })
}

// awaitContinue waits for a continuation request ("+"); the command's
// tagged answer instead means the server refused it.
func (c *Client) awaitContinue(ctx context.Context, tag, name string) error {
	for {
		r, err := c.next(ctx)
		if err != nil {
			return c.fail(err)
		}
		switch r.tag {
		case "+":
			return nil
		case tag:
			return statusErr(name, r)
		}
	}
}

// finish reads responses up to the command's tagged one, passing untagged
// ones to fn. A NO or BAD becomes a *StatusError.
func (c *Client) finish(ctx context.Context, tag, name string, fn func(*response)) (*response, error) {
	for {
		r, err := c.next(ctx)
		if err != nil {
			// A command cut off halfway leaves the stream mid-answer.
			return nil, c.fail(fmt.Errorf("imap: %s: %w", name, err))
		}
		switch r.tag {
		case "*":
			if r.kind == "BYE" {
				// The server is about to close; the read after this one
				// fails with the reason given here.
				c.err = fmt.Errorf("imap: %s: server closed the connection: %s", name, r.text)
				c.Close()
				return nil, c.err
			}
			if fn != nil {
				fn(r)
			}
		case "+":
			return nil, c.fail(fmt.Errorf("imap: %s: %w: unexpected continuation request", name, errProtocol))
		case tag:
			if r.kind != "OK" {
				return r, statusErr(name, r)
			}
			return r, nil
		default:
			return nil, c.fail(fmt.Errorf("imap: %s: %w: unknown tag %q", name, errProtocol, r.tag))
		}
	}
}

func statusErr(name string, r *response) error {
	return &StatusError{Command: name, Status: r.kind, Code: r.code, Text: r.text}
}

// cmd runs a command to its end.
func (c *Client) cmd(ctx context.Context, fn func(*response), name string, args ...any) (*response, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	tag, err := c.begin(ctx, name, args...)
	if err != nil {
		return nil, err
	}
	return c.finish(ctx, tag, name, fn)
}

// Has reports whether the server announced a capability (IDLE, AUTH=PLAIN,
// STARTTLS...), as far as known: call Capability first to be sure.
func (c *Client) Has(capability string) bool {
	return c.caps[strings.ToUpper(capability)]
}

// Capability asks the server what it supports.
func (c *Client) Capability(ctx context.Context) ([]string, error) {
	if _, err := c.cmd(ctx, nil, "CAPABILITY"); err != nil {
		return nil, err
	}
	var out []string
	for k := range c.caps {
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}

func (c *Client) ensureCaps(ctx context.Context) error {
	if c.caps != nil {
		return nil
	}
	_, err := c.Capability(ctx)
	return err
}

// StartTLS upgrades the connection.
func (c *Client) StartTLS(ctx context.Context, conf *tls.Config) error {
	if err := c.ensureCaps(ctx); err != nil {
		return err
	}
	if !c.Has("STARTTLS") {
		return fmt.Errorf("imap: STARTTLS: the server does not offer it")
	}
	if _, err := c.cmd(ctx, nil, "STARTTLS"); err != nil {
		return err
	}
	// Anything the server sent after its OK came before the encryption and
	// cannot be trusted (a STARTTLS injection attack).
	if c.rd.r.Buffered() > 0 {
		return c.fail(fmt.Errorf("imap: STARTTLS: %w: data after the go-ahead", errProtocol))
	}
	tc := tls.Client(c.conn, conf)
	hctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return c.fail(fmt.Errorf("imap: STARTTLS: %w", err))
	}
	// No read is outstanding, so the reading goroutine is waiting for a
	// request and switching its source is safe.
	c.conn = tc
	c.rd.r = bufio.NewReader(tc)
	c.w = bufio.NewWriter(tc)
	c.caps = nil // capabilities before TLS mean nothing (RFC 3501 6.2.1)
	return nil
}

// Login authenticates: LOGIN, or AUTHENTICATE PLAIN when the server
// disables LOGIN. A refused password is ErrAuth.
func (c *Client) Login(ctx context.Context, user, password string) error {
	if err := c.ensureCaps(ctx); err != nil {
		return err
	}
	gen := c.capsGen
	var err error
	switch {
	case !c.Has("LOGINDISABLED"):
		_, err = c.cmd(ctx, nil, "LOGIN", quote(user), quote(password))
	case c.Has("AUTH=PLAIN"):
		err = c.authPlain(ctx, user, password)
	default:
		return fmt.Errorf("imap: login: the server allows no password login on this connection (TLS needed?)")
	}
	if se := (*StatusError)(nil); errors.As(err, &se) && se.Status == "NO" {
		return fmt.Errorf("imap: login as %q: %w: %s", user, ErrAuth, se.Text)
	}
	if err != nil {
		return err
	}
	// The server may offer more once logged in; ask again when needed
	// unless its OK told us already.
	if c.capsGen == gen {
		c.caps = nil
	}
	return nil
}

func (c *Client) authPlain(ctx context.Context, user, password string) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	tag, err := c.begin(ctx, "AUTHENTICATE", "PLAIN")
	if err != nil {
		return err
	}
	if err := c.awaitContinue(ctx, tag, "AUTHENTICATE"); err != nil {
		return err
	}
	resp := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	if err := c.write(ctx, []byte(resp+"\r\n")); err != nil {
		return err
	}
	_, err = c.finish(ctx, tag, "AUTHENTICATE", nil)
	return err
}

// Mailbox is what SELECT reports about a mailbox.
type Mailbox struct {
	Name        string
	Exists      uint32
	UIDValidity uint32
	UIDNext     uint32
}

// Select opens a mailbox for reading and changing flags.
func (c *Client) Select(ctx context.Context, name string) (Mailbox, error) {
	mb := Mailbox{Name: name}
	c.exists = 0
	_, err := c.cmd(ctx, func(r *response) {
		if r.kind != "OK" {
			return
		}
		code, arg, _ := strings.Cut(r.code, " ")
		n, _ := strconv.ParseUint(arg, 10, 32)
		switch strings.ToUpper(code) {
		case "UIDVALIDITY":
			mb.UIDValidity = uint32(n)
		case "UIDNEXT":
			mb.UIDNext = uint32(n)
		}
	}, "SELECT", quote(name))
	if err != nil {
		return Mailbox{}, err
	}
	mb.Exists = c.exists
	return mb, nil
}

// Exists is the number of messages in the selected mailbox as last
// reported by the server.
func (c *Client) Exists() uint32 { return c.exists }

// UIDSearch returns the UIDs of the messages matching criteria, written in
// IMAP syntax (e.g. "UNSEEN" or "UID 42:* UNSEEN"), in ascending order.
func (c *Client) UIDSearch(ctx context.Context, criteria string) ([]uint32, error) {
	var uids []uint32
	_, err := c.cmd(ctx, func(r *response) {
		if r.kind != "SEARCH" {
			return
		}
		for _, f := range r.fields {
			if n, ok := num(f); ok && n > 0 && n <= 1<<32-1 {
				uids = append(uids, uint32(n))
			}
		}
	}, "UID SEARCH", criteria)
	if err != nil {
		return nil, err
	}
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

// fetchItems returns the data items of an untagged FETCH response as a
// map from upper-cased name to value.
func fetchItems(r *response) map[string]any {
	if r.kind != "FETCH" || len(r.fields) != 1 {
		return nil
	}
	l, ok := r.fields[0].([]any)
	if !ok {
		return nil
	}
	items := map[string]any{}
	for i := 0; i+1 < len(l); i += 2 {
		if k, ok := l[i].(atom); ok {
			items[strings.ToUpper(string(k))] = l[i+1]
		}
	}
	return items
}

// uidSet writes UIDs as an IMAP sequence set.
func uidSet(uids []uint32) string {
	var b strings.Builder
	for i, u := range uids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(u), 10))
	}
	return b.String()
}

// FetchSizes returns the size in bytes of the messages with these UIDs;
// messages that no longer exist are missing from the map.
func (c *Client) FetchSizes(ctx context.Context, uids []uint32) (map[uint32]int64, error) {
	sizes := map[uint32]int64{}
	if len(uids) == 0 {
		return sizes, nil
	}
	_, err := c.cmd(ctx, func(r *response) {
		it := fetchItems(r)
		uid, ok1 := num(it["UID"])
		size, ok2 := num(it["RFC822.SIZE"])
		if ok1 && ok2 {
			sizes[uint32(uid)] = int64(size)
		}
	}, "UID FETCH", uidSet(uids), "(UID RFC822.SIZE)")
	return sizes, err
}

// FetchMessage returns the raw message (RFC 5322) with this UID without
// marking it \Seen. A message larger than MaxLiteral is desk.ErrTooLarge;
// one that no longer exists is desk.ErrNotFound.
func (c *Client) FetchMessage(ctx context.Context, uid uint32) ([]byte, error) {
	var body any
	_, err := c.cmd(ctx, func(r *response) {
		it := fetchItems(r)
		if u, ok := num(it["UID"]); !ok || u != uint64(uid) {
			return // an unsolicited FETCH about flags of another message
		}
		if b, ok := it["BODY[]"]; ok {
			body = b
		}
	}, "UID FETCH", strconv.FormatUint(uint64(uid), 10), "(UID BODY.PEEK[])")
	if err != nil {
		return nil, err
	}
	switch b := body.(type) {
	case []byte:
		return b, nil
	case string: // a quoted string: legal, if odd, for a small message
		return []byte(b), nil
	case tooLarge:
		return nil, fmt.Errorf("imap: fetch %d: %d bytes: %w", uid, b.size, desk.ErrTooLarge)
	}
	return nil, fmt.Errorf("imap: fetch %d: %w", uid, desk.ErrNotFound)
}

// AddFlags adds flags (e.g. `\Seen`) to the message with this UID.
func (c *Client) AddFlags(ctx context.Context, uid uint32, flags ...string) error {
	_, err := c.cmd(ctx, nil, "UID STORE", strconv.FormatUint(uint64(uid), 10), "+FLAGS.SILENT", "("+strings.Join(flags, " ")+")")
	return err
}

// Append adds a message to a mailbox.
func (c *Client) Append(ctx context.Context, mailbox string, flags []string, msg []byte) error {
	_, err := c.cmd(ctx, nil, "APPEND", quote(mailbox), "("+strings.Join(flags, " ")+")", msg)
	return err
}

// Noop asks the server for news (new messages show up in Exists).
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.cmd(ctx, nil, "NOOP")
	return err
}

// Logout ends the session politely and closes the connection.
func (c *Client) Logout(ctx context.Context) error {
	defer c.Close()
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	tag, err := c.begin(ctx, "LOGOUT")
	if err != nil {
		return err
	}
	for {
		r, err := c.next(ctx)
		if err != nil {
			return nil // the server may close right after its BYE
		}
		if r.tag == tag {
			return nil
		}
	}
}

// Idle waits in IDLE (RFC 2177) until the selected mailbox changes size,
// at most max, and reports whether it did. A cancelled ctx ends the IDLE
// cleanly and returns ctx's error.
func (c *Client) Idle(ctx context.Context, max time.Duration) (changed bool, err error) {
	if err := c.ensureCaps(ctx); err != nil {
		return false, err
	}
	if !c.Has("IDLE") {
		return false, ErrNoIdle
	}
	before := c.exists
	startCtx, cancel := c.withTimeout(ctx)
	defer cancel()
	tag, err := c.begin(startCtx, "IDLE")
	if err != nil {
		return false, err
	}
	if err := c.awaitContinue(startCtx, tag, "IDLE"); err != nil {
		return false, err
	}
	// A message that arrived just before the IDLE is news too.
	changed = c.exists != before
	waitCtx, cancelWait := context.WithTimeout(ctx, max)
	defer cancelWait()
	for !changed {
		r, err := c.next(waitCtx)
		if err != nil {
			if waitCtx.Err() == nil {
				return false, err // the connection broke
			}
			break
		}
		if r.tag == "*" && r.kind == "EXISTS" {
			changed = true
		}
		if r.tag == "*" && r.kind == "BYE" {
			return false, c.fail(fmt.Errorf("imap: IDLE: server closed the connection: %s", r.text))
		}
	}
	// Ending the IDLE takes one round trip, also when we are shutting down.
	doneCtx, cancelDone := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancelDone()
	if err := c.write(doneCtx, []byte("DONE\r\n")); err != nil {
		return changed, err
	}
	if _, err := c.finish(doneCtx, tag, "IDLE", nil); err != nil {
		return changed, err
	}
	return changed, ctx.Err()
}
