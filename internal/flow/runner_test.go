package flow

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// router is a small Dutch troubleshooting flow used by the runner tests.
const router = `{
  "start": "light",
  "team": 4,
  "steps": [
    {"id": "light", "kind": "question", "text": "Brandt het lampje op je modem?",
     "options": [
       {"label": "Ja, groen", "next": "restart"},
       {"label": "Ja, oranje", "next": "article"},
       {"label": "Nee", "next": "power"}]},
    {"id": "power", "kind": "message", "text": "Controleer of de stekker goed in het stopcontact zit.", "next": "again"},
    {"id": "again", "kind": "question", "text": "Brandt het lampje nu?",
     "options": [
       {"label": "Ja", "next": "light"},
       {"label": "Nee, nog steeds niet", "next": "agent"}]},
    {"id": "restart", "kind": "message", "text": "Zet je modem 30 seconden uit en weer aan.", "next": "works"},
    {"id": "works", "kind": "question", "text": "Werkt het internet weer?",
     "options": [
       {"label": "Ja", "next": "solved"},
       {"label": "Nee", "next": "order"}]},
    {"id": "article", "kind": "article", "text": "Oranje betekent een storing in de verbinding.", "article": 12, "next": "order"},
    {"id": "order", "kind": "input", "text": "Wat is je klantnummer?", "pattern": "[0-9]{6}",
     "hint": "Een klantnummer heeft zes cijfers.", "var": "customer", "next": "check"},
    {"id": "check", "kind": "action", "action": "line_check", "params": {"customer": "{{customer}}"}, "ok": "fixed", "fail": "agent"},
    {"id": "fixed", "kind": "end", "outcome": "solved", "text": "We hebben je verbinding opnieuw ingesteld."},
    {"id": "solved", "kind": "end", "outcome": "solved"},
    {"id": "agent", "kind": "end", "outcome": "handover", "team": 7, "text": "Een monteur neemt contact op."}
  ]
}`

func mustParse(t testing.TB, js, locale string) *Definition {
	t.Helper()
	def, err := Parse([]byte(js))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	def.Locale = locale
	return def
}

func TestRunnerWalks(t *testing.T) {
	type want struct {
		kind    ViewKind
		step    string
		outcome desk.FlowOutcome
		team    int64
	}
	tests := []struct {
		name     string
		answers  []string
		want     want
		path     []Visit
		messages []string // of the last view
	}{
		{
			name:    "happy path to solved",
			answers: []string{"1", "ja"},
			want:    want{ViewEnd, "solved", desk.FlowSolved, 0},
			path:    []Visit{{"light", "Ja, groen"}, {"restart", ""}, {"works", "Ja"}, {"solved", ""}},
		},
		{
			name:    "to handover through a message",
			answers: []string{"nee", "Nee, nog steeds niet"},
			want:    want{ViewEnd, "agent", desk.FlowHandover, 7},
			path:    []Visit{{"light", "Nee"}, {"power", ""}, {"again", "Nee, nog steeds niet"}, {"agent", ""}},
		},
		{
			name:     "message shown with the next question",
			answers:  []string{"nee"},
			want:     want{ViewQuestion, "again", "", 0},
			path:     []Visit{{"light", "Nee"}, {"power", ""}, {"again", ""}},
			messages: []string{"Controleer of de stekker goed in het stopcontact zit."},
		},
		{
			name:    "article yes ends solved",
			answers: []string{"ja oranje", "ja"},
			want:    want{ViewEnd, "", desk.FlowSolved, 0},
			path:    []Visit{{"light", "Ja, oranje"}, {"article", AnswerYes}},
		},
		{
			name:    "article no goes on",
			answers: []string{"2", "Nee"},
			want:    want{ViewInput, "order", "", 0},
			path:    []Visit{{"light", "Ja, oranje"}, {"article", AnswerNo}, {"order", ""}},
		},
		{
			name:    "input stops at the action",
			answers: []string{"2", "2", "mijn nummer is 123456"},
			want:    want{ViewAction, "check", "", 0},
			path:    []Visit{{"light", "Ja, oranje"}, {"article", AnswerNo}, {"order", "123456"}, {"check", ""}},
		},
		{
			name:    "action fail hands over",
			answers: []string{"2", "2", "123456", ActionFail},
			want:    want{ViewEnd, "agent", desk.FlowHandover, 7},
			path:    []Visit{{"light", "Ja, oranje"}, {"article", AnswerNo}, {"order", "123456"}, {"check", ActionFail}, {"agent", ""}},
		},
		{
			name:    "loop through a question",
			answers: []string{"nee", "ja", "nee", "1"},
			want:    want{ViewQuestion, "light", "", 0},
			path: []Visit{{"light", "Nee"}, {"power", ""}, {"again", "Ja"}, {"light", "Nee"}, {"power", ""},
				{"again", "Ja"}, {"light", ""}},
		},
		{
			name:    "misunderstood answer asked again",
			answers: []string{"banaan"},
			want:    want{ViewQuestion, "light", "", 0},
			path:    []Visit{{"light", Misunderstood}, {"light", ""}},
		},
		{
			name:    "three misunderstood answers hand over to the flow's team",
			answers: []string{"banaan", "7", "?"},
			want:    want{ViewEnd, "", desk.FlowHandover, 4},
			path:    []Visit{{"light", Misunderstood}, {"light", Misunderstood}, {"light", Misunderstood}},
		},
		{
			name:    "an understood answer resets the count",
			answers: []string{"banaan", "peer", "nee", "appel", "kiwi"},
			want:    want{ViewQuestion, "again", "", 0},
			path:    []Visit{{"light", Misunderstood}, {"light", Misunderstood}, {"light", "Nee"}, {"power", ""}, {"again", Misunderstood}, {"again", Misunderstood}, {"again", ""}},
		},
		{
			name:    "input not matching the pattern",
			answers: []string{"2", "nee", "weet ik niet"},
			want:    want{ViewInput, "order", "", 0},
			path:    []Visit{{"light", "Ja, oranje"}, {"article", AnswerNo}, {"order", Misunderstood}, {"order", ""}},
		},
	}
	def := mustParse(t, router, "nl")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := Start(def)
			var err error
			for _, a := range tc.answers {
				if st, err = Answer(def, st, a); err != nil {
					t.Fatalf("Answer(%q): %v", a, err)
				}
			}
			v := Show(def, st)
			got := want{v.Kind, v.Step, v.Outcome, v.Team}
			if got != tc.want {
				t.Errorf("view = %+v, want %+v", got, tc.want)
			}
			if !reflect.DeepEqual(st.Path, tc.path) {
				t.Errorf("path = %v\nwant %v", st.Path, tc.path)
			}
			if !reflect.DeepEqual(v.Messages, tc.messages) {
				t.Errorf("messages = %q, want %q", v.Messages, tc.messages)
			}
			// The path alone rebuilds the state.
			again, err := Replay(def, st.Path)
			if err != nil {
				t.Fatalf("Replay: %v", err)
			}
			if !reflect.DeepEqual(again, st) {
				t.Errorf("Replay = %+v\nwant %+v", again, st)
			}
		})
	}
}

func TestRunnerViews(t *testing.T) {
	def := mustParse(t, router, "nl")
	st := Start(def)
	v := Show(def, st)
	if got, want := v.Plain(), "Brandt het lampje op je modem?\n\n1. Ja, groen  2. Ja, oranje  3. Nee"; got != want {
		t.Errorf("start Plain() = %q, want %q", got, want)
	}

	st, _ = Answer(def, st, "oranje")
	v = Show(def, st)
	if v.Kind != ViewArticle || v.Article == nil || v.Article.GroupID != 12 {
		t.Fatalf("view = %+v, want the article 12", v)
	}
	v.Article.Title, v.Article.URL = "Storingen", "https://example.nl/help/nl/storingen"
	want := "Oranje betekent een storing in de verbinding.\n\nStoringen\nhttps://example.nl/help/nl/storingen\n\nIs je probleem hiermee opgelost?\n\n1. Ja  2. Nee"
	if got := v.Plain(); got != want {
		t.Errorf("article Plain() = %q\nwant %q", got, want)
	}

	st, _ = Answer(def, st, "nee")
	st, _ = Answer(def, st, "geen idee")
	v = Show(def, st)
	if v.Hint != "Een klantnummer heeft zes cijfers." {
		t.Errorf("hint = %q, want the step's hint", v.Hint)
	}
	st, _ = Answer(def, st, "klantnummer 654321 graag")
	v = Show(def, st)
	if v.Kind != ViewAction || v.Action != "line_check" || v.Params["customer"] != "654321" {
		t.Errorf("view = %+v, want line_check with customer 654321", v)
	}
	st, _ = Answer(def, st, ActionOK)
	v = Show(def, st)
	if v.Kind != ViewEnd || v.Outcome != desk.FlowSolved || v.Text != "We hebben je verbinding opnieuw ingesteld." {
		t.Errorf("view = %+v, want the end fixed", v)
	}
}

func TestAnswerMatching(t *testing.T) {
	nl := `{"start":"a","steps":[{"id":"a","kind":"question","text":"Waarover gaat het?","options":[
		{"label":"Bezorging","next":"e"},{"label":"Retour of ruilen","next":"e"},{"label":"Financiële vragen","next":"e"},{"label":"Iets anders","next":"e"}]},
		{"id":"e","kind":"end","outcome":"solved"}]}`
	en := `{"start":"a","steps":[{"id":"a","kind":"question","text":"Did that work?","options":[
		{"label":"Yes","next":"e"},{"label":"No, still broken","next":"e"}]},
		{"id":"e","kind":"end","outcome":"solved"}]}`
	yn := `{"start":"a","steps":[{"id":"a","kind":"question","text":"Gelukt?","options":[
		{"label":"Ja","next":"e"},{"label":"Nee","next":"e"}]},
		{"id":"e","kind":"end","outcome":"solved"}]}`
	tests := []struct {
		name, def, answer, want string // want "" is misunderstood
	}{
		{"number", nl, "2", "Retour of ruilen"},
		{"number with dot", nl, " 3. ", "Financiële vragen"},
		{"number out of range", nl, "5", ""},
		{"zero", nl, "0", ""},
		{"negative", nl, "-1", ""},
		{"label", nl, "Bezorging", "Bezorging"},
		{"label lower case", nl, "bezorging", "Bezorging"},
		{"label without diacritics", nl, "financiele vragen", "Financiële vragen"},
		{"label shouting with punctuation", nl, "FINANCIËLE VRAGEN!!", "Financiële vragen"},
		{"one word of a label", nl, "retour", "Retour of ruilen"},
		{"label in a sentence", nl, "ik heb een vraag over bezorging", "Bezorging"},
		{"typo", nl, "bezorgnig", "Bezorging"},
		{"typo with diacritics folded", nl, "financiele vragn", "Financiële vragen"},
		{"nothing alike", nl, "mijn hond is ziek", ""},
		{"empty", nl, "   ", ""},
		{"only punctuation", nl, "?", ""},
		{"en yes", en, "yes", "Yes"},
		{"en no in words", en, "no", "No, still broken"},
		{"en label sentence", en, "still broken", "No, still broken"},
		{"en number", en, "1", "Yes"},
		{"nl yes word to ja/nee", yn, "jazeker", "Ja"},
		{"english yes to ja/nee", yn, "yes", "Ja"},
		{"english no to ja/nee", yn, "nope", "Nee"},
		{"nl no word first", yn, "niet gelukt", "Nee"},
		{"a no word later is no answer", yn, "ik snap het niet", ""},
		{"ja graag", yn, "ja graag", "Ja"},
		{"ambiguous", nl, "vragen of ruilen", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := mustParse(t, tc.def, "nl")
			st, err := Answer(def, Start(def), tc.answer)
			if err != nil {
				t.Fatalf("Answer: %v", err)
			}
			got := st.Path[0].Answer
			want := tc.want
			if want == "" {
				want = Misunderstood
			}
			if got != want {
				t.Errorf("Answer(%q) picked %q, want %q", tc.answer, got, want)
			}
		})
	}
}

func TestArticleAnswers(t *testing.T) {
	js := steps(`{"id":"a","kind":"article","article":5,"next":"ok"}`, endOK)
	tests := []struct {
		locale, answer, want string
	}{
		{"nl", "1", AnswerYes},
		{"nl", "2", AnswerNo},
		{"nl", "Ja", AnswerYes},
		{"nl", "nee hoor", AnswerNo},
		{"nl", "Opgelost, dank je!", AnswerYes},
		{"nl", "helaas niet", AnswerNo},
		{"en", "yes", AnswerYes},
		{"en", "No", AnswerNo},
		{"en", "ja", AnswerYes},
		{"en", "it still does not work", AnswerNo},
		{"en", "what?", Misunderstood},
	}
	for _, tc := range tests {
		t.Run(tc.locale+" "+tc.answer, func(t *testing.T) {
			def := mustParse(t, js, tc.locale)
			st, err := Answer(def, Start(def), tc.answer)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Path[0].Answer; got != tc.want {
				t.Errorf("Answer(%q) = %q, want %q", tc.answer, got, tc.want)
			}
		})
	}
	def := mustParse(t, js, "en")
	if got, want := Show(def, Start(def)).Plain(), "#5\n\nDid this solve your problem?\n\n1. Yes  2. No"; got != want {
		t.Errorf("en Plain() = %q, want %q", got, want)
	}
}

func TestAnswerErrors(t *testing.T) {
	def := mustParse(t, router, "nl")
	ended, _ := Answer(def, Start(def), "1")
	ended, _ = Answer(def, ended, "1")
	if !ended.Ended {
		t.Fatal("walk did not end")
	}
	atAction := Start(def)
	for _, a := range []string{"2", "2", "123456"} {
		atAction, _ = Answer(def, atAction, a)
	}
	tests := []struct {
		name   string
		st     State
		answer string
		want   error
	}{
		{"ended", ended, "1", desk.ErrConflict},
		{"unknown step", State{Step: "nope"}, "1", desk.ErrInvalid},
		{"at a message", State{Step: "power"}, "1", desk.ErrInvalid},
		{"customer text at an action", atAction, "ok!", desk.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Answer(def, tc.st, tc.answer); !errors.Is(err, tc.want) {
				t.Errorf("Answer: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAnswerDoesNotChangeItsInput(t *testing.T) {
	def := mustParse(t, router, "nl")
	st, _ := Answer(def, Start(def), "nee")
	before := string(st.Encode())
	if _, err := Answer(def, st, "ja"); err != nil {
		t.Fatal(err)
	}
	if after := string(st.Encode()); after != before {
		t.Errorf("state changed by Answer:\n%s\nwas\n%s", after, before)
	}
}

func TestStateJSONRoundTrip(t *testing.T) {
	def := mustParse(t, router, "nl")
	st := Start(def)
	for _, a := range []string{"2", "nee", "123456"} {
		st, _ = Answer(def, st, a)
	}
	back, err := DecodeState(st.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, st) {
		t.Errorf("DecodeState(Encode()) = %+v, want %+v", back, st)
	}
	if _, err := DecodeState([]byte(`{"step":"a","bogus":1}`)); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("DecodeState with an unknown field: %v, want ErrInvalid", err)
	}
}

func TestReplayRejectsForeignPaths(t *testing.T) {
	def := mustParse(t, router, "nl")
	tests := []struct {
		name string
		path []Visit
	}{
		{"wrong first step", []Visit{{"power", ""}}},
		{"answer that is no option", []Visit{{"light", "Misschien"}, {"restart", ""}}},
		{"skipped message", []Visit{{"light", "Ja, groen"}, {"works", ""}}},
		{"steps after the end", []Visit{{"light", "Ja, groen"}, {"restart", ""}, {"works", "Ja"}, {"solved", ""}, {"light", ""}}},
		{"answer at a message", []Visit{{"light", "Ja, groen"}, {"restart", "ok"}, {"works", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Replay(def, tc.path); !errors.Is(err, desk.ErrInvalid) && !errors.Is(err, desk.ErrConflict) {
				t.Errorf("Replay: %v, want an error", err)
			}
		})
	}
}

func TestRunnerNeverLoopsForever(t *testing.T) {
	// A customer who keeps choosing the loop is handed over after
	// MaxAnswers answers.
	def := mustParse(t, router, "nl")
	st := Start(def)
	var err error
	for i := 0; !st.Ended; i++ {
		if i > MaxAnswers {
			t.Fatalf("still running after %d answers", i)
		}
		a := "nee"
		if st.Step == "again" {
			a = "ja"
		}
		if st, err = Answer(def, st, a); err != nil {
			t.Fatal(err)
		}
	}
	if st.Outcome != desk.FlowHandover || st.Answers != MaxAnswers {
		t.Errorf("ended %q after %d answers, want handover after %d", st.Outcome, st.Answers, MaxAnswers)
	}
	if v := Show(def, st); !strings.Contains(v.Text, "medewerker") {
		t.Errorf("end text %q, want the Dutch hand-over text", v.Text)
	}
}
