package outbound

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// fakeSubmission is a minimal scripted submission server: it offers AUTH
// PLAIN, answers AUTH with authReply and records what the client said.
type fakeSubmission struct {
	authReply string

	mu    sync.Mutex
	lines []string
	data  string
}

// serve talks SMTP on conn; the caller closes it.
func (f *fakeSubmission) serve(conn net.Conn) {
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 fake.test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.lines = append(f.lines, line)
		f.mu.Unlock()
		verb, _, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			tp.PrintfLine("250-fake.test")
			tp.PrintfLine("250 AUTH PLAIN LOGIN")
		case "AUTH":
			tp.PrintfLine("%s", f.authReply)
		case "MAIL", "RCPT":
			tp.PrintfLine("250 2.1.0 ok")
		case "DATA":
			tp.PrintfLine("354 go ahead")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.data = string(data)
			f.mu.Unlock()
			tp.PrintfLine("250 2.0.0 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 5.5.2 what?")
		}
	}
}

func (f *fakeSubmission) said() ([]string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lines...), f.data
}

func TestAuthPlain(t *testing.T) {
	cert, pool := selfSigned(t)
	wantAuth := "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00support@example.nl\x00"+testPassword))
	for _, tc := range []struct {
		name      string
		mode      string
		authReply string
		wantErr   bool
		temporary bool
		code      int
	}{
		{name: "accepted, loopback without TLS", mode: TLSNone, authReply: "235 2.7.0 ok"},
		{name: "accepted, implicit TLS", mode: TLSImplicit, authReply: "235 2.7.0 ok"},
		{name: "wrong password is permanent", mode: TLSNone, authReply: "535 5.7.8 Authentication credentials invalid", wantErr: true, code: 535},
		{name: "454 is temporary", mode: TLSImplicit, authReply: "454 4.7.0 Temporary authentication failure", wantErr: true, temporary: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSubmission{authReply: tc.authReply}
			var dialed string
			done := make(chan struct{})
			dial := func(_ context.Context, addr string) (net.Conn, error) {
				dialed = addr
				client, server := net.Pipe()
				go func() {
					defer close(done)
					// Closed raw, without a TLS close_notify: over a
					// synchronous pipe both sides' alerts would block.
					defer server.Close()
					conn := server
					if tc.mode == TLSImplicit {
						conn = tls.Server(server, &tls.Config{Certificates: []tls.Certificate{cert}})
					}
					f.serve(conn)
				}()
				return client, nil
			}
			var logs bytes.Buffer
			ch := New(Deps{Dial: dial, RootCAs: pool, Log: slog.New(slog.NewTextHandler(&logs, nil))})
			out := testOutbound(map[string]string{SettingAddress: "support@example.nl", SettingSMTPHost: "127.0.0.1",
				SettingSMTPTLS: tc.mode, SettingSMTPUsername: "support@example.nl", SettingSMTPPassword: testPassword})
			out.Message.Attachments = nil
			id, err := ch.Send(context.Background(), out)
			<-done

			wantAddr := "127.0.0.1:587"
			if tc.mode == TLSImplicit {
				wantAddr = "127.0.0.1:465"
			}
			if dialed != wantAddr {
				t.Errorf("dialed %q, want %q", dialed, wantAddr)
			}
			lines, data := f.said()
			if len(lines) < 2 || lines[1] != wantAuth {
				t.Errorf("commands = %q, want AUTH PLAIN second: %q", lines, wantAuth)
			}
			if strings.Contains(logs.String(), testPassword) || (err != nil && strings.Contains(err.Error(), testPassword)) {
				t.Errorf("password in log %q or error %v", logs.String(), err)
			}
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("send: %v", err)
				}
				want := []string{"MAIL FROM:<support@example.nl>", "RCPT TO:<jan@customer.example>", "DATA", "QUIT"}
				if got := lines[2:]; strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("after AUTH: %q, want %q", got, want)
				}
				if !strings.Contains(data, "Message-ID: <"+id+">") {
					t.Errorf("data lacks Message-ID %q:\n%s", id, data)
				}
				return
			}
			if err == nil {
				t.Fatal("send succeeded, want an error")
			}
			if got := errors.Is(err, desk.ErrTemporary); got != tc.temporary {
				t.Errorf("temporary = %v, want %v (%v)", got, tc.temporary, err)
			}
			var pe *PermanentError
			if tc.code != 0 && (!errors.As(err, &pe) || pe.Code != tc.code) {
				t.Errorf("err = %v, want a PermanentError %d", err, tc.code)
			}
			if data != "" {
				t.Errorf("mail sent after failed AUTH")
			}
		})
	}
}

// TestSendCancelled stops a submission whose server never answers.
func TestSendCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	dial := func(context.Context, string) (net.Conn, error) {
		client, server := net.Pipe()
		t.Cleanup(func() { server.Close() })
		cancel() // the server says nothing; the cancelled context must end the wait
		return client, nil
	}
	ch := New(Deps{Dial: dial})
	out := testOutbound(map[string]string{SettingAddress: "support@example.nl", SettingSMTPHost: "127.0.0.1", SettingSMTPTLS: TLSNone})
	out.Message.Attachments = nil
	_, err := ch.Send(ctx, out)
	if !errors.Is(err, desk.ErrTemporary) {
		t.Errorf("err = %v, want a temporary error", err)
	}
}
