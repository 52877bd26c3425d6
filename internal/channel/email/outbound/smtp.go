package outbound

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// submit hands one message to the inbox's SMTP server (RFC 6409). Errors
// name the server and the step, never the password.
func (c *Channel) submit(ctx context.Context, cfg config, rcpt string, msg []byte) error {
	addr := net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port))
	ctx, cancel := context.WithTimeout(ctx, c.d.Timeout)
	defer cancel()

	conn, err := c.d.Dial(ctx, addr)
	if err != nil {
		return fmt.Errorf("smtp %s: connect: %w: %w", addr, err, desk.ErrTemporary)
	}
	defer conn.Close()
	// The deadline bounds every read and write; cancelling the context
	// interrupts a blocked one.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	tlsConfig := &tls.Config{ServerName: cfg.host, RootCAs: c.d.RootCAs, MinVersion: tls.VersionTLS12}
	if cfg.tlsMode == TLSImplicit {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return smtpError(addr, "tls", err)
		}
		conn = tc
	}
	cl, err := smtp.NewClient(conn, cfg.host)
	if err != nil {
		return smtpError(addr, "greeting", err)
	}
	defer cl.Close()
	helo := c.d.Hostname
	if helo == "" {
		helo = cfg.domain
	}
	if err := cl.Hello(helo); err != nil {
		return smtpError(addr, "EHLO", err)
	}
	if cfg.tlsMode == TLSStartTLS {
		if ok, _ := cl.Extension("STARTTLS"); !ok {
			// Never fall back to the clear: the password and the mail
			// would cross the network readable.
			return fmt.Errorf("smtp %s: the server does not offer STARTTLS: %w", addr,
				desk.Invalid(SettingSMTPTLS, "the server does not offer STARTTLS"))
		}
		if err := cl.StartTLS(tlsConfig); err != nil {
			return smtpError(addr, "STARTTLS", err)
		}
	}
	if cfg.username != "" {
		if ok, _ := cl.Extension("AUTH"); !ok {
			return fmt.Errorf("smtp %s: the server does not offer AUTH: %w", addr,
				desk.Invalid(SettingSMTPUsername, "the server does not offer AUTH"))
		}
		// smtp.PlainAuth refuses to send the password unless the
		// connection is TLS or goes to localhost, as configOf does.
		if err := cl.Auth(smtp.PlainAuth("", cfg.username, cfg.password, cfg.host)); err != nil {
			return smtpError(addr, "AUTH", err)
		}
	}
	if err := cl.Mail(cfg.from.Address); err != nil {
		return smtpError(addr, "MAIL FROM", err)
	}
	if err := cl.Rcpt(rcpt); err != nil {
		return smtpError(addr, "RCPT TO", err)
	}
	w, err := cl.Data()
	if err != nil {
		return smtpError(addr, "DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return smtpError(addr, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpError(addr, "DATA", err)
	}
	// The server has taken the mail: a failing QUIT changes nothing.
	cl.Quit()
	return nil
}

// smtpError classifies a failure: a 5xx answer or a certificate that does
// not verify is permanent (it needs someone to act), anything else (4xx,
// network, timeout) temporary.
func smtpError(addr, step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		msg := fmt.Sprintf("smtp %s: %s: %d %s", addr, step, te.Code, strings.TrimSpace(te.Msg))
		if te.Code >= 400 && te.Code < 500 {
			return fmt.Errorf("%s: %w", msg, desk.ErrTemporary)
		}
		return &PermanentError{Code: te.Code, msg: msg}
	}
	var (
		verr *tls.CertificateVerificationError
		herr x509.HostnameError
		uerr x509.UnknownAuthorityError
	)
	if errors.As(err, &verr) || errors.As(err, &herr) || errors.As(err, &uerr) {
		return fmt.Errorf("smtp %s: %s: %w", addr, step, err)
	}
	return fmt.Errorf("smtp %s: %s: %w: %w", addr, step, err, desk.ErrTemporary)
}

// PermanentError is a 5xx answer of the SMTP server: the mail was refused
// and sending it again will not help.
type PermanentError struct {
	Code int // the SMTP reply code, e.g. 550
	msg  string
}

func (e *PermanentError) Error() string { return e.msg }
