package helpcenter

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// hiddenFields are the hidden inputs of the first form in body that posts
// to action.
func hiddenFields(t *testing.T, body, action string) url.Values {
	t.Helper()
	i := strings.Index(body, `action="`+action+`"`)
	if i < 0 {
		t.Fatalf("no form posting to %s in:\n%s", action, body)
	}
	form := body[i:]
	form = form[:strings.Index(form, "</form>")]
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(form, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// flowWalk is one visitor going through a flow's pages without
// JavaScript: read the form, post an answer, follow the redirect.
type flowWalk struct {
	f    *fixture
	page string // the flow's path
	body string // the page shown now
	loc  string // its address
}

func (f *fixture) startFlow(t *testing.T, target string) *flowWalk {
	t.Helper()
	res := f.get(t, target)
	if res.status != http.StatusOK {
		t.Fatalf("GET %s: status %d\n%s", target, res.status, res.body)
	}
	path, _, _ := strings.Cut(target, "?")
	return &flowWalk{f: f, page: path, body: res.body, loc: target}
}

// answer posts answer to the step shown and follows the redirect.
func (w *flowWalk) answer(t *testing.T, answer string) {
	t.Helper()
	form := hiddenFields(t, w.body, w.page)
	form.Set("answer", answer)
	res := w.f.do(t, http.MethodPost, w.page, form, nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("answer %q: status %d\n%s", answer, res.status, res.body)
	}
	loc := res.header.Get("Location")
	if !strings.HasPrefix(loc, w.page+"?") || !strings.HasSuffix(loc, "#flow") {
		t.Fatalf("answer %q: redirected to %q", answer, loc)
	}
	w.loc = strings.TrimSuffix(loc, "#flow")
	next := w.f.get(t, w.loc)
	if next.status != http.StatusOK {
		t.Fatalf("GET %s: status %d\n%s", w.loc, next.status, next.body)
	}
	if got := next.header.Get("Cache-Control"); got != cachePrivate {
		t.Errorf("run page Cache-Control = %q, want %q", got, cachePrivate)
	}
	if got := next.header.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("run page Referrer-Policy = %q, want same-origin", got)
	}
	w.body = next.body
}

func (w *flowWalk) run(t *testing.T) *desk.FlowRun {
	t.Helper()
	u, err := url.Parse(w.loc)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	for _, c := range u.Query().Get("run") {
		id = id*10 + int64(c-'0')
	}
	run, err := w.f.st.FlowRunByID(context.Background(), id)
	if err != nil {
		t.Fatalf("run %d: %v", id, err)
	}
	return run
}

func TestFlowPages(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		const page = "/help/nl/flows/pakket-niet-bezorgd"
		tests := []struct {
			name    string
			answers []string
			want    []string
			notWant []string
			outcome desk.FlowOutcome
			path    []string // steps with answers, "step=answer"
		}{
			{name: "first step", want: []string{"<h1>Pakket niet bezorgd</h1>", "<legend>Wat is er aan de hand?</legend>",
				`<input type="radio" name="answer" value="1" required> Ik ben verhuisd`, `name="step" value="kind"`,
				`action="/help/nl/flows/pakket-niet-bezorgd"`},
				notWant: []string{`name="run"`}},
			{name: "article step", answers: []string{"1"}, want: []string{"Lees eerst dit artikel.",
				`<a href="/help/nl/a/adres-wijzigen">Adres wijzigen</a>`, "Is je probleem hiermee opgelost?",
				`<button type="submit" name="answer" value="1">Ja</button>`, `name="run"`, `name="k"`, `name="step" value="adres"`}},
			{name: "article solved it", answers: []string{"1", "1"}, want: []string{"Fijn dat het is opgelost!", "Opnieuw beginnen"},
				notWant: []string{"<form method=\"post\" action=\"/help/nl/flows"}, outcome: desk.FlowSolved,
				path: []string{"kind=Ik ben verhuisd", "adres=yes"}},
			{name: "article did not help: hand-over", answers: []string{"1", "2"}, want: []string{"Een collega helpt je verder."},
				outcome: desk.FlowHandover, path: []string{"kind=Ik ben verhuisd", "adres=no", "agent="}},
			{name: "input and message", answers: []string{"2", "ordernummer 12345 graag"},
				want:    []string{"Kijk ook bij de <strong>buren</strong>.", "Fijn dat het is opgelost!"},
				notWant: []string{"<script>alert(7)"}, outcome: desk.FlowSolved,
				path: []string{"kind=Iets anders", "order=12345", "tip=", "done="}},
			{name: "input not understood asks again", answers: []string{"2", "weet ik niet"},
				want: []string{`role="alert"`, "Wat is je ordernummer?", `name="step" value="order"`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w := f.startFlow(t, page)
				for _, a := range tt.answers {
					w.answer(t, a)
				}
				for _, want := range tt.want {
					if !strings.Contains(w.body, want) {
						t.Errorf("page lacks %q\n%s", want, w.body)
					}
				}
				for _, bad := range tt.notWant {
					if strings.Contains(w.body, bad) {
						t.Errorf("page has %q", bad)
					}
				}
				if len(tt.answers) == 0 {
					return
				}
				run := w.run(t)
				if run.Outcome != tt.outcome {
					t.Errorf("outcome = %q, want %q", run.Outcome, tt.outcome)
				}
				if run.Source != desk.SourceHelpCenter {
					t.Errorf("source = %q, want help", run.Source)
				}
				if tt.path != nil {
					var got []string
					for _, p := range run.Path {
						got = append(got, p.Step+"="+p.Answer)
					}
					if strings.Join(got, " ") != strings.Join(tt.path, " ") {
						t.Errorf("path = %q, want %q", got, tt.path)
					}
				}
			})
		}
	})
}

func TestFlowRunChecks(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		const page = "/help/nl/flows/pakket-niet-bezorgd"
		w := f.startFlow(t, page)
		w.answer(t, "1") // at the article step
		form := hiddenFields(t, w.body, page)
		run := w.run(t)

		t.Run("a form sent twice answers once", func(t *testing.T) {
			// The first step's answer again, as a reloaded or doubly sent form.
			again := url.Values{"run": {form.Get("run")}, "k": {form.Get("k")}, "step": {"kind"}, "at": {"1"}, "answer": {"2"}}
			if res := f.do(t, http.MethodPost, page, again, nil); res.status != http.StatusSeeOther {
				t.Fatalf("status %d", res.status)
			}
			after, err := f.st.FlowRunByID(context.Background(), run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(after.Path) != len(run.Path) || after.Outcome != desk.FlowOpen {
				t.Errorf("a stale form changed the run: path %v outcome %q", after.Path, after.Outcome)
			}
		})
		tests := []struct {
			name   string
			method string
			target string
			form   url.Values
			hdr    map[string]string
			status int
		}{
			{name: "wrong key on the page", method: http.MethodGet, status: http.StatusNotFound,
				target: page + "?run=" + form.Get("run") + "&k=" + strings.Repeat("0", 32)},
			{name: "run of another flow", method: http.MethodGet, status: http.StatusNotFound,
				target: "/help/en/flows/parcel-not-delivered?run=" + form.Get("run") + "&k=" + form.Get("k")},
			{name: "wrong key answering", method: http.MethodPost, target: page, status: http.StatusNotFound,
				form: url.Values{"run": {form.Get("run")}, "k": {"nope"}, "step": {"adres"}, "at": {form.Get("at")}, "answer": {"1"}}},
			{name: "run not a number", method: http.MethodPost, target: page, status: http.StatusBadRequest,
				form: url.Values{"run": {"x"}, "k": {"y"}, "answer": {"1"}}},
			{name: "cross-site post", method: http.MethodPost, target: page, status: http.StatusForbidden,
				form: url.Values{"answer": {"1"}, "step": {"kind"}}, hdr: map[string]string{"Sec-Fetch-Site": "cross-site"}},
			{name: "unknown flow", method: http.MethodGet, target: "/help/nl/flows/bestaat-niet", status: http.StatusNotFound},
			{name: "draft flow", method: http.MethodGet, target: "/help/nl/flows/concept-stappenplan", status: http.StatusNotFound},
			{name: "draft flow post", method: http.MethodPost, target: "/help/nl/flows/concept-stappenplan", status: http.StatusNotFound,
				form: url.Values{"answer": {"1"}}},
			{name: "flow of another locale", method: http.MethodGet, target: "/help/en/flows/pakket-niet-bezorgd", status: http.StatusNotFound},
			{name: "unknown locale", method: http.MethodGet, target: "/help/de/flows/pakket-niet-bezorgd", status: http.StatusNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := f.do(t, tt.method, tt.target, tt.form, tt.hdr)
				if res.status != tt.status {
					t.Errorf("%s %s: status %d, want %d", tt.method, tt.target, res.status, tt.status)
				}
			})
		}
		t.Run("an empty answer asks again", func(t *testing.T) {
			res := f.do(t, http.MethodPost, page, url.Values{"step": {"kind"}}, nil)
			if res.status != http.StatusSeeOther {
				t.Fatalf("status %d", res.status)
			}
			next := f.get(t, strings.TrimSuffix(res.header.Get("Location"), "#flow"))
			if !strings.Contains(next.body, `name="step" value="kind"`) || strings.Contains(next.body, `role="alert"`) {
				t.Errorf("an empty answer moved on or counted as misunderstood")
			}
		})
	})
}

func TestFlowSEO(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		const base = "https://help.example.com"
		res := f.get(t, "/help/nl/flows/pakket-niet-bezorgd")
		if got := res.header.Get("Cache-Control"); got != cachePublic {
			t.Errorf("Cache-Control = %q, want %q", got, cachePublic)
		}
		s := parseSEO(t, res.body)
		if want := base + "/help/nl/flows/pakket-niet-bezorgd"; s.canonical != want {
			t.Errorf("canonical = %q, want %q", s.canonical, want)
		}
		wantAlts := map[string]string{"nl": base + "/help/nl/flows/pakket-niet-bezorgd",
			"en": base + "/help/en/flows/parcel-not-delivered", "x-default": base + "/help/nl/flows/pakket-niet-bezorgd"}
		for k, v := range wantAlts {
			if s.hreflang[k] != v {
				t.Errorf("hreflang %s = %q, want %q", k, s.hreflang[k], v)
			}
		}
		if s.meta["robots"] != "" {
			t.Errorf("robots = %q, want the flow page indexable", s.meta["robots"])
		}
		howTo := s.ld["HowTo"]
		if howTo == nil {
			t.Fatal("no HowTo JSON-LD")
		}
		steps, _ := howTo["step"].([]any)
		if len(steps) != 3 {
			t.Fatalf("HowTo has %d steps, want 3 (question, input, message): %v", len(steps), steps)
		}
		first, _ := steps[0].(map[string]any)
		if got, want := first["text"], "Wat is er aan de hand? (Ik ben verhuisd / Iets anders)"; got != want {
			t.Errorf("first step = %q, want %q", got, want)
		}
		third, _ := steps[2].(map[string]any)
		if got, _ := third["text"].(string); strings.Contains(got, "<script") || !strings.Contains(got, "buren") {
			t.Errorf("message step = %q", got)
		}
		if opens, closes := strings.Count(res.body, "<script"), strings.Count(res.body, "</script>"); opens != closes {
			t.Errorf("%d <script> but %d </script>", opens, closes)
		}

		t.Run("home lists the flows", func(t *testing.T) {
			for _, tt := range []struct{ target, heading, link string }{
				{"/help/nl", "Stappenplannen", `<a href="/help/nl/flows/pakket-niet-bezorgd">Pakket niet bezorgd</a>`},
				{"/help/en", "Guided help", `<a href="/help/en/flows/parcel-not-delivered">Parcel not delivered</a>`},
			} {
				body := f.get(t, tt.target).body
				if !strings.Contains(body, tt.heading) || !strings.Contains(body, tt.link) {
					t.Errorf("%s lacks %q or %q", tt.target, tt.heading, tt.link)
				}
				if strings.Contains(body, "Concept stappenplan") {
					t.Errorf("%s lists the draft flow", tt.target)
				}
			}
		})
	})
}
