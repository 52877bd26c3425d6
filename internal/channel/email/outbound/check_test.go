package outbound

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// TestCheckConnectionScripted runs the check against the scripted
// submission server over a pipe.
func TestCheckConnectionScripted(t *testing.T) {
	cert, pool := selfSigned(t)
	tests := []struct {
		name      string
		mode      string
		authReply string
		username  string
		pool      bool // trust the server's certificate
		dialErr   error
		want      string
		wantLines []string // what the client said, in order
		code      desk.CheckCode
		field     string
		temp      bool
		contains  string
	}{
		{name: "login accepted, loopback without TLS", mode: TLSNone, authReply: "235 2.7.0 ok", username: "support@example.nl",
			want:      "127.0.0.1:587, without TLS, signed in as support@example.nl",
			wantLines: []string{"EHLO example.nl", "AUTH PLAIN *", "QUIT"}},
		{name: "login accepted, implicit TLS", mode: TLSImplicit, authReply: "235 2.7.0 ok", username: "support@example.nl", pool: true,
			want:      "127.0.0.1:465, TLS, signed in as support@example.nl",
			wantLines: []string{"EHLO example.nl", "AUTH PLAIN *", "QUIT"}},
		{name: "no login without a username", mode: TLSNone, want: "127.0.0.1:587, without TLS",
			wantLines: []string{"EHLO example.nl", "QUIT"}},
		{name: "wrong password", mode: TLSNone, authReply: "535 5.7.8 Authentication credentials invalid", username: "support@example.nl",
			code: desk.CheckAuthFailed, field: SettingSMTPPassword, contains: "535 5.7.8 Authentication credentials invalid"},
		{name: "login temporarily refused", mode: TLSNone, authReply: "454 4.7.0 Temporary authentication failure", username: "support@example.nl",
			code: desk.CheckUnreachable, temp: true, contains: "454"},
		{name: "certificate not trusted", mode: TLSImplicit, username: "support@example.nl",
			code: desk.CheckTLS, field: SettingSMTPTLS, contains: "TLS with 127.0.0.1:465 failed"},
		{name: "no STARTTLS offered", mode: TLSStartTLS, username: "support@example.nl",
			code: desk.CheckTLS, field: SettingSMTPTLS, contains: "does not offer STARTTLS"},
		{name: "cannot connect", mode: TLSNone, dialErr: syscall.ECONNREFUSED,
			code: desk.CheckUnreachable, field: SettingSMTPHost, contains: "cannot connect to 127.0.0.1:587"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSubmission{authReply: tc.authReply}
			done := make(chan struct{})
			dial := func(_ context.Context, addr string) (net.Conn, error) {
				if tc.dialErr != nil {
					close(done)
					return nil, &net.OpError{Op: "dial", Net: "tcp", Err: tc.dialErr}
				}
				client, server := tcpPair(t)
				go func() {
					defer close(done)
					defer server.Close()
					conn := server
					if tc.mode == TLSImplicit {
						conn = tls.Server(server, &tls.Config{Certificates: []tls.Certificate{cert}})
					}
					f.serve(conn)
				}()
				return client, nil
			}
			d := Deps{Dial: dial}
			if tc.pool {
				d.RootCAs = pool
			}
			in := desk.Inbox{ID: 7, Name: "Acme", Channel: desk.ChannelEmail, Settings: map[string]string{
				SettingAddress: "support@example.nl", SettingSMTPHost: "127.0.0.1", SettingSMTPTLS: tc.mode,
				SettingSMTPUsername: tc.username, SettingSMTPPassword: testPassword}}
			got, err := New(d).CheckConnection(context.Background(), in)
			<-done
			lines, data := f.said()
			if data != "" || strings.Contains(strings.Join(lines, "|"), "MAIL") {
				t.Errorf("the check sent mail: %q", lines)
			}
			if err != nil && strings.Contains(err.Error(), testPassword) {
				t.Errorf("err = %v carries the password", err)
			}
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("CheckConnection = %q, %v; want %q", got, err, tc.want)
				}
				for i := range lines {
					if strings.HasPrefix(lines[i], "AUTH PLAIN ") {
						lines[i] = "AUTH PLAIN *"
					}
				}
				if strings.Join(lines, "|") != strings.Join(tc.wantLines, "|") {
					t.Errorf("client said %q, want %q", lines, tc.wantLines)
				}
				return
			}
			checkErr(t, err, tc.code, tc.field, tc.temp, tc.contains)
		})
	}
}

// tcpPair is a connected pair of loopback TCP connections: unlike
// net.Pipe they buffer, so that a failed TLS handshake's alert does not
// wait for a reader.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	return client, server
}

// TestCheckConnectionSTARTTLS runs the check against balie's own SMTP
// server, which offers STARTTLS but no AUTH.
func TestCheckConnectionSTARTTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	port := serve(t, &sink{}, &tls.Config{Certificates: []tls.Certificate{cert}})
	tests := []struct {
		name     string
		username string
		want     string
		code     desk.CheckCode
		field    string
		contains string
	}{
		{name: "no login", want: "127.0.0.1:" + port + ", STARTTLS"},
		{name: "login where the server has no AUTH", username: "support@example.nl",
			code: desk.CheckAuthFailed, field: SettingSMTPUsername, contains: "does not offer AUTH"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := desk.Inbox{ID: 7, Channel: desk.ChannelEmail, Settings: map[string]string{
				SettingAddress: "support@example.nl", SettingSMTPHost: "127.0.0.1", SettingSMTPPort: port,
				SettingSMTPUsername: tc.username, SettingSMTPPassword: testPassword}}
			got, err := New(Deps{RootCAs: pool}).CheckConnection(context.Background(), in)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("CheckConnection = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			checkErr(t, err, tc.code, tc.field, false, tc.contains)
		})
	}
}

func TestCheckConnectionSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		field    string
	}{
		{name: "no SMTP server", settings: map[string]string{SettingAddress: "support@example.nl"}, field: SettingSMTPHost},
		{name: "clear text to a remote host", settings: map[string]string{SettingAddress: "support@example.nl",
			SettingSMTPHost: "smtp.example.nl", SettingSMTPTLS: TLSNone}, field: SettingSMTPTLS},
		{name: "bad port", settings: map[string]string{SettingAddress: "support@example.nl",
			SettingSMTPHost: "smtp.example.nl", SettingSMTPPort: "smtp"}, field: SettingSMTPPort},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dial := func(context.Context, string) (net.Conn, error) {
				t.Error("dialed with settings that cannot work")
				return nil, errors.New("no")
			}
			in := desk.Inbox{Channel: desk.ChannelEmail, Settings: tc.settings}
			_, err := New(Deps{Dial: dial}).CheckConnection(context.Background(), in)
			checkErr(t, err, desk.CheckInvalidSetting, tc.field, false, "")
		})
	}
}

// checkErr checks a failed CheckConnection as the admin pages see it
// (desk.CheckErrorOf): code on field (none when field is ""), temporary
// or not, saying contains.
func checkErr(t *testing.T, err error, code desk.CheckCode, field string, temp bool, contains string) {
	t.Helper()
	if err == nil {
		t.Fatal("CheckConnection succeeded, want an error")
	}
	if ce := desk.CheckErrorOf(err); ce.Code != code || ce.Setting != field {
		t.Errorf("code, setting = %s, %q; want %s, %q (%v)", ce.Code, ce.Setting, code, field, err)
	}
	if got := errors.Is(err, desk.ErrInvalid); got != (field != "") {
		t.Errorf("invalid = %v, want %v (%v)", got, field != "", err)
	}
	if got := errors.Is(err, desk.ErrTemporary); got != temp {
		t.Errorf("temporary = %v, want %v (%v)", got, temp, err)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("err = %v, want it to say %q", err, contains)
	}
}
