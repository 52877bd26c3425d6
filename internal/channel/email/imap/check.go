package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// CheckTimeout bounds the admin's connection test: they are waiting for
// the page.
const CheckTimeout = 10 * time.Second

// CheckConnection is the admin's "test connection" of the inbox's
// mailbox: it connects, secures the connection as configured, logs in,
// opens the mailbox and logs out, reading no mail. It returns what it
// found ("imap.example.nl:993, INBOX: 12 messages; IDLE: new mail comes
// in at once"), saying whether the server offers IDLE or is polled.
//
// A failure comes back as a *desk.CheckError naming the setting to fix:
// unreachable on imap_host (cannot connect, no answer), tls on imap_tls
// (TLS failed or STARTTLS is not offered), auth_failed on imap_password
// (the login was refused), mailbox on imap_mailbox (no such mailbox).
func (p *Poller) CheckConnection(ctx context.Context, in desk.Inbox) (string, error) {
	cfg, err := p.configOf(in)
	if err != nil {
		if ve, ok := errors.AsType[*desk.ValidationError](err); ok {
			err = &desk.CheckError{Code: desk.CheckInvalidSetting, Setting: ve.Field, Detail: ve.Reason, Err: err}
		}
		return "", fmt.Errorf("imap: check: %w", err)
	}
	timeout := min(p.o.Timeout, CheckTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := p.checkDial(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, desk.ErrInvalid) {
			err = &desk.CheckError{Code: desk.CheckUnreachable, Setting: SettingHost, Err: err,
				Detail: fmt.Sprintf("%s did not answer within %s: check the server and port", cfg.addr, timeout)}
		}
		return "", fmt.Errorf("imap: check: %w", err)
	}
	defer c.Close()
	if err := c.Login(ctx, cfg.user, cfg.password); err != nil {
		if errors.Is(err, ErrAuth) {
			err = &desk.CheckError{Code: desk.CheckAuthFailed, Setting: SettingPassword, Err: err,
				Detail: fmt.Sprintf("%s refused the login of %s: check the username and password (%v)", cfg.addr, cfg.user, err)}
		}
		return "", fmt.Errorf("imap: check: %w", err)
	}
	mb, err := c.Select(ctx, cfg.mailbox)
	if se, ok := errors.AsType[*StatusError](err); ok && se.Status == "NO" {
		return "", fmt.Errorf("imap: check: %w", &desk.CheckError{Code: desk.CheckMailbox, Setting: SettingMailbox, Err: err,
			Detail: fmt.Sprintf("the mailbox %q cannot be opened: %s", cfg.mailbox, se.Text)})
	}
	if err != nil {
		return "", fmt.Errorf("imap: check: select %q: %w", cfg.mailbox, err)
	}
	// IDLE is announced after login, and may need asking for.
	if !c.Has("IDLE") {
		if err := c.ensureCaps(ctx); err != nil {
			return "", fmt.Errorf("imap: check: %w", err)
		}
	}
	report := fmt.Sprintf("%s, %s: %d messages; ", cfg.addr, cfg.mailbox, mb.Exists)
	if c.Has("IDLE") {
		report += "IDLE: new mail comes in at once"
	} else {
		report += fmt.Sprintf("no IDLE: the mailbox is read every %s", cfg.interval)
	}
	logout(ctx, c)
	return report, nil
}

// checkDial is Dial with each step's failure told apart: connecting
// (imap_host) and securing the connection (imap_tls).
func (p *Poller) checkDial(ctx context.Context, cfg config) (*Client, error) {
	host, _, _ := net.SplitHostPort(cfg.addr)
	conf := &tls.Config{}
	if p.o.TLSConfig != nil {
		conf = p.o.TLSConfig.Clone()
	}
	if conf.ServerName == "" {
		conf.ServerName = host
	}
	if conf.MinVersion == 0 {
		conf.MinVersion = tls.VersionTLS12
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, &desk.CheckError{Code: desk.CheckUnreachable, Setting: SettingHost, Err: err,
			Detail: fmt.Sprintf("cannot connect to %s: %v", cfg.addr, err)}
	}
	if cfg.mode == TLSImplicit {
		tc := tls.Client(conn, conf)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, tlsError(fmt.Sprintf("TLS with %s failed: %v", cfg.addr, err), err)
		}
		conn = tc
	}
	c, err := NewClient(ctx, conn, ClientOptions{MaxLiteral: p.o.MaxSize, Timeout: p.o.Timeout})
	if err != nil {
		return nil, err
	}
	if cfg.mode == TLSStart {
		if err := c.ensureCaps(ctx); err != nil {
			c.Close()
			return nil, err
		}
		if !c.Has("STARTTLS") {
			c.Close()
			return nil, tlsError(cfg.addr+" does not offer STARTTLS: set imap_tls to tls (usually port 993) if it expects TLS from the start", nil)
		}
		if err := c.StartTLS(ctx, conf); err != nil {
			c.Close()
			return nil, tlsError(fmt.Sprintf("STARTTLS with %s failed: %v", cfg.addr, err), err)
		}
	}
	return c, nil
}

// tlsError is a connection that could not be secured: a certificate that
// does not verify, or a TLS mode the server does not speak.
func tlsError(detail string, err error) error {
	return &desk.CheckError{Code: desk.CheckTLS, Setting: SettingTLS, Detail: detail, Err: err}
}
