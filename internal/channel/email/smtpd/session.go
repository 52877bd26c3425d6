package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
)

// Line limits. RFC 5321 allows command lines of 512 octets plus what
// extensions add; 1000 leaves room for SIZE, BODY and SMTPUTF8 parameters.
// Lines of message text are not limited one by one (real mail breaks the
// 1000-octet rule), only the message as a whole.
const (
	maxCommandLine = 1000
	maxPath        = 256 // RFC 5321 4.5.3.1.3
	maxPrealloc    = 1 << 20
)

var errLineTooLong = errors.New("line too long")

// session is one client connection.
type session struct {
	cfg    *Server
	srvCtx context.Context
	c      *conn
	br     *bufio.Reader
	bw     *bufio.Writer

	helo   string
	esmtp  bool
	tls    bool
	errors int

	// The mail transaction: MAIL, RCPT..., DATA.
	inMail   bool
	from     string
	rcpts    []string
	sizeHint int64
}

func (s *session) serve() {
	s.br = bufio.NewReaderSize(s.c, 4096)
	s.bw = bufio.NewWriterSize(s.c, 4096)
	defer func() {
		s.bw.Flush()
		s.c.Close()
	}()
	s.reply(220, s.cfg.Hostname+" ESMTP balie")
	for {
		if s.c.isClosing() {
			s.reply(421, "4.3.2 "+s.cfg.Hostname+" shutting down, try again later")
			return
		}
		line, err := s.readCommand()
		switch {
		case errors.Is(err, errLineTooLong):
			if s.fail(500, "5.5.2 Line too long") {
				return
			}
			continue
		case err != nil:
			s.readFailed(err)
			return
		}
		if s.handle(line) {
			return
		}
	}
}

// readFailed says goodbye, where that makes sense, after a failed read.
func (s *session) readFailed(err error) {
	var ne net.Error
	switch {
	case s.c.isClosing():
		s.reply(421, "4.3.2 "+s.cfg.Hostname+" shutting down, try again later")
	case errors.As(err, &ne) && ne.Timeout():
		s.reply(421, "4.4.2 "+s.cfg.Hostname+" timeout, closing connection")
	}
}

// reply writes one response; several texts make a multi-line response. It
// flushes unless the client has pipelined more commands, which are answered
// together.
func (s *session) reply(code int, texts ...string) {
	for i, t := range texts {
		sep := "-"
		if i == len(texts)-1 {
			sep = " "
		}
		fmt.Fprintf(s.bw, "%d%s%s\r\n", code, sep, t)
	}
	if !s.pipelined() {
		s.bw.Flush()
	}
}

// pipelined reports whether a whole further command is already buffered.
// When only part of one is, the client may be waiting for our answer.
func (s *session) pipelined() bool {
	n := s.br.Buffered()
	if n == 0 {
		return false
	}
	b, _ := s.br.Peek(n)
	return bytes.IndexByte(b, '\n') >= 0
}

// fail answers a client error and counts it; it reports true when the
// client made too many and was disconnected.
func (s *session) fail(code int, text string) bool {
	s.errors++
	if s.errors >= maxErrors {
		s.reply(421, "4.7.0 "+s.cfg.Hostname+" too many errors, closing connection")
		return true
	}
	s.reply(code, text)
	return false
}

// readCommand reads one command line without its line ending.
func (s *session) readCommand() (string, error) {
	if !s.pipelined() {
		if err := s.bw.Flush(); err != nil {
			return "", err
		}
	}
	var line []byte
	tooLong := false
	for {
		chunk, err := s.br.ReadSlice('\n')
		if len(line)+len(chunk) > maxCommandLine {
			tooLong = true
		} else {
			line = append(line, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", err
		}
		break
	}
	if tooLong {
		return "", errLineTooLong
	}
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	return string(line), nil
}

// handle runs one command; it reports true when the connection must close.
func (s *session) handle(line string) (quit bool) {
	verb, arg, _ := strings.Cut(line, " ")
	verb = strings.ToUpper(verb)
	arg = strings.TrimSpace(arg)
	switch verb {
	case "EHLO", "HELO":
		return s.hello(verb == "EHLO", arg)
	case "STARTTLS":
		return s.startTLS(arg)
	case "MAIL":
		return s.mail(arg)
	case "RCPT":
		return s.rcpt(arg)
	case "DATA":
		return s.data(arg)
	case "RSET":
		s.reset()
		s.reply(250, "2.0.0 Ok")
	case "NOOP":
		s.reply(250, "2.0.0 Ok")
	case "QUIT":
		s.reply(221, "2.0.0 Bye")
		return true
	case "VRFY":
		// Saying which mailboxes exist helps address harvesters.
		s.reply(252, "2.5.2 Cannot VRFY user, but will accept message and attempt delivery")
	case "EXPN", "HELP", "AUTH", "BDAT", "ETRN", "TURN", "SEND", "SOML", "SAML":
		return s.fail(502, "5.5.1 Command not implemented")
	case "GET", "POST", "HEAD", "PUT", "CONNECT", "OPTIONS":
		// A browser or proxy tricked into talking to us (cross-protocol
		// attack): nothing it sends should be read as SMTP.
		s.cfg.Log.Info("smtpd: HTTP request on SMTP port", "remote", s.c.RemoteAddr().String())
		return true
	default:
		return s.fail(500, "5.5.2 Command not recognized")
	}
	return false
}

func (s *session) reset() {
	s.inMail, s.from, s.rcpts, s.sizeHint = false, "", nil, 0
}

func (s *session) hello(extended bool, arg string) bool {
	name, _, _ := strings.Cut(arg, " ")
	if name == "" {
		return s.fail(501, "5.5.4 Syntax: EHLO hostname")
	}
	s.reset()
	s.helo, s.esmtp = cleanHelo(name), extended
	if !extended {
		s.reply(250, s.cfg.Hostname)
		return false
	}
	lines := []string{s.cfg.Hostname + " greets " + s.helo,
		"PIPELINING", "SIZE " + strconv.FormatInt(s.cfg.MaxSize, 10), "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"}
	if s.cfg.TLSConfig != nil && !s.tls {
		lines = append(lines, "STARTTLS")
	}
	s.reply(250, lines...)
	return false
}

func (s *session) startTLS(arg string) bool {
	switch {
	case s.cfg.TLSConfig == nil:
		return s.fail(502, "5.5.1 STARTTLS not available")
	case s.tls:
		return s.fail(503, "5.5.1 TLS already active")
	case arg != "":
		return s.fail(501, "5.5.4 Syntax: STARTTLS")
	case s.br.Buffered() > 0:
		// Plain-text commands pipelined after STARTTLS would otherwise be
		// taken as if they came over TLS (CVE-2011-0411).
		s.reply(554, "5.5.1 Commands pipelined after STARTTLS, closing connection")
		return true
	}
	s.reply(220, "2.0.0 Ready to start TLS")
	if err := s.bw.Flush(); err != nil {
		return true
	}
	tc := tls.Server(s.c, s.cfg.TLSConfig)
	ctx, cancel := context.WithTimeout(s.srvCtx, s.cfg.ReadTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		s.cfg.Log.Info("smtpd: TLS handshake", "remote", s.c.RemoteAddr().String(), "err", err)
		return true
	}
	s.br.Reset(tc)
	s.bw.Reset(tc)
	// RFC 3207: the client starts over with EHLO.
	s.tls, s.helo, s.esmtp = true, "", false
	s.reset()
	return false
}

func (s *session) mail(arg string) bool {
	switch {
	case s.helo == "":
		return s.fail(503, "5.5.1 Send HELO/EHLO first")
	case s.inMail:
		return s.fail(503, "5.5.1 Nested MAIL command")
	}
	rest, ok := cutPrefixFold(arg, "FROM:")
	if !ok {
		return s.fail(501, "5.5.4 Syntax: MAIL FROM:<address>")
	}
	from, params, err := parsePath(rest)
	if err != nil {
		return s.fail(501, "5.1.7 Bad sender address syntax")
	}
	var size int64
	for _, p := range strings.Fields(params) {
		k, v, _ := strings.Cut(p, "=")
		switch strings.ToUpper(k) {
		case "SIZE":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return s.fail(501, "5.5.4 Bad SIZE parameter")
			}
			if n > s.cfg.MaxSize {
				s.reply(552, "5.3.4 Message size exceeds fixed maximum message size")
				return false
			}
			size = n
		case "BODY":
			if u := strings.ToUpper(v); u != "7BIT" && u != "8BITMIME" {
				return s.fail(501, "5.5.4 Bad BODY parameter")
			}
		case "SMTPUTF8":
		default:
			return s.fail(555, "5.5.4 Unsupported parameter "+clip(k, 32))
		}
	}
	s.inMail, s.from, s.rcpts, s.sizeHint = true, from, nil, size
	s.reply(250, "2.1.0 Ok")
	return false
}

func (s *session) rcpt(arg string) bool {
	if !s.inMail {
		return s.fail(503, "5.5.1 Need MAIL command")
	}
	rest, ok := cutPrefixFold(arg, "TO:")
	if !ok {
		return s.fail(501, "5.5.4 Syntax: RCPT TO:<address>")
	}
	to, params, err := parsePath(rest)
	if err != nil || to == "" {
		return s.fail(501, "5.1.3 Bad recipient address syntax")
	}
	if params != "" {
		return s.fail(555, "5.5.4 Unsupported parameter")
	}
	for _, r := range s.rcpts {
		if strings.EqualFold(r, to) {
			s.reply(250, "2.1.5 Ok")
			return false
		}
	}
	if len(s.rcpts) >= s.cfg.MaxRecipients {
		// 452: the client sends the rest in another transaction.
		s.reply(452, "4.5.3 Too many recipients")
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.srvCtx), s.cfg.DeliverTimeout)
	defer cancel()
	if err := s.cfg.Handler.Recipient(ctx, to); err != nil {
		if errors.Is(err, desk.ErrNotFound) || errors.Is(err, desk.ErrInvalid) {
			// Counted as an error: guessing mailboxes is how harvesters work.
			return s.fail(550, "5.1.1 <"+to+">: no such mailbox")
		}
		s.cfg.Log.Warn("smtpd: recipient", "rcpt", to, "err", err)
		s.reply(451, "4.3.0 Temporary failure, try again later")
		return false
	}
	s.rcpts = append(s.rcpts, to)
	s.reply(250, "2.1.5 Ok")
	return false
}

func (s *session) data(arg string) bool {
	switch {
	case arg != "":
		return s.fail(501, "5.5.4 Syntax: DATA")
	case !s.inMail:
		return s.fail(503, "5.5.1 Need MAIL command")
	case len(s.rcpts) == 0:
		// With PIPELINING the client sent DATA without knowing whether any
		// RCPT was accepted; it waits for this answer before sending text.
		return s.fail(554, "5.5.1 No valid recipients")
	}
	if !s.c.setBusy(true) {
		s.reply(421, "4.3.2 "+s.cfg.Hostname+" shutting down, try again later")
		return true
	}
	defer s.c.setBusy(false)
	env := Envelope{ID: newID(), From: s.from, To: s.rcpts, RemoteAddr: s.c.RemoteAddr().String(),
		HeloName: s.helo, TLS: s.tls}
	s.reply(354, "End data with <CR><LF>.<CR><LF>")
	if err := s.bw.Flush(); err != nil {
		return true
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(s.sizeHint, maxPrealloc)+512))
	s.writeReceived(buf, env)
	n, err := readData(s.br, buf, s.cfg.MaxSize)
	defer s.reset()
	switch {
	case errors.Is(err, desk.ErrTooLarge):
		s.cfg.Log.Info("smtpd: message too large", "id", env.ID, "remote", env.RemoteAddr, "from", env.From)
		s.reply(552, "5.3.4 Message too big for system")
		return false
	case err != nil:
		s.cfg.Log.Info("smtpd: reading message", "id", env.ID, "remote", env.RemoteAddr, "err", err)
		s.readFailed(err)
		return true
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.srvCtx), s.cfg.DeliverTimeout)
	defer cancel()
	err = s.cfg.Handler.Deliver(ctx, env, buf.Bytes())
	switch {
	case err == nil:
		s.cfg.Log.Info("smtpd: delivered", "id", env.ID, "remote", env.RemoteAddr, "from", env.From,
			"to", env.To, "size", n, "tls", env.TLS)
		s.reply(250, "2.0.0 Ok: queued as "+env.ID)
	case errors.Is(err, desk.ErrTooLarge):
		s.cfg.Log.Info("smtpd: refused", "id", env.ID, "err", err)
		s.reply(552, "5.3.4 Message exceeds a limit")
	case errors.Is(err, desk.ErrInvalid):
		s.cfg.Log.Info("smtpd: refused", "id", env.ID, "err", err)
		s.reply(554, "5.6.0 Message refused")
	default:
		s.cfg.Log.Error("smtpd: deliver", "id", env.ID, "err", err)
		s.reply(451, "4.3.0 Temporary failure, try again later")
	}
	return false
}

// writeReceived writes the trace field (RFC 5321 4.4) this server adds.
func (s *session) writeReceived(w io.Writer, env Envelope) {
	host, _, err := net.SplitHostPort(env.RemoteAddr)
	if err != nil {
		host = env.RemoteAddr
	}
	proto := "SMTP"
	switch {
	case env.TLS:
		proto = "ESMTPS"
	case s.esmtp:
		proto = "ESMTP"
	}
	fmt.Fprintf(w, "Received: from %s ([%s])\r\n\tby %s (balie) with %s id %s", env.HeloName, host,
		s.cfg.Hostname, proto, env.ID)
	if len(env.To) == 1 {
		// Naming more recipients would tell each of them about the others.
		fmt.Fprintf(w, "\r\n\tfor <%s>", env.To[0])
	}
	fmt.Fprintf(w, ";\r\n\t%s\r\n", s.cfg.Clock.Now().Format(time.RFC1123Z))
}

// readData reads message text up to the line "." into buf, undoing dot
// stuffing, and returns how many bytes it added. Only <CRLF>.<CRLF> ends
// the text: accepting a bare LF around the dot is what SMTP smuggling
// exploits. Text beyond max is read and dropped, and then the error wraps
// desk.ErrTooLarge.
func readData(br *bufio.Reader, buf *bytes.Buffer, max int64) (int64, error) {
	var n int64
	tooLarge := false
	bol := true // at the start of a line: the previous one ended in CRLF
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		whole := err == nil
		if bol && whole && len(line) == 3 && line[0] == '.' && line[1] == '\r' {
			break
		}
		if bol && len(line) > 0 && line[0] == '.' {
			line = line[1:]
		}
		bol = whole && bytes.HasSuffix(line, []byte("\r\n"))
		if tooLarge {
			continue
		}
		if n+int64(len(line)) > max {
			tooLarge = true
			continue
		}
		buf.Write(line)
		n += int64(len(line))
	}
	if tooLarge {
		return n, fmt.Errorf("smtpd: message over %d bytes: %w", max, desk.ErrTooLarge)
	}
	return n, nil
}

// parsePath splits "<path> params" (the text after FROM: or TO:) and
// returns the address without brackets and source route.
func parsePath(s string) (addr, params string, err error) {
	s = strings.TrimLeft(s, " ")
	var path string
	if strings.HasPrefix(s, "<") {
		end, quoted := -1, false
		for i := 1; i < len(s); i++ {
			switch c := s[i]; {
			case c == '\\' && quoted:
				i++
			case c == '"':
				quoted = !quoted
			case c == '>' && !quoted:
				end = i
			}
			if end >= 0 {
				break
			}
		}
		if end < 0 {
			return "", "", errors.New("unterminated path")
		}
		path, params = s[1:end], strings.TrimSpace(s[end+1:])
		if params != "" && s[end+1] != ' ' {
			return "", "", errors.New("junk after path")
		}
	} else {
		// Not RFC 5321, but some senders leave out the brackets.
		path, params, _ = strings.Cut(s, " ")
		params = strings.TrimSpace(params)
	}
	if strings.HasPrefix(path, "@") {
		// A source route (@relay,@relay:user@domain): RFC 5321 says ignore it.
		_, after, ok := strings.Cut(path, ":")
		if !ok {
			return "", "", errors.New("bad source route")
		}
		path = after
	}
	if path == "" {
		return "", params, nil
	}
	if len(path) > maxPath || !utf8.ValidString(path) {
		return "", "", errors.New("bad address")
	}
	at := strings.LastIndexByte(path, '@')
	if at <= 0 || at == len(path)-1 {
		return "", "", errors.New("bad address")
	}
	for _, r := range path {
		if r <= ' ' || r == 0x7f {
			if !strings.HasPrefix(path, `"`) {
				return "", "", errors.New("bad address")
			}
		}
		if r < ' ' || r == 0x7f {
			return "", "", errors.New("bad address")
		}
	}
	return path, params, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// cleanHelo keeps the characters a host name or address literal may have,
// so what the client says cannot break the Received field.
func cleanHelo(s string) string {
	s = clip(s, 255)
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(".-_:[]", r):
			return r
		}
		return '_'
	}, s)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
