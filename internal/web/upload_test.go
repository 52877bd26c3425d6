package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

type upload struct {
	name string
	data []byte
}

// multipartPost posts the composer form with files, as a browser does.
func (f *fixture) multipartPost(a *desk.Agent, target, csrf string, fields url.Values, files []upload) *http.Request {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if csrf != "" {
		mw.WriteField("csrf_token", csrf)
	}
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, u := range files {
		w, _ := mw.CreateFormFile("files", u.name)
		w.Write(u.data)
	}
	mw.Close()
	r := request(http.MethodPost, target, a, nil)
	r.Body = nopCloser{bytes.NewReader(buf.Bytes())}
	r.ContentLength = int64(buf.Len())
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func TestReplyWithFiles(t *testing.T) {
	big := bytes.Repeat([]byte("a"), MaxUpload+1)
	tests := []struct {
		name      string
		fields    url.Values
		files     []upload
		replyErr  error
		wantFlash string
		wantCalls []string
		wantKept  int // files left in the store afterwards
	}{
		{"two files", url.Values{"body": {"Zie bijlagen"}}, []upload{{"factuur.pdf", []byte("%PDF-1")}, {`C:\Users\jan\"notes".txt`, []byte("hoi")}},
			nil, "ok|flash.sent|", []string{"reply 40 by 1: Zie bijlagen [factuur.pdf text/plain; charset=utf-8 6 key1] [notes.txt text/plain; charset=utf-8 3 key2]"}, 2},
		{"files without text", nil, []upload{{"a.txt", []byte("x")}},
			nil, "ok|flash.sent|", []string{"reply 40 by 1:  [a.txt text/plain; charset=utf-8 1 key1]"}, 1},
		{"no file chosen", url.Values{"body": {"Alleen tekst"}}, []upload{{"", nil}},
			nil, "ok|flash.sent|", []string{"reply 40 by 1: Alleen tekst"}, 0},
		{"too many", url.Values{"body": {"x"}}, slices.Repeat([]upload{{"a.txt", []byte("x")}}, MaxFiles+1),
			nil, "error|flash.invalid|files", nil, 0},
		{"too large", url.Values{"body": {"x"}}, []upload{{"a.txt", []byte("x")}, {"big.txt", big}},
			nil, "error|flash.file_too_large|", nil, 0},
		{"type not allowed", url.Values{"body": {"x"}}, []upload{{"a.txt", []byte("x")}, {"setup.exe", []byte("MZ")}},
			nil, "error|flash.file_type|", nil, 0},
		{"note with a file", url.Values{"body": {"intern"}, "note": {"1"}}, []upload{{"a.txt", []byte("x")}},
			nil, "error|flash.note_files|", nil, 0},
		{"reply refused", url.Values{"body": {"x"}}, []upload{{"a.txt", []byte("x")}},
			desk.ErrNotFound, "error|flash.not_found|", []string{"reply 40 by 1: x [a.txt text/plain; charset=utf-8 1 key1]"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.conv.err = tc.replyErr
			w := f.do(f.multipartPost(f.anna, "/app/conversations/40/messages", "csrf-anna@example.nl", tc.fields, tc.files))
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/app/conversations/40#reply" {
				t.Fatalf("got %d to %q, want 303 back to the reply box", w.Code, w.Header().Get("Location"))
			}
			if got := flashOf(w); got != tc.wantFlash {
				t.Errorf("flash = %q, want %q", got, tc.wantFlash)
			}
			if got := f.conv.Calls(); !slices.Equal(got, tc.wantCalls) {
				t.Errorf("calls = %q, want %q", got, tc.wantCalls)
			}
			if got := len(f.up.stored); got != tc.wantKept {
				t.Errorf("files kept = %d (discarded %v), want %d", got, f.up.discarded, tc.wantKept)
			}
		})
	}
}

func TestReplyWithFilesNeedsCSRF(t *testing.T) {
	f := newFixture(t)
	files := []upload{{"a.txt", []byte("x")}}
	w := f.do(f.multipartPost(f.anna, "/app/conversations/40/messages", "", url.Values{"body": {"x"}}, files))
	if w.Code != http.StatusForbidden {
		t.Errorf("no token: status %d, want 403", w.Code)
	}
	w = f.do(f.multipartPost(f.anna, "/app/conversations/40/messages", "csrf-bram@example.nl", url.Values{"body": {"x"}}, files))
	if w.Code != http.StatusForbidden {
		t.Errorf("another session's token: status %d, want 403", w.Code)
	}
	// Other forms do not read multipart bodies at all.
	w = f.do(f.multipartPost(f.anna, "/app/conversations/40/labels", "csrf-anna@example.nl", url.Values{"labels": {"x"}}, nil))
	if w.Code != http.StatusForbidden {
		t.Errorf("multipart on another form: status %d, want 403", w.Code)
	}
	if calls := f.conv.Calls(); len(calls) != 0 || len(f.up.stored) != 0 {
		t.Errorf("refused posts reached the services: %q, %d files", calls, len(f.up.stored))
	}
	// An anonymous upload is refused before anything is read.
	r := f.multipartPost(nil, "/app/conversations/40/messages", "x", nil, files)
	if w := f.do(r); w.Code != http.StatusUnauthorized {
		t.Errorf("anonymous: status %d, want 401", w.Code)
	}
}

func TestFormBodyLimit(t *testing.T) {
	f := newFixture(t)
	form := url.Values{"name": {strings.Repeat("a", maxForm)}}
	w := f.post(f.anna, "/app/contacts/30", form)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized form: status %d, want 413", w.Code)
	}
	if !strings.Contains(w.Body.String(), "Dat was te veel gegevens tegelijk.") {
		t.Error("the 413 page does not say why")
	}
}

func TestComposerFileInput(t *testing.T) {
	f := newFixture(t)
	body := f.do(request(http.MethodGet, "/app/conversations/40", f.anna, nil)).Body.String()
	if !strings.Contains(body, `enctype="multipart/form-data"`) || !strings.Contains(body, `data-testid="reply-files"`) {
		t.Error("the composer has no file input")
	}
	// Without an upload store the composer stays a plain form, and posted
	// files are refused.
	f.h.d.Uploads = nil
	body = f.do(request(http.MethodGet, "/app/conversations/40", f.anna, nil)).Body.String()
	if strings.Contains(body, `multipart/form-data`) || strings.Contains(body, `type="file"`) {
		t.Error("the composer offers files without an upload store")
	}
	w := f.do(f.multipartPost(f.anna, "/app/conversations/40/messages", "csrf-anna@example.nl", url.Values{"body": {"x"}}, []upload{{"a.txt", []byte("x")}}))
	if flashOf(w) != "error|flash.forbidden|" || len(f.conv.Calls()) != 0 {
		t.Errorf("files without an upload store: flash %q, calls %q", flashOf(w), f.conv.Calls())
	}
}

func TestCleanName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"factuur.pdf", "factuur.pdf"},
		{`C:\Users\jan\scan.png`, "scan.png"},
		{"../../etc/passwd", "passwd"},
		{"a\x00b\r\n.txt", "ab.txt"},
		{`"quoted".txt`, "quoted.txt"},
		{"  ", "file"},
		{"..", "file"},
		{"/", "file"},
		{"bad\xffutf8.txt", "badutf8.txt"},
		{strings.Repeat("é", 150), strings.Repeat("é", 100)},
	}
	for _, tc := range tests {
		if got := cleanName(tc.in); got != tc.want {
			t.Errorf("cleanName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
