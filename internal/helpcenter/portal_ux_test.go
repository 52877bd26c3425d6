package helpcenter

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/casestatus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// uxPages renders the Dutch pages a logged-in customer goes through: the
// portal home, a solved conversation, the erasure request and a status page.
func uxPages(t *testing.T) map[string]string {
	t.Helper()
	f := newPortalFixture(t, testenv.OpenSQLite)
	withPrivacy(t, f)
	ctx := context.Background()
	solved := desk.StatusResolved
	if _, err := f.convs.Update(ctx, conversation.Actor{Name: "Anna"}, f.sanneConv.ID, conversation.Change{Status: &solved}); err != nil {
		t.Fatal(err)
	}
	l, err := f.status.Issue(ctx, f.sanneConv.ID)
	if err != nil {
		t.Fatal(err)
	}
	sanne := f.login(t, "sanne@example.com")
	pages := map[string]string{}
	for name, target := range map[string]string{
		"home":         "/help/nl/account",
		"conversation": "/help/nl/account/c/" + itoa(f.sanneConv.ID),
		"forget":       "/help/nl/account/privacy/forget",
		"status":       casestatus.Path("nl", l.Token),
	} {
		rec := sanne.do(t, http.MethodGet, target, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", target, rec.Code)
		}
		pages[name] = rec.Body.String()
	}
	return pages
}

func TestPortalPagesLeadOn(t *testing.T) {
	pages := uxPages(t)
	tests := []struct {
		name, page string
		// want appear in this order.
		want []string
	}{
		{"questions, orders, actions, then the customer's details and privacy", "home", []string{
			`data-testid="portal-conversations"`, `data-testid="portal-orders"`,
			`data-testid="portal-action-order_status"`, `data-testid="portal-action-update_contact"`,
			`data-testid="portal-privacy"`}},
		{"order fields offer the customer's own order numbers", "home", []string{
			`<datalist id="portal-order-numbers"><option value="FC-1001">`, `list="portal-order-numbers"`}},
		{"logging out is a quiet button", "home", []string{`class="secondary" data-testid="portal-logout"`}},
		{"a solved question offers a new one", "conversation", []string{
			"Deze vraag is opgelost.", `<a href="/help/nl/contact">Stel een nieuwe vraag</a>`}},
		{"the status page leads to the portal", "status", []string{`<a href="/help/nl/account" data-testid="status-login">`}},
		{"the erasure request leads back", "forget", []string{`<a href="/help/nl/account">Terug naar mijn account</a>`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, at := pages[tt.page], 0
			for _, w := range tt.want {
				i := strings.Index(body[at:], w)
				if i < 0 {
					t.Fatalf("%s page: %q missing or out of order (want order %q)", tt.page, w, tt.want)
				}
				at += i + len(w)
			}
		})
	}
}

var (
	controlRe = regexp.MustCompile(`<(input|textarea|select)\b[^>]*>`)
	typeRe    = regexp.MustCompile(`\btype="([^"]*)"`)
	idRe      = regexp.MustCompile(`\bid="([^"]*)"`)
	verbRe    = regexp.MustCompile(`%[sdv]|\{\w+\}`)
)

// TestPortalControlsLabelled checks that every control a customer fills in
// has a label: by for= and id, or by sitting inside its label.
func TestPortalControlsLabelled(t *testing.T) {
	for name, body := range uxPages(t) {
		t.Run(name, func(t *testing.T) {
			controls := controlRe.FindAllStringIndex(body, -1)
			if name == "home" && len(controls) < 10 {
				t.Fatalf("home page: %d controls, want the actions' fields: did the page change?", len(controls))
			}
			for _, loc := range controls {
				tag := body[loc[0]:loc[1]]
				if m := typeRe.FindStringSubmatch(tag); m != nil && (m[1] == "hidden" || m[1] == "submit") {
					continue
				}
				if m := idRe.FindStringSubmatch(tag); m != nil && strings.Contains(body, `for="`+m[1]+`"`) {
					continue
				}
				// Wrapped: the nearest <label before the control is not
				// closed before it.
				before := body[:loc[0]]
				if open := strings.LastIndex(before, "<label"); open >= 0 && !strings.Contains(before[open:], "</label>") {
					continue
				}
				t.Errorf("unlabelled control %s", tag)
			}
		})
	}
}

// TestPortalDutchPagesHaveNoEnglish looks on the Dutch pages for the
// English catalog's texts.
func TestPortalDutchPagesHaveNoEnglish(t *testing.T) {
	b, err := os.ReadFile("locales/en.json")
	if err != nil {
		t.Fatal(err)
	}
	en := map[string]string{}
	if err := json.Unmarshal(b, &en); err != nil {
		t.Fatal(err)
	}
	// The longest fixed part of each English text; short words ("Chat",
	// "Status") are shared by both languages, a sentence is not, so one
	// the Dutch catalog copied from English is found too.
	var english []string
	for _, v := range en {
		longest := ""
		for _, part := range verbRe.Split(v, -1) {
			if len(part) > len(longest) {
				longest = part
			}
		}
		if len(longest) >= 12 && strings.Contains(longest, " ") {
			english = append(english, longest)
		}
	}
	if len(english) < 50 {
		t.Fatalf("only %d English texts to look for: the catalog was not read", len(english))
	}
	for name, body := range uxPages(t) {
		t.Run(name, func(t *testing.T) {
			for _, e := range english {
				if strings.Contains(body, e) {
					t.Errorf("Dutch %s page shows English %q", name, e)
				}
			}
		})
	}
}
