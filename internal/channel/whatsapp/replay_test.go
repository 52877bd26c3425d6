package whatsapp

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/channel/metagraph/metagraphtest"
	"github.com/balie-dev/balie/internal/testenv"
)

// dataDir holds the shared WhatsApp webhook bodies (see
// ../shared/data/SOURCES.md): files of {case: body}, some nested one level.
const dataDir = "../../../../shared/data/channels/whatsapp_cloud"

// replayCase is one webhook body of the shared data.
type replayCase struct {
	name string // file/case
	body []byte
}

func loadCases(t *testing.T) []replayCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dataDir, "pywa_updates", "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("shared data not found at %s (see SOURCES.md): %v", dataDir, err)
	}
	var out []replayCase
	var walk func(prefix string, m map[string]json.RawMessage)
	walk = func(prefix string, m map[string]json.RawMessage) {
		for k, v := range m {
			var probe map[string]json.RawMessage
			if err := json.Unmarshal(v, &probe); err != nil {
				t.Fatalf("%s/%s: %v", prefix, k, err)
			}
			if _, ok := probe["entry"]; ok {
				out = append(out, replayCase{prefix + "/" + k, v})
			} else {
				walk(prefix+"/"+k, probe)
			}
		}
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walk(strings.TrimSuffix(filepath.Base(f), ".json"), m)
	}
	slices.SortFunc(out, func(a, b replayCase) int { return strings.Compare(a.name, b.name) })
	return out
}

// want is what one replayed body must store. Cases not in the table must
// store nothing (statuses of unknown messages, account and template
// events, calls, removed reactions, unsupported types).
type want struct {
	body      string // the exact body, or
	contains  []string
	absent    []string
	media     []byte // bytes the fake serves for the message's media id
	mediaID   string
	ctype     string // the attachment's content type ("" for none)
	name      string
	thumb     bool
	phone     string // default +972987654321
	contactNm string // default Test Name
}

func TestReplaySharedPayloads(t *testing.T) {
	cases := loadCases(t)
	const doc = "1234567890987654321" // the media id several shared bodies use
	wants := map[string]want{
		"message/text":                                {body: "Body Text"},
		"message/image":                               {mediaID: "65463453", media: metagraphtest.JPEG(), ctype: "image/jpeg", name: "image.jpg", thumb: true},
		"message/media_with_url":                      {mediaID: "65463453", media: metagraphtest.JPEG(), ctype: "image/jpeg", name: "image.jpg", thumb: true},
		"message/video":                               {body: "caption", mediaID: "765756756", media: metagraphtest.MP4(), ctype: "video/mp4", name: "video.mp4"},
		"message/document":                            {body: "caption", mediaID: doc, media: metagraphtest.PDF(), ctype: "application/pdf", name: "filename.pdf"},
		"message/audio":                               {mediaID: doc, media: metagraphtest.OGG(), ctype: "audio/ogg", name: "audio.ogg"},
		"message/voice":                               {mediaID: doc, media: metagraphtest.OGG(), ctype: "audio/ogg", name: "voice.ogg"},
		"message/static_sticker":                      {mediaID: doc, media: metagraphtest.WebP(), ctype: "image/webp", name: "sticker.webp"},
		"message/animated_sticker":                    {mediaID: doc, media: metagraphtest.WebP(), ctype: "image/webp", name: "sticker.webp"},
		"message/reaction":                            {body: "reageerde met 😮 op een bericht"},
		"message/current_location":                    {body: "📍 Locatie\nhttps://www.openstreetmap.org/?mlat=12.25089&mlon=43.90539#map=17/12.25089/43.90539"},
		"message/chosen_location":                     {body: "📍 Facebook HQ\n1 Hacker Way, Menlo Park, CA 94025\nhttps://www.openstreetmap.org/?mlat=37.4611978&mlon=-122.2164385#map=17/37.4611978/-122.2164385"},
		"message/contacts":                            {contains: []string{"👤 Contactkaart", "- Chandler Bing, +1 555-555-5555", "- Monica, +1 666-666-6666", "- Rachel Green, +1 777-777-7777"}},
		"message/order":                               {contains: []string{"🛒 Bestelling", "- 3 × HAMBURGER (30 ILS)", "- 2 × FRENCH_FRIES (35 ILS)", "- 2 × SODA (10 ILS)"}},
		"message/reply":                               {body: "replied text"},
		"message/forwarded":                           {body: "forwarded text"},
		"message/forwarded_many_times":                {body: "text forwarded many times"},
		"message/referral":                            {body: "BODY\n\n(via advertentie: AD_TITLE AD_OR_POST_FB_URL)"},
		"callback_button/button":                      {body: "title"},
		"callback_button/quick_reply":                 {body: "title"},
		"callback_button/quick_reply_without_context": {body: "title"},
		"callback_selection/callback":                 {body: "title"},
		"callback_selection/description":              {body: "title"},
		"call_permission_update/accept":               {body: "Bellen toegestaan: accept"},
		"call_permission_update/reject":               {body: "Bellen toegestaan: reject"},
		"flow_completion/completion": {contains: []string{"📋 Formulier ingevuld", "comment_text: Comment Text", "delivery_rating: 4"},
			absent: []string{"flow_token", "AQAAAAACS5FpgQ"}},
		"flow_completion/without_flow_token": {contains: []string{"📋 Formulier ingevuld", "purchase_rating: 2"}},
		"edited_message/image": {body: "(bewerkt) Updated image caption", mediaID: "1234567890", media: metagraphtest.PNG(),
			ctype: "image/png", name: "image.png", thumb: true,
			// The sender is not the one the body names in "contacts".
			phone: "+16505551234", contactNm: "+16505551234"},
	}
	for _, store := range testenv.Stores() {
		t.Run(store.Name, func(t *testing.T) { replay(t, newEnvOn(t, store.Open), cases, wants) })
	}
}

// replay posts every case twice into a fresh inbox and checks what was
// stored against wants.
func replay(t *testing.T, e *env, cases []replayCase, wants map[string]want) {
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, stores := wants[c.name]
			seen[c.name] = true
			in := e.inbox(t, map[string]string{SettingPhoneNumberID: ""})
			if w.mediaID != "" {
				e.Graph.SetMedia(w.mediaID, w.media)
			}
			for i := range 2 {
				if got := e.PostSigned(t, in, c.body); got != http.StatusOK {
					t.Fatalf("post %d: status = %d, want 200", i+1, got)
				}
			}
			got := e.Messages(t, in)
			if !stores {
				if len(got) != 0 {
					t.Fatalf("stored %d messages (first %q), want none", len(got), got[0].Body)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("stored %d messages after a replay, want exactly 1", len(got))
			}
			m := got[0]
			if w.body != "" || (len(w.contains) == 0 && w.ctype != "") {
				if m.Body != w.body {
					t.Errorf("body = %q, want %q", m.Body, w.body)
				}
			}
			for _, s := range w.contains {
				if !strings.Contains(m.Body, s) {
					t.Errorf("body = %q, want it to contain %q", m.Body, s)
				}
			}
			for _, s := range w.absent {
				if strings.Contains(m.Body, s) {
					t.Errorf("body = %q, want no %q", m.Body, s)
				}
			}
			phone, name := w.phone, w.contactNm
			if phone == "" {
				phone = "+972987654321"
			}
			if name == "" {
				name = "Test Name"
			}
			if m.Contact.Phone != phone || m.Contact.Name != name {
				t.Errorf("contact = %q %q, want %q %q", m.Contact.Name, m.Contact.Phone, name, phone)
			}
			if w.ctype == "" {
				if len(m.Attachments) != 0 {
					t.Errorf("got %d attachments, want none", len(m.Attachments))
				}
				return
			}
			if len(m.Attachments) != 1 {
				t.Fatalf("got %d attachments, want 1", len(m.Attachments))
			}
			a := m.Attachments[0]
			if a.ContentType != w.ctype || a.Name != w.name || a.Size != int64(len(w.media)) || (a.ThumbKey != "") != w.thumb {
				t.Errorf("attachment = %s %q %d bytes thumb=%v, want %s %q %d bytes thumb=%v",
					a.ContentType, a.Name, a.Size, a.ThumbKey != "", w.ctype, w.name, len(w.media), w.thumb)
			}
		})
	}
	for name := range wants {
		if !seen[name] {
			t.Errorf("expected case %s is not in the shared data", name)
		}
	}
	if len(cases) < 70 {
		t.Errorf("replayed %d cases, want the 74 of SOURCES.md", len(cases))
	}
}

func TestSignatureVector(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(dataDir, "signature_vector_pywa.json"))
	if err != nil {
		t.Skipf("shared data not found at %s (see SOURCES.md): %v", dataDir, err)
	}
	var v struct {
		AppSecret string `json:"app_secret"`
		RawBody   string `json:"raw_body"`
		Header    string `json:"x_hub_signature_256"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	body := []byte(v.RawBody)
	if !metagraph.ValidSignature(v.AppSecret, body, v.Header) {
		t.Fatal("the real signature vector does not verify")
	}
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)/2] ^= 1
	if metagraph.ValidSignature(v.AppSecret, tampered, v.Header) {
		t.Error("a tampered body verifies")
	}
	if metagraph.ValidSignature(v.AppSecret+"x", body, v.Header) {
		t.Error("another secret verifies")
	}
	// Through the handler, with the real header, into a real store.
	e := newEnv(t)
	in := e.inbox(t, map[string]string{SettingAppSecret: v.AppSecret, SettingPhoneNumberID: "277321005464405"})
	if got := e.Post(t, in, body, v.Header); got != http.StatusOK {
		t.Fatalf("status = %d, want 200", got)
	}
	if got := e.Post(t, in, tampered, v.Header); got != http.StatusUnauthorized {
		t.Errorf("tampered body: status = %d, want 401", got)
	}
	got := e.Messages(t, in)
	if len(got) != 1 {
		t.Fatalf("stored %d messages, want 1", len(got))
	}
	if m := got[0]; m.Body != "Hey there! I am using PyWa." || m.Contact.Phone != "+972544401243" || m.Contact.Name != "PyWa Tests" ||
		m.ExternalID != "wamid.HBgMOTcyNTQ0NDAxMjQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA" {
		t.Errorf("message = %q from %q %q (%s), want PyWa's text from PyWa Tests +972544401243", m.Body, m.Contact.Name, m.Contact.Phone, m.ExternalID)
	}
}
