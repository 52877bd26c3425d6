package telegram

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/desk"
)

// sendEnv is the channel against the fake Bot API, without a store.
type sendEnv struct {
	api   *fakeAPI
	ch    *Channel
	blob  *blob.Disk
	inbox desk.Inbox
}

func newSendEnv(t *testing.T) *sendEnv {
	t.Helper()
	api := newFakeAPI(t)
	disk, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &sendEnv{api: api, blob: disk,
		ch: New(Deps{Blob: disk, Client: api.srv.Client()}),
		inbox: desk.Inbox{ID: 3, Channel: desk.ChannelTelegram, Settings: map[string]string{
			SettingBotToken: testToken, SettingSecretToken: testSecret, SettingAPIBase: api.URL()}}}
}

func (e *sendEnv) attach(t *testing.T, name, ctype string, data []byte) desk.Attachment {
	t.Helper()
	key := blob.NewKey()
	if err := e.blob.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), ctype); err != nil {
		t.Fatal(err)
	}
	return desk.Attachment{ID: 9, Name: name, ContentType: ctype, Size: int64(len(data)), BlobKey: key}
}

func (e *sendEnv) outbound(body string, atts ...desk.Attachment) desk.Outbound {
	return desk.Outbound{Inbox: e.inbox,
		Contact: desk.Contact{ID: 1, Name: "Anna", Identities: []desk.Identity{
			{ID: 1, Kind: desk.IdentityEmail, Value: "anna@example.nl"},
			{ID: 2, Kind: desk.IdentityTelegram, Value: "777"},
		}},
		Message: desk.Message{ID: 11, Body: body, Attachments: atts}}
}

func TestSendText(t *testing.T) {
	e := newSendEnv(t)
	id, err := e.ch.Send(context.Background(), e.outbound("Hallo *Anna*, uw pakket <b>komt</b> morgen."))
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if id != "777:501" {
		t.Errorf("provider id = %q, want 777:501", id)
	}
	calls := e.api.Calls("")
	if len(calls) != 1 || calls[0].Method != "sendMessage" {
		t.Fatalf("calls = %+v, want one sendMessage", calls)
	}
	p := calls[0].Params
	if p["chat_id"] != "777" || p["text"] != "Hallo *Anna*, uw pakket <b>komt</b> morgen." {
		t.Errorf("params = %v, want chat 777 and the text as typed", p)
	}
	if _, ok := p["parse_mode"]; ok {
		t.Errorf("parse_mode = %q, want none (plain text)", p["parse_mode"])
	}
}

func TestSendLongTextIsSplit(t *testing.T) {
	e := newSendEnv(t)
	para := strings.Repeat("woord ", 500) // 3000 bytes
	body := para + "\n" + para + "\n" + para
	id, err := e.ch.Send(context.Background(), e.outbound(body))
	if err != nil {
		t.Fatal(err)
	}
	if id != "777:501" {
		t.Errorf("provider id = %q, want the first part's", id)
	}
	calls := e.api.Calls("sendMessage")
	if len(calls) != 3 {
		t.Fatalf("%d messages, want 3", len(calls))
	}
	var joined []string
	for _, c := range calls {
		if n := utf8.RuneCountInString(c.Params["text"]); n > maxText {
			t.Errorf("part of %d characters, limit %d", n, maxText)
		}
		joined = append(joined, c.Params["text"])
	}
	if strings.Join(strings.Fields(strings.Join(joined, " ")), " ") != strings.Join(strings.Fields(body), " ") {
		t.Error("the parts do not add up to the text")
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"fits", "hallo", 10, []string{"hallo"}},
		{"at a space", "aaaa bbbb cccc", 10, []string{"aaaa bbbb", "cccc"}},
		{"at a newline", "aaa bb\nccc dd", 10, []string{"aaa bb", "ccc dd"}},
		{"hard cut", "abcdefghijkl", 5, []string{"abcde", "fghij", "kl"}},
		{"emoji count twice", "😀😀😀", 4, []string{"😀😀", "😀"}},
		{"empty", "", 5, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := splitText(tc.in, tc.max)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("splitText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}

func TestSendAttachments(t *testing.T) {
	photo := pngBytes(t, 30, 20)
	pdf := []byte("%PDF-1.4\n%%EOF\n")
	tests := []struct {
		name      string
		body      string
		atts      func(e *sendEnv) []desk.Attachment
		wantCalls []string
		caption   string // of the first file
	}{
		{"photo with caption", "Zo ziet het eruit",
			func(e *sendEnv) []desk.Attachment {
				return []desk.Attachment{e.attach(t, "foto.png", "image/png", photo)}
			},
			[]string{"sendPhoto"}, "Zo ziet het eruit"},
		{"pdf as document", "",
			func(e *sendEnv) []desk.Attachment {
				return []desk.Attachment{e.attach(t, "factuur.pdf", "application/pdf", pdf)}
			},
			[]string{"sendDocument"}, ""},
		{"two files: text first", "Twee bestanden",
			func(e *sendEnv) []desk.Attachment {
				return []desk.Attachment{e.attach(t, "foto.png", "image/png", photo), e.attach(t, "factuur.pdf", "application/pdf", pdf)}
			},
			[]string{"sendMessage", "sendPhoto", "sendDocument"}, ""},
		{"caption too long: text first", strings.Repeat("x", maxCaption+1),
			func(e *sendEnv) []desk.Attachment {
				return []desk.Attachment{e.attach(t, "foto.png", "image/png", photo)}
			},
			[]string{"sendMessage", "sendPhoto"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSendEnv(t)
			atts := tc.atts(e)
			id, err := e.ch.Send(context.Background(), e.outbound(tc.body, atts...))
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			if id != "777:501" {
				t.Errorf("provider id = %q, want 777:501", id)
			}
			var methods []string
			var files []fakeCall
			for _, c := range e.api.Calls("") {
				methods = append(methods, c.Method)
				if c.File != nil {
					files = append(files, c)
				}
			}
			if strings.Join(methods, ",") != strings.Join(tc.wantCalls, ",") {
				t.Fatalf("calls = %v, want %v", methods, tc.wantCalls)
			}
			if len(files) != len(atts) {
				t.Fatalf("%d files uploaded, want %d", len(files), len(atts))
			}
			for i, f := range files {
				if f.Params["chat_id"] != "777" || f.FileName != atts[i].Name || f.FileType != atts[i].ContentType {
					t.Errorf("upload %d: chat %q name %q type %q, want 777 %q %q", i, f.Params["chat_id"], f.FileName, f.FileType, atts[i].Name, atts[i].ContentType)
				}
			}
			if got := files[0].Params["caption"]; got != tc.caption {
				t.Errorf("caption = %q, want %q", got, tc.caption)
			}
			if !bytes.Equal(files[0].File, mustRead(t, e, atts[0])) {
				t.Error("uploaded bytes differ from the blob")
			}
		})
	}
}

func mustRead(t *testing.T, e *sendEnv, a desk.Attachment) []byte {
	t.Helper()
	rc, err := e.blob.Open(context.Background(), a.BlobKey)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var b bytes.Buffer
	b.ReadFrom(rc)
	return b.Bytes()
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name       string
		fail       *failure
		closed     bool // the Bot API is unreachable
		contact    *desk.Contact
		temporary  bool
		wantInErr  string
		retryAfter time.Duration
	}{
		{name: "429 is temporary", fail: &failure{http.StatusTooManyRequests, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`},
			temporary: true, wantInErr: "Too Many Requests", retryAfter: 7 * time.Second},
		{name: "5xx is temporary", fail: &failure{http.StatusBadGateway, ""}, temporary: true, wantInErr: "502"},
		{name: "unreachable is temporary", closed: true, temporary: true, wantInErr: "sendMessage"},
		{name: "blocked by the user is permanent", fail: &failure{http.StatusForbidden, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`},
			wantInErr: "Forbidden: bot was blocked by the user"},
		{name: "bad request is permanent", fail: &failure{http.StatusBadRequest, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`},
			wantInErr: "chat not found"},
		{name: "contact without telegram id", contact: &desk.Contact{ID: 4, Identities: []desk.Identity{{Kind: desk.IdentityEmail, Value: "a@b.nl"}}},
			wantInErr: "no telegram identity"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSendEnv(t)
			if tc.fail != nil {
				e.api.setFail("sendMessage", *tc.fail)
			}
			if tc.closed {
				e.api.srv.Close()
			}
			out := e.outbound("hallo")
			if tc.contact != nil {
				out.Contact = *tc.contact
			}
			_, err := e.ch.Send(context.Background(), out)
			if err == nil {
				t.Fatal("send succeeded, want an error")
			}
			if got := errors.Is(err, desk.ErrTemporary); got != tc.temporary {
				t.Errorf("temporary = %v, want %v (%v)", got, tc.temporary, err)
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("error %q does not mention %q", err, tc.wantInErr)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q shows the bot token", err)
			}
			var ae *APIError
			if tc.retryAfter > 0 && (!errors.As(err, &ae) || ae.RetryAfter != tc.retryAfter) {
				t.Errorf("retry after = %v, want %v", ae, tc.retryAfter)
			}
		})
	}
}

func TestCheckAndSetWebhook(t *testing.T) {
	e := newSendEnv(t)
	ctx := context.Background()
	me, err := e.ch.Check(ctx, e.inbox)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if me.Username != "balie_bot" || me.ID != 42 {
		t.Errorf("getMe = %+v, want balie_bot 42", me)
	}
	if err := e.ch.SetWebhook(ctx, e.inbox, "https://desk.example.nl/hooks/telegram/tg-key"); err != nil {
		t.Fatalf("set webhook: %v", err)
	}
	calls := e.api.Calls("setWebhook")
	if len(calls) != 1 {
		t.Fatalf("setWebhook calls = %d, want 1", len(calls))
	}
	p := calls[0].Params
	if p["url"] != "https://desk.example.nl/hooks/telegram/tg-key" || p["secret_token"] != testSecret ||
		p["allowed_updates"] != `["message","edited_message","callback_query"]` {
		t.Errorf("setWebhook params = %v", p)
	}

	bad := e.inbox
	bad.Settings = map[string]string{SettingBotToken: "999:wrong", SettingAPIBase: e.api.URL(), SettingSecretToken: "bad secret!"}
	if _, err := e.ch.Check(ctx, bad); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Errorf("check with a wrong token: %v, want Unauthorized", err)
	}
	if err := e.ch.SetWebhook(ctx, bad, "https://x.nl/h"); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("set webhook with a bad secret: %v, want ErrInvalid", err)
	}
	if _, err := e.ch.Check(ctx, desk.Inbox{Settings: map[string]string{}}); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("check without a token: %v, want ErrInvalid", err)
	}
	if s := NewSecretToken(); !validSecret(s) || len(s) < 40 {
		t.Errorf("NewSecretToken() = %q, not a valid secret", s)
	}
}
