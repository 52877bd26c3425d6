package eval

import (
	"strings"
	"testing"
)

func TestRunForecast(t *testing.T) {
	r, err := RunForecast(ForecastOptions{Weeks: 8, Seeds: []uint64{1, 2}, Channels: []string{"chat", "email"}})
	if err != nil {
		t.Fatalf("RunForecast: %v", err)
	}
	if got, want := len(r.Scores), 3*3; got != want {
		t.Fatalf("got %d scores, want %d (2 channels and all, 3 methods)", got, want)
	}
	by := map[string]ForecastScore{}
	for _, s := range r.Scores {
		by[s.Channel+"/"+s.Method] = s
		if !(s.MAPE > 0 && s.MAPE < 1) || !(s.WAPE > 0 && s.WAPE < 1) {
			t.Errorf("%s %s: MAPE %v WAPE %v, want between 0 and 1", s.Channel, s.Method, s.MAPE, s.WAPE)
		}
	}
	tests := []struct {
		key  string
		runs int
	}{
		{"chat/profile", 2}, {"email/seasonal-naive", 2}, {"all/profile", 4}, {"all/seasonal-mean", 4},
	}
	for _, tc := range tests {
		if got := by[tc.key].Runs; got != tc.runs {
			t.Errorf("%s runs = %d, want %d", tc.key, got, tc.runs)
		}
	}
	// The claim the staffing page rests on: the profile beats repeating
	// last week.
	if p, n := by["all/profile"], by["all/seasonal-naive"]; p.WAPE >= n.WAPE {
		t.Errorf("profile WAPE %.3f, seasonal naive %.3f: want profile lower", p.WAPE, n.WAPE)
	}
	var b strings.Builder
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"seasonal-mean", "all", "%"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	if _, err := RunForecast(ForecastOptions{Weeks: 2}); err == nil {
		t.Error("RunForecast with 2 weeks: no error, want one")
	}
}
