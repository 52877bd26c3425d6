package flow

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// FuzzDefinition feeds arbitrary JSON to the decoder and validator, and
// walks every definition they accept with arbitrary answers: nothing may
// panic, a run must end or wait within bounds, and its path must replay.
func FuzzDefinition(f *testing.F) {
	f.Add(packageExample, "1\nORD-12345\nok")
	f.Add(router, "2\nnee\n123456\nfail")
	f.Add(router, "x\ny\nz")
	f.Add(steps(`{"id":"a","kind":"end","outcome":"solved"}`), "")
	f.Add(steps(`{"id":"a","kind":"question","text":"Q","options":[{"label":"A","next":"a"},{"label":"B","next":"ok"}]}`, endOK), "1\n1\n1\n2")
	f.Add(steps(`{"id":"a","kind":"message","text":"M","next":"a"}`), "")
	f.Add(`{"start":"a","steps":[{"id":"a","kind":"input","text":"P","pattern":"(a*)*$","next":"a"}]}`, "aaa")
	f.Add(`{"start":"a","steps":null}`, "")
	f.Add(`[]`, "")
	f.Fuzz(func(t *testing.T, js, answers string) {
		def, err := Parse([]byte(js))
		if err != nil {
			if !errors.Is(err, desk.ErrInvalid) {
				t.Fatalf("Parse error %v does not match ErrInvalid", err)
			}
			return
		}
		if _, err := Parse([]byte(def.Encode())); err != nil {
			t.Fatalf("Parse(Encode()) of an accepted definition: %v", err)
		}
		for _, locale := range []string{"nl", "en"} {
			def.Locale = locale
			st := Start(def)
			_ = Show(def, st).Plain()
			for i, a := range strings.Split(answers, "\n") {
				if st.Ended || i > 2*MaxAnswers {
					break
				}
				if step := def.Step(st.Step); step != nil && step.Kind == KindAction {
					a = ActionOK
					if i%2 == 1 {
						a = ActionFail
					}
				}
				if st, err = Answer(def, st, a); err != nil {
					t.Fatalf("Answer(%q): %v", a, err)
				}
				_ = Show(def, st).Plain()
			}
			if len(st.Path) > (MaxAnswers+1)*(MaxSteps+1) {
				t.Fatalf("path of %d steps", len(st.Path))
			}
			again, err := Replay(def, st.Path)
			if err != nil {
				t.Fatalf("Replay: %v", err)
			}
			if !reflect.DeepEqual(again, st) {
				t.Fatalf("Replay = %+v, want %+v", again, st)
			}
		}
	})
}
