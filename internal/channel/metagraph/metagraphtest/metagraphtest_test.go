package metagraphtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/channel/metagraph/metagraphtest"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

const token = "EAAX-token"

// call makes a request to the fake with the token as a bearer token
// (unless auth says otherwise) and returns the status and body.
func call(t *testing.T, s *metagraphtest.Server, method, url, auth string, body io.Reader, ctype string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestServerWantsTheBearerToken(t *testing.T) {
	s := metagraphtest.NewServer(t, metagraphtest.Config{Token: token, AnyMedia: true})
	tests := []struct {
		name       string
		url        string
		auth       string
		wantStatus int
	}{
		{"bearer token", s.APIBase() + "/123", "Bearer " + token, http.StatusOK},
		{"no token", s.APIBase() + "/123", "", http.StatusUnauthorized},
		{"other token", s.APIBase() + "/123", "Bearer EAAX-other", http.StatusUnauthorized},
		{"token in the URL too", s.APIBase() + "/123?access_token=" + token, "Bearer " + token, http.StatusUnauthorized},
		{"media file without token", s.URL + "/files/123", "", http.StatusUnauthorized},
		{"CDN without token", s.CDN() + "/v/photo.png", "", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, s, http.MethodGet, tc.url, tc.auth, nil, "")
			if status != tc.wantStatus {
				t.Errorf("status = %d (%s), want %d", status, body, tc.wantStatus)
			}
			if status == http.StatusUnauthorized && !strings.Contains(body, `"code":190`) {
				t.Errorf("body = %s, want Meta's OAuth error (code 190)", body)
			}
		})
	}
}

func TestServerLookup(t *testing.T) {
	tests := []struct {
		name     string
		anyMedia bool
		setup    func(s *metagraphtest.Server)
		id       string
		status   int
		want     string // in the body
	}{
		{"profile", false, func(s *metagraphtest.Server) { s.SetProfile("42", `{"name":"Anna"}`) }, "42", 200, `"name":"Anna"`},
		{"media with its size", false, func(s *metagraphtest.Server) { s.SetMedia("m1", []byte("12345")) }, "m1", 200, `"file_size":5`},
		{"media claiming a size", false, func(s *metagraphtest.Server) {
			s.SetMedia("m1", []byte("12345"))
			s.SetLookup(0, 1<<30)
		}, "m1", 200, `"file_size":1073741824`},
		{"lookup failing", false, func(s *metagraphtest.Server) {
			s.SetProfile("42", `{"name":"Anna"}`)
			s.SetLookup(http.StatusServiceUnavailable, 0)
		}, "42", 503, `"code":2`},
		{"unknown node", false, func(*metagraphtest.Server) {}, "77", 400, `"error_subcode":33`},
		{"unknown node as any media", true, func(*metagraphtest.Server) {}, "77", 200, `/files/77"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := metagraphtest.NewServer(t, metagraphtest.Config{Token: token, AnyMedia: tc.anyMedia})
			tc.setup(s)
			status, body := call(t, s, http.MethodGet, s.APIBase()+"/"+tc.id, "Bearer "+token, nil, "")
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s, want %d with %s", status, body, tc.status, tc.want)
			}
			if got := s.Lookups(); got != 1 {
				t.Errorf("Lookups() = %d, want 1", got)
			}
		})
	}
}

func TestServerMediaDownload(t *testing.T) {
	s := metagraphtest.NewServer(t, metagraphtest.Config{Token: token, AnyMedia: true})
	_, body := call(t, s, http.MethodGet, s.APIBase()+"/m9", "Bearer "+token, nil, "")
	var info struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(body), &info); err != nil {
		t.Fatal(err)
	}
	status, data := call(t, s, http.MethodGet, info.URL, "Bearer "+token, nil, "")
	if status != http.StatusOK || !bytes.Equal([]byte(data), metagraphtest.PNG()) {
		t.Errorf("download = %d, %d bytes; want 200 and the PNG any media stands for", status, len(data))
	}
	if status, _ := call(t, s, http.MethodGet, s.URL+"/files/never-looked-up", "Bearer "+token, nil, ""); status != http.StatusNotFound {
		t.Errorf("unknown file: status %d, want 404", status)
	}
}

func TestServerCDN(t *testing.T) {
	s := metagraphtest.NewServer(t, metagraphtest.Config{Token: token})
	s.SetCDN("/v/a.pdf", metagraphtest.PDF())
	if status, body := call(t, s, http.MethodGet, s.CDN()+"/v/a.pdf", "", nil, ""); status != 200 || body != string(metagraphtest.PDF()) {
		t.Errorf("set file: got %d %q, want the PDF", status, body)
	}
	if _, body := call(t, s, http.MethodGet, s.CDN()+"/v/other.png", "Bearer leak", nil, ""); body != string(metagraphtest.PNG()) {
		t.Errorf("file not set up: got %d bytes, want the PNG", len(body))
	}
	s.SetCDNStatus(http.StatusNotFound)
	if status, _ := call(t, s, http.MethodGet, s.CDN()+"/v/a.pdf", "", nil, ""); status != http.StatusNotFound {
		t.Errorf("CDN set to 404 answered %d", status)
	}
	got := s.CDNAuth()
	want := []string{"", "Bearer leak", ""}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("CDNAuth() = %q, want %q", got, want)
	}
}

func TestServerSend(t *testing.T) {
	tests := []struct {
		name     string
		node     string
		body     string
		wantID   string
		wantBody string // in the answer
	}{
		{"whatsapp", "1122", `{"messaging_product":"whatsapp","to":"31612345678","type":"text"}`,
			"wamid.out-1", `"messages":[{"id":"wamid.out-1"}]`},
		{"messenger", "me", `{"recipient":{"id":"6543"},"message":{"text":"hoi"}}`,
			"m_out-1", `{"recipient_id":"6543","message_id":"m_out-1"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := metagraphtest.NewServer(t, metagraphtest.Config{Token: token})
			status, body := call(t, s, http.MethodPost, s.APIBase()+"/"+tc.node+"/messages", "Bearer "+token,
				strings.NewReader(tc.body), "application/json")
			if status != 200 || !strings.Contains(body, tc.wantBody) {
				t.Errorf("answer = %d %s, want 200 with %s", status, body, tc.wantBody)
			}
			sent := s.Sent()
			if len(sent) != 1 {
				t.Fatalf("Sent() has %d messages, want 1", len(sent))
			}
			if sent[0].Node != tc.node || sent[0].ID != tc.wantID || sent[0].Auth != "Bearer "+token || sent[0].Body == nil {
				t.Errorf("Sent()[0] = %+v, want node %s, id %s and the bearer token", sent[0], tc.node, tc.wantID)
			}
		})
	}
}

func TestServerAnswers(t *testing.T) {
	send := func(t *testing.T, s *metagraphtest.Server) (int, string) {
		return call(t, s, http.MethodPost, s.APIBase()+"/me/messages", "Bearer "+token,
			strings.NewReader(`{"recipient":{"id":"1"}}`), "application/json")
	}
	t.Run("queued in order", func(t *testing.T) {
		s := metagraphtest.NewServer(t, metagraphtest.Config{Token: token})
		s.FailNext(0, "")
		s.FailNext(http.StatusServiceUnavailable, `{"error":{"message":"down","code":2}}`)
		s.FailNext(http.StatusOK, `{"message_id":"canned"}`)
		for i, want := range []struct {
			status int
			body   string
		}{{200, "m_out-1"}, {503, "down"}, {200, "canned"}, {200, "m_out-2"}} {
			status, body := send(t, s)
			if status != want.status || !strings.Contains(body, want.body) {
				t.Errorf("send %d = %d %s, want %d with %s", i+1, status, body, want.status, want.body)
			}
		}
		if n := len(s.Sent()); n != 2 {
			t.Errorf("Sent() has %d messages, want the 2 that went through", n)
		}
	})
	for _, tc := range []struct {
		status   int
		wantCode string
	}{
		{http.StatusTooManyRequests, `"code":1}`},
		{http.StatusBadGateway, `"code":1}`},
		{http.StatusForbidden, `"code":200}`},
		{http.StatusBadRequest, `"code":100}`},
	} {
		t.Run("FailSends "+http.StatusText(tc.status), func(t *testing.T) {
			s := metagraphtest.NewServer(t, metagraphtest.Config{Token: token})
			s.FailNext(http.StatusTeapot, "replaced")
			s.FailSends(tc.status)
			for i := range 10 {
				if status, body := send(t, s); status != tc.status || !strings.Contains(body, tc.wantCode) {
					t.Fatalf("send %d = %d %s, want %d with %s", i+1, status, body, tc.status, tc.wantCode)
				}
			}
			if status, _ := send(t, s); status != http.StatusOK {
				t.Errorf("send 11 = %d, want 200 after ten failures", status)
			}
		})
	}
	t.Run("FailSends 0 empties the queue", func(t *testing.T) {
		s := metagraphtest.NewServer(t, metagraphtest.Config{Token: token})
		s.FailSends(http.StatusInternalServerError)
		s.FailSends(0)
		if status, body := send(t, s); status != http.StatusOK {
			t.Errorf("send = %d %s, want 200", status, body)
		}
	})
}

// form is a multipart body with fields and a file in filePart.
func form(t *testing.T, fields map[string]string, filePart string, data []byte) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if filePart != "" {
		w, err := mw.CreateFormFile(filePart, "foto.png")
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

func TestServerUploads(t *testing.T) {
	png := metagraphtest.PNG()
	tests := []struct {
		name     string
		path     string
		fields   map[string]string
		filePart string
		status   int
		want     string // in the answer
	}{
		{"whatsapp", "/1122/media", map[string]string{"messaging_product": "whatsapp", "type": "image/png"}, "file", 200, `{"id":"media-1"}`},
		{"whatsapp without product", "/1122/media", map[string]string{"type": "image/png"}, "file", 400, "bad upload"},
		{"whatsapp in messenger's part", "/1122/media", map[string]string{"messaging_product": "whatsapp"}, "filedata", 400, "bad upload"},
		{"messenger", "/me/message_attachments", map[string]string{"message": `{"attachment":{"type":"image"}}`, "platform": "instagram"}, "filedata", 200, `{"attachment_id":"att-1"}`},
		{"messenger without message", "/me/message_attachments", nil, "filedata", 400, "bad upload"},
		{"messenger without file", "/me/message_attachments", map[string]string{"message": "{}"}, "", 400, "bad upload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := metagraphtest.NewServer(t, metagraphtest.Config{Token: token})
			body, ctype := form(t, tc.fields, tc.filePart, png)
			status, answer := call(t, s, http.MethodPost, s.APIBase()+tc.path, "Bearer "+token, body, ctype)
			if status != tc.status || !strings.Contains(answer, tc.want) {
				t.Fatalf("answer = %d %s, want %d with %s", status, answer, tc.status, tc.want)
			}
			ups := s.Uploads()
			if status != 200 {
				if len(ups) != 0 {
					t.Errorf("Uploads() has %d files after a refused upload, want none", len(ups))
				}
				return
			}
			if len(ups) != 1 {
				t.Fatalf("Uploads() has %d files, want 1", len(ups))
			}
			u := ups[0]
			if u.Name != "foto.png" || !bytes.Equal(u.Data, png) || u.PartType != "application/octet-stream" {
				t.Errorf("upload = %q %s %d bytes, want foto.png with its bytes", u.Name, u.PartType, len(u.Data))
			}
			for k, v := range tc.fields {
				if u.Fields[k] != v {
					t.Errorf("Fields[%q] = %q, want %q", k, u.Fields[k], v)
				}
			}
		})
	}
}

func TestSignAndTamper(t *testing.T) {
	body := []byte(`{"object":"page"}`)
	in := desk.Inbox{Channel: desk.ChannelMessenger, PublicKey: "pk",
		Settings: map[string]string{metagraph.SettingAppSecret: metagraphtest.AppSecret}}
	r := metagraphtest.SignedRequest(in, body)
	if r.URL.Path != "/hooks/messenger/pk" {
		t.Errorf("path = %s, want /hooks/messenger/pk", r.URL.Path)
	}
	if !metagraph.ValidSignature(metagraphtest.AppSecret, body, r.Header.Get(metagraph.SignatureHeader)) {
		t.Errorf("SignedRequest's signature %q does not verify", r.Header.Get(metagraph.SignatureHeader))
	}
	tampered := metagraphtest.Tamper(r)
	got, err := io.ReadAll(tampered.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) || tampered.URL.Path != r.URL.Path {
		t.Errorf("Tamper changed the request: %s %q", tampered.URL.Path, got)
	}
	sig := tampered.Header.Get(metagraph.SignatureHeader)
	if sig == "" || metagraph.ValidSignature(metagraphtest.AppSecret, body, sig) {
		t.Errorf("Tamper's signature %q verifies with the app secret, want another app's", sig)
	}
	if r := metagraphtest.Request(in, body, ""); r.Header.Get(metagraph.SignatureHeader) != "" {
		t.Errorf("Request without signature carries %q", r.Header.Get(metagraph.SignatureHeader))
	}
}

func TestMediaSniff(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		want   string
		wantOK bool
	}{
		{"PNG", metagraphtest.PNG(), "image/png", true},
		{"JPEG", metagraphtest.JPEG(), "image/jpeg", true},
		{"PDF", metagraphtest.PDF(), "application/pdf", true},
		{"OGG", metagraphtest.OGG(), "audio/ogg", true},
		{"MP4", metagraphtest.MP4(), "video/mp4", true},
		{"M4A", metagraphtest.M4A(), "audio/mp4", true},
		{"WebP", metagraphtest.WebP(), "image/webp", true},
		{"EXE", metagraphtest.EXE(), "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := blob.SniffMedia(tc.data, "")
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("SniffMedia = %q, %v; want %q, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestEnvInbox(t *testing.T) {
	e := metagraphtest.NewEnv(t, testenv.OpenSQLite, metagraphtest.Config{Token: token})
	first := e.Inbox(t, desk.ChannelWhatsApp, map[string]string{"phone_number_id": "1122", "access_token": token},
		map[string]string{metagraph.SettingAppSecret: "", "access_token": "other"})
	second := e.Inbox(t, desk.ChannelWhatsApp, nil, nil)
	want := map[string]string{
		metagraph.SettingVerifyToken: metagraphtest.VerifyToken, metagraph.SettingAPIBase: e.Graph.APIBase(),
		"phone_number_id": "1122", "access_token": "other",
	}
	if len(first.Settings) != len(want) {
		t.Errorf("settings = %v, want %v", first.Settings, want)
	}
	for k, v := range want {
		if first.Settings[k] != v {
			t.Errorf("settings[%q] = %q, want %q", k, first.Settings[k], v)
		}
	}
	if first.ID == 0 || first.PublicKey == second.PublicKey || first.Name == second.Name {
		t.Errorf("inboxes %+v and %+v are not stored apart", first, second)
	}
	if second.Settings[metagraph.SettingAppSecret] != metagraphtest.AppSecret {
		t.Errorf("second inbox's app secret = %q, want %q", second.Settings[metagraph.SettingAppSecret], metagraphtest.AppSecret)
	}
}
