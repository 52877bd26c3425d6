package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/routing"
)

// TestPickReasonWords renders every reason and owner code in every
// catalogue: none may show a bare key or a broken placeholder.
func TestPickReasonWords(t *testing.T) {
	cats, err := loadCatalogs(localeFS)
	if err != nil {
		t.Fatal(err)
	}
	n := previewNames{teams: map[int64]string{10: "Klantenservice"}, agents: map[int64]string{2: "Bram de Boer"}}
	owners := []routing.OwnerSkip{{}}
	for _, c := range routing.OwnerCodes() {
		owners = append(owners, routing.OwnerSkip{Code: c, AgentID: 2, Status: desk.Away, Load: 3, Capacity: 3})
	}
	owners = append(owners, routing.OwnerSkip{Code: routing.OwnerNotOnline, AgentID: 2, Status: desk.Offline})
	for lang, c := range cats {
		for _, code := range routing.ReasonCodes() {
			for _, team := range []int64{0, 10} {
				for _, o := range owners {
					r := routing.Reason{Code: code, AgentID: 1, TeamID: team, Channel: desk.ChannelEmail,
						Load: 1, Capacity: 10, Eligible: 2, NotOnline: 1, Unskilled: 2, Full: 3, Owner: o}
					got := pickReasonText(c, r, n)
					if strings.Contains(got, "routing.") || strings.Contains(got, "channel.") || strings.Contains(got, "%!") {
						t.Errorf("%s: %+v reads %q", lang, r, got)
					}
					if o.Code != "" && !strings.Contains(got, "Bram de Boer") {
						t.Errorf("%s: %+v reads %q, which does not name the owner", lang, r, got)
					}
				}
			}
		}
	}
}

func TestPickReasonText(t *testing.T) {
	cats, err := loadCatalogs(localeFS)
	if err != nil {
		t.Fatal(err)
	}
	n := previewNames{teams: map[int64]string{11: "Finance"}, agents: map[int64]string{2: "Bram de Boer"}}
	chat := desk.ChannelWebChat
	tests := []struct {
		name string
		lang string
		r    routing.Reason
		want string
	}{
		{"least loaded", "nl", routing.Reason{Code: routing.ReasonLeastLoaded, TeamID: 11, Channel: chat, Load: 1, Capacity: 3, Eligible: 2},
			"minst belast in team Finance: " + cats["nl"].T("channel.webchat") + " 1 van 3; 2 beschikbaar"},
		{"nobody free anywhere", "nl", routing.Reason{Code: routing.ReasonNobodyFree, Channel: chat, NotOnline: 1, Unskilled: 2},
			"niemand vrij in alle teams: 1 niet online, 2 zonder de vaardigheden, 0 vol op " + cats["nl"].T("channel.webchat")},
		{"owner away, manual team", "nl", routing.Reason{Code: routing.ReasonManual, TeamID: 11, Channel: chat,
			Owner: routing.OwnerSkip{Code: routing.OwnerNotOnline, AgentID: 2, Status: desk.Away}},
			"accountbeheerder Bram de Boer is afwezig; team Finance kiest zelf: het wacht in de wachtrij"},
		{"deleted owner, team unknown to the page", "en", routing.Reason{Code: routing.ReasonNoAgents, TeamID: 12, Channel: chat,
			Owner: routing.OwnerSkip{Code: routing.OwnerUnknown, AgentID: 7}},
			"account owner #7 cannot get conversations; nobody works in team #12"},
		{"owner gets it", "en", routing.Reason{Code: routing.ReasonOwner, AgentID: 2, Channel: desk.ChannelEmail, Load: 4, Capacity: 10},
			"the customer's account owner, " + cats["en"].T("channel.email") + " 4 of 10"},
		{"a code without words falls back to English", "nl", routing.Reason{Code: "new_code"}, `"new_code"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pickReasonText(cats[tt.lang], tt.r, n); got != tt.want {
				t.Errorf("pickReasonText() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRuleCheckText(t *testing.T) {
	cats, err := loadCatalogs(localeFS)
	if err != nil {
		t.Fatal(err)
	}
	nl, en := cats["nl"], cats["en"]
	tests := []struct {
		name string
		c    catalog
		k    routing.Check
		want string
	}{
		{"matched", nl, routing.Check{Verdict: routing.Matched}, "past"},
		{"shadowed", en, routing.Check{Verdict: routing.Shadowed}, "would match, but an earlier rule matches first"},
		{"category", nl, routing.Check{Verdict: routing.Failed, Field: "category", Got: "delivery", Want: []string{"billing", "refund"}},
			"categorie ‘delivery’ is niet een van billing, refund"},
		{"no language", en, routing.Check{Verdict: routing.Failed, Field: "language", Want: []string{"nl"}},
			"no language, where the rule wants one of nl"},
		{"channels by name", nl, routing.Check{Verdict: routing.Failed, Field: "channel", Got: "email", Want: []string{"webchat", "whatsapp"}},
			"kanaal ‘" + nl.T("channel.email") + "’ is niet een van " + nl.T("channel.webchat") + ", " + nl.T("channel.whatsapp")},
		{"priority by name", nl, routing.Check{Verdict: routing.Failed, Field: "priority", Got: "low", Want: []string{"high"}},
			"prioriteit " + nl.T("priority.low") + " is lager dan " + nl.T("priority.high")},
		{"no priority", en, routing.Check{Verdict: routing.Failed, Field: "priority", Got: "", Want: []string{"urgent"}},
			"priority " + en.T("priority.none") + " is below " + en.T("priority.urgent")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ruleCheckText(tt.c, tt.k); got != tt.want {
				t.Errorf("ruleCheckText() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRoutingPreviewInDutch is the preview as a Dutch admin sees it: every
// sentence from the catalogue, none of routing's English.
func TestRoutingPreviewInDutch(t *testing.T) {
	f, rs := withRouting(t)
	if err := rs.CreateRoutingRule(t.Context(), &desk.RoutingRule{Name: "Facturen", Position: 10, Enabled: true,
		Categories: []string{"billing"}, TeamID: 11}); err != nil {
		t.Fatal(err)
	}
	dutch := *f.carla
	dutch.Locale = "nl"
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"billing goes to Finance, where nobody is", "category=billing&channel=webchat&team=10",
			[]string{"Regel ‘Facturen’ past.", "Niemand zou het nu krijgen", "(niemand werkt in team Finance)", "Facturen: past"}},
		{"anything else stays with the inbox team", "category=delivery&channel=webchat&team=10",
			[]string{"Het zou nu naar Anna Jansen gaan.", "(minst belast in team Klantenservice: ",
				"Facturen: categorie ‘delivery’ is niet een van billing"}},
		{"no category at all", "channel=email&team=10",
			[]string{"Facturen: geen categorie, terwijl de regel een van billing vraagt"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do(request(http.MethodGet, "/admin/routing?preview=1&"+tc.query, &dutch, nil))
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200:\n%s", w.Code, w.Body)
			}
			body := w.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("the preview does not say %q", s)
				}
			}
			for _, english := range []string{"least loaded", "nobody free", "no agents in", "round robin", "account owner"} {
				if strings.Contains(body, english) {
					t.Errorf("the Dutch preview says %q", english)
				}
			}
		})
	}
	w := f.do(request(http.MethodGet, "/admin/routing?preview=1&category=delivery&channel=webchat&team=10", &dutch, nil))
	golden(t, "admin_routing_nl.html", w.Body.Bytes())
}
