package imap

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// step is one exchange of a scripted server: it expects a line from the
// client (empty: expect nothing) and answers with reply, written in small
// pieces to exercise reassembly.
type step struct{ expect, reply string }

// scripted runs a fake server over net.Pipe and returns the client end.
// The script fails the test when the client sends something else.
func scripted(t *testing.T, greeting string, steps []step) (net.Conn, <-chan struct{}) {
	t.Helper()
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer server.Close()
		server.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(server)
		write := func(s string) {
			for len(s) > 0 {
				n := min(len(s), 7)
				if _, err := server.Write([]byte(s[:n])); err != nil {
					return
				}
				s = s[n:]
			}
		}
		write(greeting)
		for _, st := range steps {
			if st.expect != "" {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Errorf("server: waiting for %q: %v", st.expect, err)
					return
				}
				if got := strings.TrimRight(line, "\r\n"); got != st.expect {
					t.Errorf("server got %q, want %q", got, st.expect)
					return
				}
			}
			write(st.reply)
		}
	}()
	return client, done
}

func TestClientScripted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body := "Subject: hoi\r\n\r\n) b9 OK fake\r\n"
	conn, done := scripted(t, "* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n", []step{
		{`b1 LOGIN "jan@example.nl" "p\"w"`, "* 3 EXISTS\r\n* OK [ALERT] untagged noise\r\nb1 OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] Logged in\r\n"},
		{`b2 SELECT "INBOX"`, "* FLAGS (\\Seen)\r\n* 5 EXISTS\r\n* OK [UIDVALIDITY 77] x\r\n* OK [UIDNEXT 12] x\r\nb2 OK [READ-WRITE] Select completed\r\n"},
		{"b3 UID SEARCH UNSEEN", "* SEARCH 11 4 9\r\nb3 OK done\r\n"},
		{"b4 UID FETCH 9 (UID BODY.PEEK[])", "* 2 FETCH (FLAGS (\\Seen) UID 4)\r\n* 5 FETCH (UID 9 BODY[] {" + itoa(len(body)) + "}\r\n" + body + ")\r\nb4 OK done\r\n"},
		{`b5 UID STORE 9 +FLAGS.SILENT (\Seen)`, "b5 NO [CANNOT] read-only\r\n"},
		{"b6 UID FETCH 10 (UID BODY.PEEK[])", "b6 OK nothing\r\n"},
		{"b7 LOGOUT", "* BYE bye\r\nb7 OK done\r\n"},
	})
	c, err := NewClient(ctx, conn, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx, "jan@example.nl", `p"w`); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if !c.Has("UIDPLUS") {
		t.Error("capabilities from the LOGIN answer not taken")
	}
	mb, err := c.Select(ctx, "INBOX")
	if err != nil || mb.Exists != 5 || mb.UIDValidity != 77 || mb.UIDNext != 12 {
		t.Errorf("Select = %+v, %v; want 5 messages, validity 77, next 12", mb, err)
	}
	uids, err := c.UIDSearch(ctx, "UNSEEN")
	if err != nil || len(uids) != 3 || uids[0] != 4 || uids[2] != 11 {
		t.Errorf("UIDSearch = %v, %v; want [4 9 11]", uids, err)
	}
	got, err := c.FetchMessage(ctx, 9)
	if err != nil || string(got) != body {
		t.Errorf("FetchMessage = %q, %v; want %q", got, err, body)
	}
	var se *StatusError
	if err := c.AddFlags(ctx, 9, `\Seen`); !errors.As(err, &se) || se.Status != "NO" || se.Code != "CANNOT" {
		t.Errorf("AddFlags = %v, want NO [CANNOT]", err)
	}
	if _, err := c.FetchMessage(ctx, 10); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("FetchMessage of a vanished mail = %v, want ErrNotFound", err)
	}
	if err := c.Logout(ctx); err != nil {
		t.Errorf("Logout = %v", err)
	}
	<-done
}

func TestClientAuthenticatePlain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp := base64.StdEncoding.EncodeToString([]byte("\x00jan\x00geheim"))
	conn, done := scripted(t, "* OK hi\r\n", []step{
		{"b1 CAPABILITY", "* CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=PLAIN\r\nb1 OK\r\n"},
		{"b2 AUTHENTICATE PLAIN", "+ \r\n"},
		{resp, "b2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"},
	})
	c, err := NewClient(ctx, conn, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Login(ctx, "jan", "geheim")
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "Authentication failed.") {
		t.Errorf("Login = %v, want ErrAuth with the server's text", err)
	}
	<-done
}

func TestClientIdle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, done := scripted(t, "* OK [CAPABILITY IMAP4rev1 IDLE] hi\r\n", []step{
		{"b1 IDLE", "+ idling\r\n* 1 FETCH (FLAGS (\\Seen))\r\n* 4 EXISTS\r\n"},
		{"DONE", "b1 OK Idle completed\r\n"},
		{"b2 IDLE", "+ idling\r\n"},
		{"DONE", "b2 OK Idle completed\r\n"},
	})
	c, err := NewClient(ctx, conn, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if changed, err := c.Idle(ctx, 5*time.Second); !changed || err != nil {
		t.Errorf("Idle = %v, %v; want woken by EXISTS", changed, err)
	}
	// Nothing happens: the IDLE ends at its maximum, cleanly.
	if changed, err := c.Idle(ctx, 50*time.Millisecond); changed || err != nil {
		t.Errorf("Idle = %v, %v; want a quiet timeout", changed, err)
	}
	<-done
}

func itoa(n int) string { return strconv.Itoa(n) }
