package imap_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/channel/email/imap"
	"github.com/balie-dev/balie/internal/channel/email/smtpd"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestCheckConnectionDovecot tests the admin's check against a real
// server.
func TestCheckConnectionDovecot(t *testing.T) {
	dc := startDovecot(t)
	e := setup(t, testenv.OpenSQLite, dc)
	e.appendMail(t, mail("jan@example.com", "Hallo", "check@example.com", ""))
	p := e.poller(nil)
	with := func(kv ...string) desk.Inbox {
		in := e.inbox
		in.Settings = map[string]string{}
		for k, v := range e.inbox.Settings {
			in.Settings[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			in.Settings[kv[i]] = kv[i+1]
		}
		return in
	}
	tests := []struct {
		name     string
		inbox    desk.Inbox
		want     string // the success text
		code     desk.CheckCode
		field    string // the setting the error names
		contains string
	}{
		{name: "works", inbox: e.inbox, want: dc.addr + ", INBOX: 1 messages; IDLE: new mail comes in at once"},
		{name: "wrong password", inbox: with(imap.SettingPassword, "fout"), code: desk.CheckAuthFailed, field: imap.SettingPassword, contains: "refused the login of support@example.nl"},
		{name: "unknown mailbox", inbox: with(imap.SettingMailbox, "Bestaat-niet"), code: desk.CheckMailbox, field: imap.SettingMailbox, contains: `"Bestaat-niet"`},
		{name: "STARTTLS not offered", inbox: with(imap.SettingTLS, "starttls"), code: desk.CheckTLS, field: imap.SettingTLS, contains: "does not offer STARTTLS"},
		{name: "TLS where the server speaks plain text", inbox: with(imap.SettingTLS, "tls"), code: desk.CheckTLS, field: imap.SettingTLS, contains: "TLS with"},
		{name: "nothing listening", inbox: with(imap.SettingPort, fmt.Sprint(freePort(t))), code: desk.CheckUnreachable, field: imap.SettingHost, contains: "cannot connect"},
		{name: "no password", inbox: with(imap.SettingPassword, ""), code: desk.CheckInvalidSetting, field: imap.SettingPassword},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.CheckConnection(context.Background(), tc.inbox)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("CheckConnection = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			checkFailed(t, err, tc.code, tc.field, tc.contains)
			if strings.Contains(err.Error(), "fout") {
				t.Errorf("err = %v carries the password", err)
			}
		})
	}
	if e.unseen(t) != 1 {
		t.Error("the check changed the mailbox: the mail is no longer unseen")
	}
}

// TestCheckConnectionNoIdle: a server without IDLE is polled, and the
// check says how often.
func TestCheckConnectionNoIdle(t *testing.T) {
	addr := scriptedServer(t, "* OK [CAPABILITY IMAP4rev1] fake ready\r\n", map[string]string{
		"LOGIN":      "OK [CAPABILITY IMAP4rev1 UIDPLUS] logged in",
		"SELECT":     "* 4 EXISTS\r\n* OK [UIDVALIDITY 9] x\r\n%s OK [READ-WRITE] selected",
		"CAPABILITY": "* CAPABILITY IMAP4rev1 UIDPLUS\r\n%s OK done",
		"LOGOUT":     "* BYE bye\r\n%s OK done",
	})
	host, port, _ := net.SplitHostPort(addr)
	in := desk.Inbox{ID: 3, Channel: desk.ChannelEmail, Settings: map[string]string{
		smtpd.SettingAddress: "support@example.nl", imap.SettingHost: host, imap.SettingPort: port,
		imap.SettingTLS: "none", imap.SettingPassword: "pw", imap.SettingMailbox: "Support"}}
	p := imap.New(imap.Options{Interval: 90 * time.Second})
	got, err := p.CheckConnection(context.Background(), in)
	want := addr + ", Support: 4 messages; no IDLE: the mailbox is read every 1m30s"
	if err != nil || got != want {
		t.Errorf("CheckConnection = %q, %v; want %q", got, err, want)
	}
}

// scriptedServer answers each command by its name with answers[name]
// (%s is the command's tag; without it the tag and a space go first).
// It serves one connection, for the length of the test.
func scriptedServer(t *testing.T, greeting string, answers map[string]string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		conn.Write([]byte(greeting))
		r := bufio.NewReader(conn)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			tag, rest, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
			name, _, _ := strings.Cut(rest, " ")
			a, ok := answers[strings.ToUpper(name)]
			switch {
			case !ok:
				a = tag + " BAD unexpected"
			case strings.Contains(a, "%s"):
				a = fmt.Sprintf(a, tag)
			default:
				a = tag + " " + a
			}
			conn.Write([]byte(a + "\r\n"))
		}
	}()
	return l.Addr().String()
}

// checkFailed checks a failed CheckConnection: a *desk.CheckError with
// code on field, saying contains.
func checkFailed(t *testing.T, err error, code desk.CheckCode, field, contains string) {
	t.Helper()
	if err == nil {
		t.Fatal("CheckConnection succeeded, want an error")
	}
	ce, ok := errors.AsType[*desk.CheckError](err)
	if !ok || ce.Code != code || ce.Setting != field {
		t.Errorf("err = %v, want a CheckError coded %s on %s", err, code, field)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("err = %v, want it to say %q", err, contains)
	}
}
