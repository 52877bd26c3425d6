package helpcenter

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// withContact configures the contact page: phone, email form and callback
// into the fixture's inbox, and a chat widget.
func (f *fixture) withContact(t *testing.T) {
	t.Helper()
	err := SetContactSettings(context.Background(), f.st, ContactConfig{InboxID: f.inbox.ID, EmailForm: true, Callback: true,
		Phone: "020 123 45 67", PhoneHours: "ma–vr 9–17 uur"})
	if err != nil {
		t.Fatal(err)
	}
	d := f.deps()
	d.WidgetKey = func(context.Context) string { return "pk_chat" }
	if f.h, err = New(d); err != nil {
		t.Fatal(err)
	}
	f.mux = http.NewServeMux()
	f.h.Routes(f.mux)
}

// conversations are the fixture inbox's conversations, newest first.
func (f *fixture) conversations(t *testing.T) []desk.Conversation {
	t.Helper()
	page, err := f.st.ListConversations(context.Background(), desk.ConversationQuery{View: desk.ViewAll, InboxID: f.inbox.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func (f *fixture) messages(t *testing.T, convID int64) []desk.Message {
	t.Helper()
	msgs, err := f.st.ListMessages(context.Background(), convID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// visits are every contact visit the fixture recorded, by id.
func (f *fixture) visits(t *testing.T) []desk.ContactVisit {
	t.Helper()
	var out []desk.ContactVisit
	for id := int64(1); id < 100; id++ {
		v, err := f.st.ContactVisitByID(context.Background(), id)
		if err != nil {
			break
		}
		out = append(out, *v)
	}
	return out
}

var cvRe = regexp.MustCompile(`[?&;]cv=([0-9]+\.[0-9a-f]+)`)

func TestContactPage(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.withContact(t)
		hostile := `"><script>alert(9)</script>`
		tests := []struct {
			name    string
			target  string
			status  int
			cache   string
			want    []string
			notWant []string
		}{
			{name: "asks first, options hidden", target: "/help/nl/contact", status: http.StatusOK, cache: cachePublic,
				want: []string{"<h1>Contact</h1>", "Waar gaat je vraag over?", `action="/help/nl/contact" method="get"`,
					`data-suggest="/help/nl/suggest?flows=1"`, "Ik heb nog steeds hulp nodig"},
				notWant: []string{`id="options"`, "020 123 45 67", `name="token"`, "/help/nl/contact/email"}},
			{name: "answers and options after a question", target: "/help/nl/contact?q=adres+wijzigen", status: http.StatusOK, cache: cachePrivate,
				want: []string{"Misschien helpt dit je direct", `href="/help/nl/a/adres-wijzigen?`, "cv=", `href="/help/nl/flows/pakket-niet-bezorgd?cv=`,
					"stappenplan", `id="options"`, `<a class="phone" href="tel:0201234567" data-option="phone">020 123 45 67</a>`, "ma–vr 9–17 uur",
					`action="/help/nl/contact/email"`, `action="/help/nl/contact/callback"`, `name="token"`, `name="website"`,
					`<textarea id="email-message" name="message" rows="6" maxlength="5000" required>adres wijzigen</textarea>`,
					"data-open-chat", `<meta name="robots" content="noindex, follow">`},
				notWant: []string{"Concept stappenplan", "Ik heb nog steeds hulp nodig"}},
			{name: "I still need help", target: "/help/nl/contact?need=1", status: http.StatusOK,
				want: []string{`id="options"`, `action="/help/nl/contact/email"`}, notWant: []string{"Misschien helpt dit je direct"}},
			{name: "no answers found", target: "/help/nl/contact?q=xylofoonstemmer", status: http.StatusOK,
				want: []string{"We hebben geen antwoord gevonden", `id="options"`}},
			{name: "English", target: "/help/en/contact?q=change+address", status: http.StatusOK,
				want: []string{`<html lang="en">`, "This may help you right away", `href="/help/en/a/change-address?`, "Send us a message"}},
			{name: "question too long", target: "/help/nl/contact?q=" + strings.Repeat("a", 301), status: http.StatusBadRequest,
				want: []string{"Die vraag is te lang"}},
			{name: "hostile question", target: "/help/nl/contact?q=" + url.QueryEscape(hostile), status: http.StatusOK,
				notWant: []string{"<script>alert(9)", `"><script`}},
			{name: "sent", target: "/help/nl/contact?sent=email", status: http.StatusOK,
				want: []string{"Bedankt, we hebben je vraag ontvangen"}, notWant: []string{`action="/help/nl/contact/email"`}},
			{name: "open a suggestion", target: "/help/nl/contact?q=adres&open=" + url.QueryEscape("/help/nl/a/adres-wijzigen"),
				status: http.StatusSeeOther},
			{name: "open elsewhere is refused", target: "/help/nl/contact?q=adres&open=" + url.QueryEscape("https://evil.example/x"),
				status: http.StatusBadRequest},
			{name: "open another locale is refused", target: "/help/nl/contact?q=adres&open=" + url.QueryEscape("/help/en/a/change-address"),
				status: http.StatusBadRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := f.get(t, tt.target)
				if res.status != tt.status {
					t.Fatalf("status %d, want %d\n%s", res.status, tt.status, res.body)
				}
				if tt.cache != "" && res.header.Get("Cache-Control") != tt.cache {
					t.Errorf("Cache-Control = %q, want %q", res.header.Get("Cache-Control"), tt.cache)
				}
				for _, w := range tt.want {
					if !strings.Contains(res.body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				for _, w := range tt.notWant {
					if strings.Contains(res.body, w) {
						t.Errorf("page has %q", w)
					}
				}
				if opens, closes := strings.Count(res.body, "<script"), strings.Count(res.body, "</script>"); opens != closes {
					t.Errorf("%d <script> but %d </script>", opens, closes)
				}
			})
		}
		t.Run("open redirects with the visit", func(t *testing.T) {
			res := f.get(t, "/help/nl/contact?q=adres&open="+url.QueryEscape("/help/nl/flows/pakket-niet-bezorgd"))
			loc := res.header.Get("Location")
			if !strings.HasPrefix(loc, "/help/nl/flows/pakket-niet-bezorgd?cv=") {
				t.Errorf("Location = %q, want the flow with cv", loc)
			}
		})
		t.Run("header and footer link the contact page", func(t *testing.T) {
			body := f.get(t, "/help/nl/a/betaalmethoden").body
			if n := strings.Count(body, `href="/help/nl/contact">Contact</a>`); n != 2 {
				t.Errorf("%d links to the contact page in header and footer, want 2", n)
			}
		})
	})
}

func TestSuggestFlows(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		tests := []struct {
			target string
			want   string
		}{
			{"/help/nl/suggest?q=pakket&flows=1", `[{"title":"Pakket niet bezorgd","url":"/help/nl/flows/pakket-niet-bezorgd","kind":"flow"}]`},
			{"/help/nl/suggest?q=pak&flows=1", `[{"title":"Pakket niet bezorgd","url":"/help/nl/flows/pakket-niet-bezorgd","kind":"flow"}]`},
			{"/help/nl/suggest?q=pakket", `[]`},
			{"/help/en/suggest?q=parcel&flows=1", `[{"title":"Parcel not delivered","url":"/help/en/flows/parcel-not-delivered","kind":"flow"}]`},
			{"/help/nl/suggest?q=concept&flows=1", `[]`},
		}
		for _, tt := range tests {
			t.Run(tt.target, func(t *testing.T) {
				if got := strings.TrimSpace(f.get(t, tt.target).body); got != tt.want {
					t.Errorf("GET %s = %s, want %s", tt.target, got, tt.want)
				}
			})
		}
	})
}

// contactForm reads the page's form for kind with a question asked.
func (f *fixture) contactForm(t *testing.T, target, kind string, headers map[string]string) url.Values {
	t.Helper()
	res := f.do(t, http.MethodGet, target, nil, headers)
	if res.status != http.StatusOK {
		t.Fatalf("GET %s: %d", target, res.status)
	}
	return hiddenFields(t, res.body, "/help/nl/contact/"+kind)
}

func TestContactForms(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.withContact(t)
		ctx := context.Background()
		form := f.contactForm(t, "/help/nl/contact?q=pakket+kwijt", "email", nil)
		if form.Get("token") == "" || form.Get("q") != "pakket kwijt" || form.Get("cv") == "" {
			t.Fatalf("hidden fields = %v", form)
		}
		with := func(kv ...string) url.Values {
			v := url.Values{}
			for k, vs := range form {
				v[k] = slices.Clone(vs)
			}
			for i := 0; i < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		other, err := f.h.sign.formToken(ctx, "203.0.113.9")
		if err != nil {
			t.Fatal(err)
		}
		old := f.clock.Now()
		tests := []struct {
			name    string
			kind    string
			form    url.Values
			headers map[string]string
			status  int
			want    string // in the body
			created bool
			later   time.Duration // clock moved before posting
		}{
			{name: "bad email", kind: "email", form: with("name", "Jan", "email", "jan@", "message", "Waar blijft het?"),
				status: http.StatusBadRequest, want: "Vul een geldig e-mailadres in"},
			{name: "empty message", kind: "email", form: with("email", "jan@example.nl", "message", " "),
				status: http.StatusBadRequest, want: "Vul je vraag in"},
			{name: "message too long", kind: "email", form: with("email", "jan@example.nl", "message", strings.Repeat("x", 5001)),
				status: http.StatusBadRequest},
			{name: "hostile name is escaped", kind: "email", form: with("name", `<script>alert(10)</script>`, "email", "nope", "message", "hoi"),
				status: http.StatusBadRequest, want: "&lt;script&gt;alert(10)&lt;/script&gt;"},
			{name: "honeypot", kind: "email", form: with("email", "bot@example.nl", "message", "buy now", "website", "http://spam.example"),
				status: http.StatusSeeOther},
			{name: "missing token", kind: "email", form: with("token", "", "email", "jan@example.nl", "message", "hoi"),
				status: http.StatusForbidden},
			{name: "forged token", kind: "email", form: with("token", "abc."+strings.Repeat("0", 32), "email", "jan@example.nl", "message", "hoi"),
				status: http.StatusForbidden},
			{name: "token of another network", kind: "email", form: with("token", other, "email", "jan@example.nl", "message", "hoi"),
				status: http.StatusForbidden},
			{name: "expired token", kind: "email", form: with("email", "jan@example.nl", "message", "hoi"),
				later: 5 * time.Hour, status: http.StatusForbidden},
			{name: "cross-site", kind: "email", form: with("email", "jan@example.nl", "message", "hoi"),
				headers: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: http.StatusForbidden},
			{name: "callback without phone", kind: "callback", form: with("name", "Jan", "phone", "bel me"),
				status: http.StatusBadRequest, want: "Vul een geldig telefoonnummer in"},
			{name: "email", kind: "email", form: with("name", "Jan Jansen", "email", "Jan@Example.nl", "message", "Mijn pakket is kwijt."),
				status: http.StatusSeeOther, created: true},
			{name: "callback", kind: "callback", form: with("name", "Piet", "phone", "06 12345678", "time", "morgen na 14.00"),
				status: http.StatusSeeOther, created: true},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := len(f.conversations(t))
				f.clock.add(tt.later)
				defer func() { f.clock.add(-tt.later) }()
				// Each case from its own address in the page's /24: the
				// token holds, the rate limit does not add up.
				headers := map[string]string{"RemoteAddr": fmt.Sprintf("192.0.2.%d:1", 20+i)}
				for k, v := range tt.headers {
					headers[k] = v
				}
				res := f.do(t, http.MethodPost, "/help/nl/contact/"+tt.kind, tt.form, headers)
				if res.status != tt.status {
					t.Fatalf("status %d, want %d\n%s", res.status, tt.status, res.body)
				}
				if tt.want != "" && !strings.Contains(res.body, tt.want) {
					t.Errorf("body lacks %q", tt.want)
				}
				if strings.Contains(res.body, "<script>alert") {
					t.Errorf("body has a script unescaped")
				}
				if res.status == http.StatusSeeOther {
					if loc, want := res.header.Get("Location"), "/help/nl/contact?sent="+tt.kind+"#sent"; loc != want {
						t.Errorf("Location = %q, want %q", loc, want)
					}
				}
				if got := len(f.conversations(t)) - before; got != map[bool]int{true: 1}[tt.created] {
					t.Errorf("%d conversations created, want created=%v", got, tt.created)
				}
			})
		}
		if !f.clock.Now().Equal(old) {
			t.Fatalf("clock moved")
		}

		convs := f.conversations(t)
		if len(convs) != 2 {
			t.Fatalf("%d conversations, want 2", len(convs))
		}
		byContact := map[string]desk.Conversation{}
		for _, c := range convs {
			ct, err := f.st.ContactByID(ctx, c.ContactID)
			if err != nil {
				t.Fatal(err)
			}
			byContact[ct.Name] = c
			switch ct.Name {
			case "Jan Jansen":
				if ct.Email != "jan@example.nl" {
					t.Errorf("email contact = %q, want jan@example.nl", ct.Email)
				}
				if c.Subject != "pakket kwijt" {
					t.Errorf("subject = %q, want the question", c.Subject)
				}
				msgs := f.messages(t, c.ID)
				if len(msgs) == 0 || msgs[0].Body != "Mijn pakket is kwijt." || msgs[0].Sender != desk.SenderContact {
					t.Errorf("messages = %+v", msgs)
				}
			case "Piet":
				if ct.Phone != "+31612345678" {
					t.Errorf("callback contact phone = %q", ct.Phone)
				}
				msgs := f.messages(t, c.ID)
				want := "Terugbelverzoek: Piet, 06 12345678, voorkeur: morgen na 14.00\n\nVraag: pakket kwijt"
				if len(msgs) == 0 || msgs[0].Body != want {
					t.Errorf("callback message = %+v, want body %q", msgs, want)
				}
			default:
				t.Errorf("unexpected contact %q", ct.Name)
			}
			if c.InboxID != f.inbox.ID {
				t.Errorf("conversation in inbox %d, want %d", c.InboxID, f.inbox.ID)
			}
		}

		t.Run("forms off", func(t *testing.T) {
			if err := SetContactSettings(ctx, f.st, ContactConfig{Phone: "020 123 45 67"}); err != nil {
				t.Fatal(err)
			}
			res := f.do(t, http.MethodPost, "/help/nl/contact/email", with("email", "jan@example.nl", "message", "hoi"), nil)
			if res.status != http.StatusNotFound {
				t.Errorf("status %d, want 404", res.status)
			}
		})
	})
}

func TestContactRateLimit(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.withContact(t)
		form := f.contactForm(t, "/help/nl/contact?need=1", "email", nil)
		form.Set("email", "jan@example.nl")
		for i := range 5 {
			form.Set("message", fmt.Sprintf("vraag %d", i))
			if res := f.do(t, http.MethodPost, "/help/nl/contact/email", form, nil); res.status != http.StatusSeeOther {
				t.Fatalf("post %d: status %d", i+1, res.status)
			}
		}
		if res := f.do(t, http.MethodPost, "/help/nl/contact/email", form, nil); res.status != http.StatusTooManyRequests {
			t.Errorf("6th post: status %d, want 429", res.status)
		}
	})
}

func TestContactSettings(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		tests := []struct {
			name string
			in   ContactConfig
			ok   bool
		}{
			{"phone only", ContactConfig{Phone: "+31 20 123 45 67"}, true},
			{"forms with inbox", ContactConfig{InboxID: f.inbox.ID, EmailForm: true, Callback: true}, true},
			{"forms without inbox", ContactConfig{EmailForm: true}, false},
			{"unknown inbox", ContactConfig{InboxID: 9999, EmailForm: true}, false},
			{"not a phone number", ContactConfig{Phone: "bel ons"}, false},
			{"hours too long", ContactConfig{PhoneHours: strings.Repeat("x", 101)}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := SetContactSettings(ctx, f.st, tt.in)
				if (err == nil) != tt.ok {
					t.Fatalf("SetContactSettings(%+v) = %v, want ok=%v", tt.in, err, tt.ok)
				}
				if !tt.ok {
					return
				}
				got, err := ContactSettings(ctx, f.st)
				if err != nil || got != tt.in {
					t.Errorf("ContactSettings = %+v, %v; want %+v", got, err, tt.in)
				}
			})
		}
	})
}

// TestFlowHandoverToContact follows a flow to its hand-over, on to the
// contact page, and sends the email form: the agent gets the flow's steps.
func TestFlowHandoverToContact(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.withContact(t)
		w := f.startFlow(t, "/help/nl/flows/pakket-niet-bezorgd")
		w.answer(t, "1")
		w.answer(t, "2")
		m := regexp.MustCompile(`<a class="button" href="(/help/nl/contact\?flow_run=[^"]+)">Neem contact op</a>`).FindStringSubmatch(w.body)
		if m == nil {
			t.Fatalf("hand-over has no contact link:\n%s", w.body)
		}
		target := strings.ReplaceAll(m[1], "&amp;", "&")
		page := f.get(t, target)
		for _, want := range []string{"Je hebt het stappenplan ‘Pakket niet bezorgd’ doorlopen", `id="options"`, `name="flow_run"`} {
			if !strings.Contains(page.body, want) {
				t.Errorf("contact page lacks %q", want)
			}
		}
		form := hiddenFields(t, page.body, "/help/nl/contact/email")
		form.Set("email", "klant@example.nl")
		form.Set("message", "Het artikel hielp niet.")
		if res := f.do(t, http.MethodPost, "/help/nl/contact/email", form, nil); res.status != http.StatusSeeOther {
			t.Fatalf("status %d\n%s", res.status, res.body)
		}
		convs := f.conversations(t)
		if len(convs) != 1 {
			t.Fatalf("%d conversations, want 1", len(convs))
		}
		var note string
		for _, msg := range f.messages(t, convs[0].ID) {
			if msg.Kind == desk.KindNote {
				note = msg.Body
			}
		}
		for _, want := range []string{"Pakket niet bezorgd", "Wat is er aan de hand? → Ik ben verhuisd", "Lees eerst dit artikel. → no"} {
			if !strings.Contains(note, want) {
				t.Errorf("note %q lacks %q", note, want)
			}
		}
		t.Run("someone else's run is ignored", func(t *testing.T) {
			body := f.get(t, "/help/nl/contact?flow_run=1.0000").body
			if strings.Contains(body, "Pakket niet bezorgd") {
				t.Errorf("a run with the wrong key was shown")
			}
		})
	})
}

// TestDeflection counts contact-page visits: a question makes a visit, an
// answer opened from it marks it answered, a form sent from it contacted.
func TestDeflection(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.withContact(t)
		ctx := context.Background()
		start := f.clock.Now()
		cvOf := func(body string) string {
			t.Helper()
			m := cvRe.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no cv link in:\n%s", body)
			}
			return m[1]
		}
		// 1. Asks, opens an article: deflected.
		page := f.get(t, "/help/nl/contact?q=adres+wijzigen").body
		cv1 := cvOf(page)
		if n := len(f.visits(t)); n != 1 {
			t.Fatalf("%d visits after a question, want 1", n)
		}
		art := f.get(t, "/help/nl/a/adres-wijzigen?cv="+cv1)
		if !strings.Contains(art.body, `<a class="button" href="/help/nl/contact?cv=`+cv1+`">`) {
			t.Errorf("article's contact block does not carry the visit")
		}
		if art.header.Get("Cache-Control") != cachePrivate {
			t.Errorf("article opened with a visit is cached publicly")
		}
		// Rephrasing the question keeps the visit.
		f.get(t, "/help/nl/contact?q=ander+bezorgadres&cv="+cv1)
		// 2. Asks, opens the flow, then mails after all: answered, contacted.
		page = f.get(t, "/help/nl/contact?q=pakket+niet+bezorgd").body
		cv2 := cvOf(page)
		f.get(t, "/help/nl/flows/pakket-niet-bezorgd?cv="+cv2)
		form := f.contactForm(t, "/help/nl/contact?cv="+cv2+"&need=1", "email", nil)
		form.Set("email", "a@example.nl")
		form.Set("message", "Nog steeds niet bezorgd")
		if res := f.do(t, http.MethodPost, "/help/nl/contact/email", form, nil); res.status != http.StatusSeeOther {
			t.Fatalf("email: %d", res.status)
		}
		// 3. Asks and calls: the page's script reports the option.
		page = f.get(t, "/help/nl/contact?q=factuur+klopt+niet").body
		token := regexp.MustCompile(`data-token="([^"]+)"`).FindStringSubmatch(page)
		if token == nil {
			t.Fatal("no token for the script")
		}
		res := f.do(t, http.MethodPost, "/help/nl/contact/chosen", url.Values{"token": {token[1]}, "cv": {cvOf(page)}, "option": {"phone"}}, nil)
		if res.status != http.StatusNoContent {
			t.Errorf("chosen: status %d", res.status)
		}
		// 4. Asks and leaves.
		f.get(t, "/help/nl/contact?q=openingstijden+winkel")
		// 5. Forged visit tokens change nothing.
		f.get(t, "/help/nl/a/betaalmethoden?cv=1.0000000000000000")
		f.get(t, "/help/nl/a/betaalmethoden?cv=4."+strings.Repeat("f", 16))

		visits := f.visits(t)
		type flags struct{ answered, contacted bool }
		want := []flags{{true, false}, {true, true}, {false, true}, {false, false}}
		if len(visits) != len(want) {
			t.Fatalf("%d visits, want %d: %+v", len(visits), len(want), visits)
		}
		for i, v := range visits {
			if got := (flags{v.Answered, v.Contacted}); got != want[i] {
				t.Errorf("visit %d (%q): answered=%v contacted=%v, want %+v", i+1, v.Query, v.Answered, v.Contacted, want[i])
			}
			if v.VisitorKey == "" || strings.Contains(v.VisitorKey, "192.0.2") {
				t.Errorf("visit %d: visitor key %q, want a hash", i+1, v.VisitorKey)
			}
			if c := f.front.Classify(v.Query); c.OK && v.Topic != c.Category || !c.OK && v.Topic != "" {
				t.Errorf("visit %d (%q): topic %q, classifier says %+v", i+1, v.Query, v.Topic, c)
			}
		}
		if visits[0].Query != "ander bezorgadres" {
			t.Errorf("rephrased visit has query %q", visits[0].Query)
		}

		// The numbers, per topic, as the store counts them.
		stats, err := f.h.Deflection(ctx, start, start.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		wantStats := map[string]desk.DeflectionStat{}
		for i, v := range visits {
			s := wantStats[v.Topic]
			s.Topic = v.Topic
			s.Visits++
			if want[i].answered {
				s.Answered++
			}
			if want[i].contacted {
				s.Contacted++
			}
			if want[i].answered && !want[i].contacted {
				s.Deflected++
			}
			wantStats[v.Topic] = s
		}
		var total desk.DeflectionStat
		for _, s := range stats {
			if s != wantStats[s.Topic] {
				t.Errorf("stat %+v, want %+v", s, wantStats[s.Topic])
			}
			total.Visits += s.Visits
			total.Answered += s.Answered
			total.Contacted += s.Contacted
			total.Deflected += s.Deflected
		}
		if got := (desk.DeflectionStat{Visits: 4, Answered: 2, Contacted: 2, Deflected: 1}); total != got {
			t.Errorf("totals %+v, want %+v", total, got)
		}
		if len(stats) != len(wantStats) {
			t.Errorf("%d topics, want %d", len(stats), len(wantStats))
		}
	})
}

// TestContactDirectForm counts a form sent without a question first (the
// contact page reached from a flow) as a contacted visit.
func TestContactDirectForm(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.withContact(t)
		form := f.contactForm(t, "/help/nl/contact?need=1", "callback", nil)
		form.Set("name", "Els")
		form.Set("phone", "+31 6 1234 5678")
		if res := f.do(t, http.MethodPost, "/help/nl/contact/callback", form, nil); res.status != http.StatusSeeOther {
			t.Fatalf("status %d", res.status)
		}
		visits := f.visits(t)
		if len(visits) != 1 || !visits[0].Contacted || visits[0].Answered || visits[0].ContactID == 0 {
			t.Errorf("visits = %+v, want one contacted visit with the contact", visits)
		}
	})
}
