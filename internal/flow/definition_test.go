package flow

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// steps wraps step objects in a definition starting at "a".
func steps(s ...string) string {
	return `{"start":"a","steps":[` + strings.Join(s, ",") + `]}`
}

const endOK = `{"id":"ok","kind":"end","outcome":"solved"}`

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		json string
	}{
		{"only an end", steps(`{"id":"a","kind":"end","outcome":"handover","team":2,"text":"Een collega helpt je."}`)},
		{"question", steps(`{"id":"a","kind":"question","text":"Werkt het?","options":[{"label":"Ja","next":"ok"},{"label":"Nee","next":"ok"}]}`, endOK)},
		{"input with pattern and var", steps(`{"id":"a","kind":"input","text":"Ordernummer?","pattern":"ORD-?[0-9]+","var":"order","next":"ok"}`, endOK)},
		{"article", steps(`{"id":"a","kind":"article","article":7,"next":"ok"}`, endOK)},
		{"message", steps(`{"id":"a","kind":"message","text":"Herstart de router.","next":"ok"}`, endOK)},
		{"action", steps(`{"id":"a","kind":"action","action":"order_status","params":{"order":"{{order}}"},"ok":"ok","fail":"ok"}`, endOK)},
		{"end in an article", steps(`{"id":"a","kind":"end","outcome":"article","article":3}`)},
		{"loop through a question", steps(
			`{"id":"a","kind":"question","text":"Opnieuw?","options":[{"label":"Ja","next":"m"},{"label":"Nee","next":"ok"}]}`,
			`{"id":"m","kind":"message","text":"Probeer het nog eens.","next":"a"}`, endOK)},
		{"loop through a question via an action", steps(
			`{"id":"a","kind":"question","text":"Controleren?","options":[{"label":"Ja","next":"c"},{"label":"Stop","next":"ok"}]}`,
			`{"id":"c","kind":"action","action":"ping","ok":"ok","fail":"a"}`, endOK)},
		{"the package example", packageExample},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse([]byte(tc.json)); err != nil {
				t.Errorf("Parse: %v, want no error", err)
			}
		})
	}
}

// packageExample is the example in doc.go; a test keeps it valid.
const packageExample = `{
  "start": "kind",
  "team": 3,
  "steps": [
    {"id": "kind", "kind": "question", "text": "Wat is er aan de hand?",
     "options": [
       {"label": "Mijn pakket is niet bezorgd", "next": "order"},
       {"label": "Ik wil retourneren", "next": "return-info"}]},
    {"id": "order", "kind": "input", "text": "Wat is je ordernummer?",
     "pattern": "ORD-?[0-9]{5}", "hint": "Een ordernummer ziet eruit als ORD-12345.",
     "var": "order", "next": "check"},
    {"id": "check", "kind": "action", "action": "order_status",
     "params": {"order": "{{order}}"}, "ok": "done", "fail": "agent"},
    {"id": "return-info", "kind": "article", "article": 42, "next": "agent"},
    {"id": "done", "kind": "end", "outcome": "solved"},
    {"id": "agent", "kind": "end", "outcome": "handover", "team": 3,
     "text": "Een collega kijkt met je mee."}
  ]
}`

func TestPackageDocHasExample(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for l := range strings.Lines(packageExample) {
		lines = append(lines, "//\t"+strings.TrimRight(l, "\n"))
	}
	if !strings.Contains(string(doc), strings.Join(lines, "\n")) {
		t.Errorf("doc.go does not show packageExample; keep the two the same")
	}
}

func TestParseInvalid(t *testing.T) {
	many := make([]string, MaxSteps+1)
	for i := range many {
		many[i] = fmt.Sprintf(`{"id":"s%d","kind":"end","outcome":"solved"}`, i)
	}
	manyOpts := make([]string, MaxOptions+1)
	for i := range manyOpts {
		manyOpts[i] = fmt.Sprintf(`{"label":"Optie %d","next":"ok"}`, i)
	}
	tests := []struct {
		name string
		json string
		want []string // each must appear in the error
	}{
		{"not JSON", `{"start":`, []string{"not valid JSON"}},
		{"unknown field", `{"start":"a","steps":[],"x":1}`, []string{"not valid JSON", "unknown field"}},
		{"trailing data", steps(endOK) + `{}`, []string{"after the JSON"}},
		{"no steps", `{"start":"a","steps":[]}`, []string{"at least one step"}},
		{"too many steps", `{"start":"s0","steps":[` + strings.Join(many, ",") + `]}`, []string{"101 steps; at most 100"}},
		{"missing start", `{"steps":[` + endOK + `]}`, []string{"invalid start", "no start step"}},
		{"start not a step", `{"start":"x","steps":[` + endOK + `]}`, []string{`"x" is not a step`}},
		{"duplicate id", steps(`{"id":"a","kind":"message","text":"Hoi","next":"ok"}`, endOK, endOK), []string{"step ok", "used twice"}},
		{"bad id", steps(`{"id":"a","kind":"message","text":"Hoi","next":"Stap 2"}`, `{"id":"Stap 2","kind":"end","outcome":"solved"}`), []string{"step 2", "id \"Stap 2\""}},
		{"unknown kind", steps(`{"id":"a","kind":"quiz"}`), []string{"step a", `kind "quiz"`}},
		{"unknown next", steps(`{"id":"a","kind":"message","text":"Hoi","next":"nope"}`, endOK), []string{"step a", `"nope", which is not a step`}},
		{"empty question", steps(`{"id":"a","kind":"question","text":"  ","options":[{"label":"Ja","next":"ok"}]}`, endOK), []string{"step a", "the question is empty"}},
		{"question without options", steps(`{"id":"a","kind":"question","text":"Wat?"}`, endOK), []string{"step a", "needs options"}},
		{"too many options", steps(`{"id":"a","kind":"question","text":"Wat?","options":[`+strings.Join(manyOpts, ",")+`]}`, endOK), []string{"step a", "11 options; at most 10"}},
		{"empty label", steps(`{"id":"a","kind":"question","text":"Wat?","options":[{"label":"","next":"ok"}]}`, endOK), []string{"option 1 is empty"}},
		{"labels the same after folding", steps(`{"id":"a","kind":"question","text":"Wat?","options":[{"label":"Één","next":"ok"},{"label":"een","next":"ok"}]}`, endOK), []string{"option 2 reads the same"}},
		{"label without letters", steps(`{"id":"a","kind":"question","text":"Wat?","options":[{"label":"?!","next":"ok"}]}`, endOK), []string{"option 1 needs a letter or digit"}},
		{"long text", steps(`{"id":"a","kind":"message","text":"`+strings.Repeat("x", MaxMessage+1)+`","next":"ok"}`, endOK), []string{"longer than 10000"}},
		{"bad pattern", steps(`{"id":"a","kind":"input","text":"Nummer?","pattern":"(","next":"ok"}`, endOK), []string{"step a", "not a valid regular expression"}},
		{"article without article", steps(`{"id":"a","kind":"article","next":"ok"}`, endOK), []string{"needs an article"}},
		{"action without name", steps(`{"id":"a","kind":"action","ok":"ok","fail":"ok"}`, endOK), []string{"step a", "name an action"}},
		{"action without fail", steps(`{"id":"a","kind":"action","action":"ping","ok":"ok"}`, endOK), []string{`"fail" leads nowhere`}},
		{"bad outcome", steps(`{"id":"a","kind":"end","outcome":"maybe"}`), []string{`outcome "maybe"`}},
		{"article end without article", steps(`{"id":"a","kind":"end","outcome":"article"}`), []string{"end in an article needs an article"}},
		{"unreachable", steps(`{"id":"a","kind":"message","text":"Hoi","next":"ok"}`, endOK, `{"id":"lost","kind":"end","outcome":"solved"}`), []string{"step lost", "cannot be reached"}},
		{"no end", steps(`{"id":"a","kind":"question","text":"Nog eens?","options":[{"label":"Ja","next":"a"}]}`), []string{"no end step"}},
		{"cannot reach an end", steps(
			`{"id":"a","kind":"question","text":"Wat?","options":[{"label":"Klaar","next":"ok"},{"label":"Rondje","next":"b"}]}`,
			`{"id":"b","kind":"question","text":"Nog eens?","options":[{"label":"Ja","next":"b"}]}`, endOK), []string{"step b", "no path from here reaches an end"}},
		{"cycle without a question", steps(
			`{"id":"a","kind":"question","text":"Wat?","options":[{"label":"Klaar","next":"ok"},{"label":"Rondje","next":"m1"}]}`,
			`{"id":"m1","kind":"message","text":"Een","next":"i"}`,
			`{"id":"i","kind":"input","text":"Nummer?","next":"c"}`,
			`{"id":"c","kind":"action","action":"ping","ok":"ok","fail":"m1"}`, endOK), []string{"loops back without a question", "m1 → i → c → m1"}},
		{"several problems at once", steps(
			`{"id":"a","kind":"question","text":"","options":[{"label":"Ja","next":"x"}]}`,
			`{"id":"b","kind":"end","outcome":"nope"}`), []string{"the question is empty", `"x", which is not a step`, `outcome "nope"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json))
			if !errors.Is(err, desk.ErrInvalid) {
				t.Fatalf("Parse: %v, want desk.ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateNamesSteps(t *testing.T) {
	_, err := Parse([]byte(steps(`{"id":"a","kind":"message","text":"Hoi","next":"nope"}`, endOK)))
	var ve *desk.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *desk.ValidationError", err)
	}
	if ve.Field != "step a" {
		t.Errorf("Field = %q, want %q", ve.Field, "step a")
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	def, err := Parse([]byte(packageExample))
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse([]byte(def.Encode()))
	if err != nil {
		t.Fatalf("Parse(Encode()): %v", err)
	}
	if got, want := again.Encode(), def.Encode(); got != want {
		t.Errorf("round trip changed the definition:\n%s\nwant\n%s", got, want)
	}
}
