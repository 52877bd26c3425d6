package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Defaults for the zero values of Server's limits.
const (
	DefaultMaxSize        = 25 << 20
	DefaultMaxRecipients  = 100
	DefaultReadTimeout    = 2 * time.Minute
	DefaultSessionTimeout = 30 * time.Minute
	DefaultMaxConns       = 100
	DefaultDeliverTimeout = time.Minute
	// maxErrors is how many bad commands a client may send before it is
	// disconnected (spam-bots and scanners; a real MTA makes none).
	maxErrors = 10
)

// Handler decides which recipients are local and takes delivery of mail.
type Handler interface {
	// Recipient accepts addr as a local mailbox (nil), refuses it
	// permanently (an error wrapping desk.ErrNotFound or desk.ErrInvalid:
	// 550), or fails temporarily (any other error: 451, the sender tries
	// again later).
	Recipient(ctx context.Context, addr string) error
	// Deliver takes one message, its header starting with the server's
	// Received field. An error wrapping desk.ErrTooLarge is answered 552,
	// one wrapping desk.ErrInvalid 554 (both permanent: the sender bounces
	// the mail); any other error 451 (the sender retries, so Deliver must
	// be idempotent).
	Deliver(ctx context.Context, env Envelope, data []byte) error
}

// Envelope is what the SMTP transaction said about a message. It is kept
// for the checks that need it (SPF looks at From, HeloName and RemoteAddr).
type Envelope struct {
	ID         string   // the server's id of this transaction, also in Received
	From       string   // MAIL FROM; "" for the null sender (bounces)
	To         []string // accepted RCPT TO addresses, in order, without duplicates
	RemoteAddr string   // the client's IP address and port
	HeloName   string   // what the client said in EHLO/HELO
	TLS        bool     // the message arrived over STARTTLS
	// Mailbox is set for mail fetched from a mailbox (IMAP) rather than
	// received by balie's MX: the mailbox's server authenticated the
	// sender, and its Authentication-Results can be trusted.
	Mailbox bool
}

// Server is an SMTP server for inbound mail. Set the fields, then call
// ListenAndServe or Serve; the fields must not change afterwards.
type Server struct {
	Addr     string // for ListenAndServe, e.g. ":25"
	Hostname string // the name the server greets with; default os.Hostname
	// TLSConfig enables STARTTLS when set.
	TLSConfig *tls.Config
	// MaxSize is the largest message accepted, in bytes (default 25 MiB).
	MaxSize int64
	// MaxRecipients per message (default 100).
	MaxRecipients int
	// ReadTimeout is how long the server waits for each read from the
	// client, and each write to it (default 2 minutes).
	ReadTimeout time.Duration
	// SessionTimeout bounds a whole connection, however busy (default 30
	// minutes), so a client trickling bytes cannot hold it open forever.
	SessionTimeout time.Duration
	// DeliverTimeout bounds each Handler.Deliver call (default 1 minute).
	DeliverTimeout time.Duration
	// MaxConns limits concurrent connections (default 100); more are
	// answered 421 and closed.
	MaxConns int
	Handler  Handler
	Log      *slog.Logger // default: discard
	Clock    desk.Clock   // for the Received date; default time.Now
}

// ListenAndServe listens on s.Addr and serves until ctx is done.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtpd: listen: %w", err)
	}
	return s.Serve(ctx, l)
}

// Serve accepts connections on l until ctx is done, then closes l, lets a
// message being transferred (DATA) finish and be delivered, says 421 to
// every client and returns nil once all connections are closed. l is
// closed when Serve returns.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if s.Handler == nil {
		l.Close()
		return errors.New("smtpd: serve: no Handler")
	}
	cfg := s.config()
	tr := &tracker{conns: map[*conn]bool{}}
	stop := context.AfterFunc(ctx, func() {
		l.Close()
		tr.shutdown()
	})
	defer stop()
	sem := make(chan struct{}, cfg.MaxConns)
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				tr.wg.Wait()
				return nil
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				// Out of file descriptors and the like: back off, as
				// net/http does, rather than spin.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				cfg.Log.Warn("smtpd: accept", "err", err, "retry_in", delay)
				time.Sleep(delay)
				continue
			}
			l.Close()
			tr.shutdown()
			tr.wg.Wait()
			return fmt.Errorf("smtpd: accept: %w", err)
		}
		delay = 0
		select {
		case sem <- struct{}{}:
		default:
			nc.SetWriteDeadline(time.Now().Add(time.Second))
			fmt.Fprintf(nc, "421 4.7.0 %s too many connections, try again later\r\n", cfg.Hostname)
			nc.Close()
			continue
		}
		c := newConn(nc, cfg.ReadTimeout, cfg.SessionTimeout, cfg.Clock.Now())
		if !tr.add(c) {
			// Shutdown began between Accept and here.
			nc.Close()
			<-sem
			continue
		}
		go func() {
			defer func() { <-sem }()
			defer tr.remove(c)
			sess := &session{cfg: cfg, srvCtx: ctx, c: c}
			sess.serve()
		}()
	}
}

// config returns a copy of s with defaults filled in.
func (s *Server) config() *Server {
	cfg := *s
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
		if cfg.Hostname == "" {
			cfg.Hostname = "localhost"
		}
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.MaxRecipients <= 0 {
		cfg.MaxRecipients = DefaultMaxRecipients
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = DefaultSessionTimeout
	}
	if cfg.DeliverTimeout <= 0 {
		cfg.DeliverTimeout = DefaultDeliverTimeout
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = desk.ClockFunc(time.Now)
	}
	return &cfg
}

// tracker knows the open connections of one Serve call, to stop them.
type tracker struct {
	mu      sync.Mutex
	conns   map[*conn]bool
	closing bool
	wg      sync.WaitGroup
}

func (t *tracker) add(c *conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return false
	}
	t.conns[c] = true
	t.wg.Add(1)
	return true
}

func (t *tracker) remove(c *conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
	t.wg.Done()
}

func (t *tracker) shutdown() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closing = true
	for c := range t.conns {
		c.shutdown()
	}
}

// conn is the client's connection. Every read and write gets a fresh
// deadline (ReadTimeout, bounded by the session's end), so an idle or
// trickling client is cut off. It sits below TLS, so the deadlines hold
// after STARTTLS too.
type conn struct {
	net.Conn
	timeout time.Duration
	end     time.Time

	mu      sync.Mutex
	closing bool // the server is shutting down
	busy    bool // a message is being transferred; let it finish
}

var errShutdown = errors.New("server shutting down")

func newConn(nc net.Conn, timeout, session time.Duration, now time.Time) *conn {
	return &conn{Conn: nc, timeout: timeout, end: now.Add(session)}
}

// readDeadline is the next read's deadline. Writes get a fresh timeout
// only, so that the 421 that ends a session can still be sent.
func (c *conn) readDeadline() time.Time {
	d := time.Now().Add(c.timeout)
	if d.After(c.end) {
		return c.end
	}
	return d
}

func (c *conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.closing && !c.busy {
		c.mu.Unlock()
		return 0, errShutdown
	}
	c.Conn.SetReadDeadline(c.readDeadline())
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	if err != nil {
		c.mu.Lock()
		if c.closing && !c.busy {
			err = errShutdown
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}

// shutdown interrupts a client waiting between commands; one in the middle
// of DATA carries on until its message is delivered.
func (c *conn) shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closing = true
	if !c.busy {
		c.Conn.SetReadDeadline(time.Now())
	}
}

// setBusy marks the start and end of a message transfer. It reports false
// when the server is already shutting down and the transfer must not start.
func (c *conn) setBusy(b bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b && c.closing {
		return false
	}
	c.busy = b
	return true
}

func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}
