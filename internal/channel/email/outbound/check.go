package outbound

import (
	"context"
	"crypto/tls"
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

// CheckTimeout bounds the admin's connection test: they are waiting for
// the page.
const CheckTimeout = 10 * time.Second

// CheckConnection is the admin's "test connection" of the inbox's SMTP
// submission server: it connects, says EHLO, secures the connection as
// configured (STARTTLS or TLS from the start), logs in when a username is
// set, and says QUIT, without sending a mail. It returns what it reached
// ("smtp.example.nl:587, STARTTLS, signed in as support@example.nl").
//
// A failure comes back as a *desk.CheckError naming the setting to fix:
// unreachable on smtp_host (cannot connect, no answer), tls on smtp_tls
// (TLS failed or is not offered), auth_failed on smtp_password (the login
// was refused) or smtp_username (the server has no login). A server that
// answers "try again later" wraps desk.ErrTemporary.
func (c *Channel) CheckConnection(ctx context.Context, in desk.Inbox) (string, error) {
	cfg, err := configOf(in)
	if err != nil {
		if ve, ok := errors.AsType[*desk.ValidationError](err); ok {
			err = &desk.CheckError{Code: desk.CheckInvalidSetting, Setting: ve.Field, Detail: ve.Reason, Err: err}
		}
		return "", fmt.Errorf("outbound: check: %w", err)
	}
	timeout := min(c.d.Timeout, CheckTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port))
	report, err := c.check(ctx, cfg, addr)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, desk.ErrInvalid) {
			err = &desk.CheckError{Code: desk.CheckUnreachable, Setting: SettingSMTPHost, Err: err,
				Detail: fmt.Sprintf("%s did not answer within %s: check the server and port", addr, timeout)}
		}
		return "", fmt.Errorf("outbound: check: %w", err)
	}
	return report, nil
}

// check runs the session of CheckConnection.
func (c *Channel) check(ctx context.Context, cfg config, addr string) (string, error) {
	conn, err := c.d.Dial(ctx, addr)
	if err != nil {
		return "", &desk.CheckError{Code: desk.CheckUnreachable, Setting: SettingSMTPHost, Err: err,
			Detail: fmt.Sprintf("cannot connect to %s: %v", addr, err)}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	tlsConfig := &tls.Config{ServerName: cfg.host, RootCAs: c.d.RootCAs, MinVersion: tls.VersionTLS12}
	security := "without TLS"
	if cfg.tlsMode == TLSImplicit {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return "", tlsFailed(addr, "TLS", err)
		}
		conn, security = tc, "TLS"
	}
	cl, err := smtp.NewClient(conn, cfg.host)
	if err != nil {
		return "", smtpError(addr, "greeting", err)
	}
	defer cl.Close()
	helo := c.d.Hostname
	if helo == "" {
		helo = cfg.domain
	}
	if err := cl.Hello(helo); err != nil {
		return "", smtpError(addr, "EHLO", err)
	}
	if cfg.tlsMode == TLSStartTLS {
		if ok, _ := cl.Extension("STARTTLS"); !ok {
			return "", &desk.CheckError{Code: desk.CheckTLS, Setting: SettingSMTPTLS,
				Detail: addr + " does not offer STARTTLS: set smtp_tls to tls (usually port 465) if it expects TLS from the start"}
		}
		if err := cl.StartTLS(tlsConfig); err != nil {
			return "", tlsFailed(addr, "STARTTLS", err)
		}
		security = "STARTTLS"
	}
	report := addr + ", " + security
	if cfg.username != "" {
		if ok, _ := cl.Extension("AUTH"); !ok {
			return "", &desk.CheckError{Code: desk.CheckAuthFailed, Setting: SettingSMTPUsername,
				Detail: addr + " does not offer AUTH: leave the username empty if it needs no login"}
		}
		if err := cl.Auth(smtp.PlainAuth("", cfg.username, cfg.password, cfg.host)); err != nil {
			return "", authFailed(addr, err)
		}
		report += ", signed in as " + cfg.username
	}
	// Nothing was sent: a failing QUIT changes nothing.
	cl.Quit()
	return report, nil
}

// tlsFailed explains a failed TLS handshake: a certificate that does not
// verify, or a server that does not speak TLS where it was expected.
func tlsFailed(addr, step string, err error) error {
	if te, ok := errors.AsType[*textproto.Error](err); ok {
		return smtpError(addr, step, te)
	}
	return &desk.CheckError{Code: desk.CheckTLS, Setting: SettingSMTPTLS, Err: err,
		Detail: fmt.Sprintf("%s with %s failed: %v", step, addr, err)}
}

// authFailed explains a refused login: 5xx is the username or password,
// 4xx the server's trouble.
func authFailed(addr string, err error) error {
	te, ok := errors.AsType[*textproto.Error](err)
	switch {
	case ok && te.Code >= 500:
		return &desk.CheckError{Code: desk.CheckAuthFailed, Setting: SettingSMTPPassword, Err: err,
			Detail: fmt.Sprintf("%s refused the username or password: %d %s", addr, te.Code, strings.TrimSpace(te.Msg))}
	case ok:
		return smtpError(addr, "AUTH", err)
	}
	// net/smtp refuses on its own, before a word to the server, to send a
	// password in the clear.
	return &desk.CheckError{Code: desk.CheckTLS, Setting: SettingSMTPTLS, Err: err,
		Detail: fmt.Sprintf("no login with %s: %v", addr, err)}
}
