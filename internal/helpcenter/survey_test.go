package helpcenter

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/feedback"
)

// withFeedback adds the feedback service and rebuilds the handler with it;
// it returns the token of a survey sent for a resolved conversation.
func (f *fixture) withFeedback(t *testing.T, set feedback.Settings) (*feedback.Service, string) {
	t.Helper()
	ctx := context.Background()
	fb := feedback.New(f.st, f.conv, f.clock, nil, feedback.Options{BaseURL: "https://help.example.com"})
	set.Enabled = true // the fixture needs a survey sent
	if err := fb.SaveSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	d := f.deps()
	d.Feedback = fb
	h, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	f.h, f.mux = h, http.NewServeMux()
	h.Routes(f.mux)

	c := &desk.Contact{Name: "Sanne", Email: "sanne@example.nl", Locale: "nl"}
	if err := f.st.CreateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	at := f.clock.Now().Add(-2 * time.Hour)
	cv := &desk.Conversation{InboxID: f.inbox.ID, Channel: desk.ChannelEmail, ContactID: c.ID, Subject: "Levering",
		Status: desk.StatusResolved, Priority: desk.PriorityNone, LastActivityAt: at,
		CreatedAt: at, UpdatedAt: at, ResolvedAt: at, FirstReplyAt: at}
	if err := f.st.CreateConversation(ctx, cv); err != nil {
		t.Fatal(err)
	}
	if n, err := fb.SendDue(ctx); err != nil || n != 1 {
		t.Fatalf("SendDue = %d, %v; want 1 survey", n, err)
	}
	for _, m := range f.messages(t, cv.ID) {
		if mm := regexp.MustCompile(`/help/nl/survey/([A-Za-z0-9_-]+)`).FindStringSubmatch(m.Body); mm != nil {
			return fb, mm[1]
		}
	}
	t.Fatal("no survey link sent")
	return nil, ""
}

func TestSurveyPages(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		set := feedback.DefaultSettings()
		set.AskNPS, set.ReviewURL, set.ReviewThreshold = true, "https://www.kiyoh.com/de-spaak", 4
		set.Questions = []feedback.Question{{Label: "Hoe snel <b>kreeg</b> je antwoord?", Kind: feedback.QuestionScale}}
		_, token := f.withFeedback(t, set)
		path := "/help/nl/survey/" + token

		page := f.get(t, path)
		if page.status != http.StatusOK {
			t.Fatalf("GET survey = %d, want 200", page.status)
		}
		for _, want := range []string{`<fieldset class="scale" id="csat">`, `name="csat" value="5" required`,
			`name="nps" value="10"`, `name="q1" value="3"`, `Hoe snel &lt;b&gt;kreeg&lt;/b&gt; je antwoord?`, `noindex`} {
			if !strings.Contains(page.body, want) {
				t.Errorf("survey page lacks %q", want)
			}
		}
		if cc := page.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}

		cases := []struct {
			name    string
			target  string
			form    url.Values
			headers map[string]string
			status  int
			want    string
		}{
			{"unknown token", "/help/nl/survey/not-a-token", url.Values{"csat": {"5"}}, nil, http.StatusNotFound, "Vragenlijst niet gevonden"},
			{"no score", path, url.Values{"comment": {"hm"}}, nil, http.StatusUnprocessableEntity, "Kies hoe tevreden je bent"},
			{"from another site", path, url.Values{"csat": {"5"}}, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden, ""},
			{"answer", path, url.Values{"csat": {"5"}, "nps": {"9"}, "q1": {"4"}, "comment": {"Top"}}, nil, http.StatusOK, `id="review-link" href="https://www.kiyoh.com/de-spaak"`},
			{"edit within a day", path, url.Values{"csat": {"3"}}, nil, http.StatusOK, "Bedankt voor je mening!"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				res := f.do(t, http.MethodPost, tc.target, tc.form, tc.headers)
				if res.status != tc.status || !strings.Contains(res.body, tc.want) {
					t.Errorf("POST = %d, want %d containing %q", res.status, tc.status, tc.want)
				}
			})
		}
		sv, err := f.st.SurveyByTokenHash(context.Background(), feedback.HashToken(token))
		if err != nil {
			t.Fatal(err)
		}
		if sv.CSAT != 3 || sv.Comment != "" || sv.State != desk.SurveyAnswered {
			t.Errorf("stored answer = %+v, want the edit (CSAT 3)", sv)
		}
		// The edited form shows what was chosen.
		if page := f.get(t, path); !strings.Contains(page.body, `name="csat" value="3" required checked`) {
			t.Error("survey page after answering does not show the chosen score")
		}
		f.clock.add(25 * time.Hour)
		if res := f.do(t, http.MethodPost, path, url.Values{"csat": {"1"}}, nil); res.status != http.StatusGone {
			t.Errorf("POST after 24 h = %d, want 410", res.status)
		}
		if page := f.get(t, path); !strings.Contains(page.body, "kan niet meer worden gewijzigd") {
			t.Error("survey page after 24 h does not say it is closed")
		}
	})
}

func TestComplimentForm(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.withFeedback(t, feedback.DefaultSettings())
		home := f.get(t, "/help/nl")
		if !strings.Contains(home.body, `<a href="/help/nl/compliment">Compliment of review geven</a>`) {
			t.Error("home page footer lacks the compliment link")
		}
		if page := f.get(t, "/help/en/compliment"); page.status != http.StatusOK || !strings.Contains(page.body, "Give a compliment") {
			t.Errorf("GET compliment = %d, want 200 with the English form", page.status)
		}
		cases := []struct {
			name   string
			form   url.Values
			status int
			stored int
		}{
			{"empty", url.Values{"body": {"  "}}, http.StatusUnprocessableEntity, 0},
			{"honeypot", url.Values{"body": {"buy pills"}, "website": {"x"}}, http.StatusSeeOther, 0},
			{"compliment", url.Values{"body": {"Anna was geweldig!"}, "about": {"Anna"}, "email": {"sanne@example.nl"}}, http.StatusSeeOther, 1},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				res := f.do(t, http.MethodPost, "/help/nl/compliment", tc.form, nil)
				if res.status != tc.status {
					t.Errorf("POST = %d, want %d", res.status, tc.status)
				}
				list, err := f.st.ListCompliments(context.Background(), 10)
				if err != nil {
					t.Fatal(err)
				}
				if len(list) != tc.stored {
					t.Errorf("stored compliments = %d, want %d", len(list), tc.stored)
				}
			})
		}
		if page := f.get(t, "/help/nl/compliment?sent=1"); !strings.Contains(page.body, "Dank je wel!") {
			t.Error("thank-you after a compliment missing")
		}
	})
}
