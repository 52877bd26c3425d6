package forecast

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func amsterdam(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	return loc
}

func holidays(from, to int) []Date {
	var out []Date
	for y := from; y <= to; y++ {
		out = append(out, DutchHolidays(y)...)
	}
	return out
}

func TestSlotFollowsLocalClockThroughDST(t *testing.T) {
	loc := amsterdam(t)
	tests := []struct {
		name string
		at   time.Time
		want int
	}{
		{"Monday midnight", time.Date(2025, 3, 24, 0, 0, 0, 0, loc), 0},
		{"Sunday 23:00", time.Date(2025, 3, 30, 23, 0, 0, 0, loc), 167},
		{"Sunday 03:00 after spring forward", time.Date(2025, 3, 30, 1, 0, 0, 0, time.UTC), 6*24 + 3},
		{"first 02:00 on fall-back Sunday", time.Date(2025, 10, 26, 0, 0, 0, 0, time.UTC), 6*24 + 2},
		{"second 02:00 on fall-back Sunday", time.Date(2025, 10, 26, 1, 0, 0, 0, time.UTC), 6*24 + 2},
		{"Monday 09:00 in winter", time.Date(2025, 10, 27, 8, 0, 0, 0, time.UTC), 9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Slot(tc.at, loc); got != tc.want {
				t.Errorf("Slot(%v) = %d, want %d", tc.at.In(loc), got, tc.want)
			}
			if got := slotOfLocalHour(localHour(tc.at, loc)); got != tc.want {
				t.Errorf("slotOfLocalHour(localHour(%v)) = %d, want %d", tc.at.In(loc), got, tc.want)
			}
		})
	}
	// Every hour of a year, and before 1970 where the floor division matters.
	for _, start := range []time.Time{time.Date(2025, 1, 1, 0, 0, 0, 0, loc), time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)} {
		for t0, i := start, 0; i < 366*24; t0, i = t0.Add(time.Hour), i+1 {
			if a, b := Slot(t0, loc), slotOfLocalHour(localHour(t0, loc)); a != b {
				t.Fatalf("%v: Slot %d, from local hour %d", t0.In(loc), a, b)
			}
		}
	}
}

func TestDutchHolidays(t *testing.T) {
	tests := []struct {
		year int
		want []Date
	}{
		{2024, []Date{{2024, 1, 1}, {2024, 3, 31}, {2024, 4, 1}, {2024, 4, 27}, {2024, 5, 9}, {2024, 5, 19}, {2024, 5, 20}, {2024, 12, 25}, {2024, 12, 26}}},
		// King's Day 2025 falls on a Sunday, so it moves to Saturday the 26th.
		{2025, []Date{{2025, 1, 1}, {2025, 4, 20}, {2025, 4, 21}, {2025, 4, 26}, {2025, 5, 29}, {2025, 6, 8}, {2025, 6, 9}, {2025, 12, 25}, {2025, 12, 26}}},
		{2026, []Date{{2026, 1, 1}, {2026, 4, 5}, {2026, 4, 6}, {2026, 4, 27}, {2026, 5, 14}, {2026, 5, 24}, {2026, 5, 25}, {2026, 12, 25}, {2026, 12, 26}}},
	}
	for _, tc := range tests {
		got := DutchHolidays(tc.year)
		if len(got) != len(tc.want) {
			t.Fatalf("%d: got %v, want %v", tc.year, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%d: holiday %d = %v, want %v", tc.year, i, got[i], tc.want[i])
			}
		}
	}
	for y, want := range map[int]Date{2000: {2000, 4, 23}, 2019: {2019, 4, 21}, 2038: {2038, 4, 25}} {
		if got := easterSunday(y); got != want {
			t.Errorf("easter %d = %v, want %v", y, got, want)
		}
	}
}

// pattern is a deterministic arrival count per hour of the week.
func pattern(slot int) float64 { return float64(10 + slot%24*3 + slot/24*5) }

// patterned builds hours of history from start with pattern, scaled by
// scale(date) per day.
func patterned(start time.Time, loc *time.Location, hours int, scale func(Date) float64) Series {
	s := Series{Start: start, Loc: loc, Counts: make([]float64, hours)}
	for i := range s.Counts {
		t := s.At(i)
		s.Counts[i] = pattern(Slot(t, loc)) * scale(DateOf(t, loc))
	}
	return s
}

func one(Date) float64 { return 1 }

// A noiseless weekly pattern must come back exactly, hour by local hour, even
// when the history or the forecast crosses a daylight-saving change.
func TestForecastKeepsLocalPatternAcrossDST(t *testing.T) {
	loc := amsterdam(t)
	tests := []struct {
		name  string
		start time.Time
		weeks int
	}{
		{"history spans spring forward", time.Date(2025, 3, 17, 0, 0, 0, 0, loc), 3},
		{"forecast spans spring forward", time.Date(2025, 3, 3, 0, 0, 0, 0, loc), 3},
		{"forecast spans fall back", time.Date(2025, 10, 6, 0, 0, 0, 0, loc), 3},
		{"history starts mid-week at 15:00", time.Date(2025, 10, 1, 15, 0, 0, 0, loc), 4},
	}
	for _, tc := range tests {
		for _, m := range []Method{Profile, SeasonalNaive, SeasonalMean} {
			t.Run(tc.name+"/"+m.String(), func(t *testing.T) {
				end := tc.start.AddDate(0, 0, 7*tc.weeks)
				hist := patterned(tc.start, loc, int(end.Sub(tc.start).Hours()), one)
				got, err := Forecast(hist, 2*HoursPerWeek, Options{Method: m})
				if err != nil {
					t.Fatal(err)
				}
				if !got.Start.Equal(end) || len(got.Counts) != 2*HoursPerWeek {
					t.Fatalf("forecast starts %v with %d hours, want %v and %d", got.Start, len(got.Counts), end, 2*HoursPerWeek)
				}
				for i, c := range got.Counts {
					at := got.At(i)
					if want := pattern(Slot(at, loc)); math.Abs(c-want) > 1e-6 {
						t.Fatalf("%v: got %.4f, want %v", at.In(loc), c, want)
					}
				}
			})
		}
	}
}

func TestForecastHolidays(t *testing.T) {
	loc := amsterdam(t)
	// Holidays run at half their Sunday volume in this history: King's Day
	// (Saturday 26 April 2025) is in it, Ascension (Thursday 29 May) is
	// in the forecast.
	hol := DutchHolidays(2025)
	isHoliday := map[Date]bool{}
	for _, d := range hol {
		isHoliday[d] = true
	}
	start := time.Date(2025, 4, 7, 0, 0, 0, 0, loc)
	hist := patterned(start, loc, 7*HoursPerWeek, one)
	for i := range hist.Counts {
		at := hist.At(i)
		if isHoliday[DateOf(at, loc)] {
			hist.Counts[i] = 0.5 * pattern(sundaySlot(Slot(at, loc)))
		}
	}
	got, err := Forecast(hist, 2*HoursPerWeek, Options{Holidays: hol})
	if err != nil {
		t.Fatal(err)
	}
	var checked int
	for i, c := range got.Counts {
		at := got.At(i)
		want := pattern(Slot(at, loc))
		if isHoliday[DateOf(at, loc)] {
			want = 0.5 * pattern(sundaySlot(Slot(at, loc)))
			checked++
		}
		if math.Abs(c-want) > 1e-6 {
			t.Fatalf("%v: got %.4f, want %.4f", at.In(loc), c, want)
		}
	}
	if checked != 48 {
		t.Errorf("checked %d holiday hours, want 48 (Ascension Day and Whit Sunday)", checked)
	}
}

func TestForecastFollowsTrend(t *testing.T) {
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	// 3% growth a week, compounding.
	grow := func(d Date) float64 {
		days := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Sub(start).Hours() / 24
		return math.Pow(1.03, days/7)
	}
	hist := patterned(start, time.UTC, 10*HoursPerWeek, grow)
	got, err := Forecast(hist, HoursPerWeek, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var last, next float64
	for i := range HoursPerWeek {
		last += hist.Counts[len(hist.Counts)-HoursPerWeek+i]
		next += got.Counts[i]
	}
	// The damped trend should carry most, not all, of the 3%.
	if ratio := next / last; ratio < 1.015 || ratio > 1.035 {
		t.Errorf("next week / last week = %.4f, want about 1.03", ratio)
	}
}

func TestForecastValidation(t *testing.T) {
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	good := patterned(start, time.UTC, 3*HoursPerWeek, one)
	tests := []struct {
		name  string
		s     Series
		hours int
		opt   Options
	}{
		{"one week is too short for Profile", patterned(start, time.UTC, HoursPerWeek, one), 24, Options{}},
		{"six days are too short for naive", patterned(start, time.UTC, 6*24, one), 24, Options{Method: SeasonalNaive}},
		{"negative hours", good, -1, Options{}},
		{"negative count", Series{Start: start, Counts: append([]float64{-1}, good.Counts...)}, 24, Options{}},
		{"NaN count", Series{Start: start, Counts: append([]float64{math.NaN()}, good.Counts...)}, 24, Options{}},
		{"start off the local hour", Series{Start: start, Loc: kolkata, Counts: good.Counts}, 24, Options{}},
		{"zero start", Series{Counts: good.Counts}, 24, Options{}},
		{"unknown method", good, 24, Options{Method: 42}},
		{"negative half-life", good, 24, Options{HalfLife: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Forecast(tc.s, tc.hours, tc.opt); !errors.Is(err, desk.ErrInvalid) {
				t.Errorf("error = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name              string
		actual, predicted []float64
		minActual         float64
		mape, wape        float64
		hours             int
	}{
		{"perfect", []float64{10, 20}, []float64{10, 20}, 5, 0, 0, 2},
		{"ten and twenty percent", []float64{10, 20}, []float64{11, 16}, 5, 0.15, 5.0 / 30, 2},
		{"quiet hours stay out of MAPE, not WAPE", []float64{1, 10}, []float64{3, 10}, 5, 0, 2.0 / 11, 1},
		{"zero actual never divides", []float64{0, 10}, []float64{2, 10}, 0, 0, 0.2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Score(tc.actual, tc.predicted, tc.minActual)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.MAPE-tc.mape) > 1e-12 || math.Abs(got.WAPE-tc.wape) > 1e-12 || got.Hours != tc.hours {
				t.Errorf("got %+v, want MAPE %v WAPE %v over %d hours", got, tc.mape, tc.wape, tc.hours)
			}
		})
	}
	got, err := Score([]float64{1, 2}, []float64{1, 2}, 5)
	if err != nil || !math.IsNaN(got.MAPE) {
		t.Errorf("no qualifying hour: got %+v, %v; want NaN MAPE", got, err)
	}
	if _, err := Score([]float64{1}, []float64{1, 2}, 5); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("length mismatch error = %v, want ErrInvalid", err)
	}
}

// backtestCase is one held-back week: the last of weeks weeks of synthetic
// history from start.
type backtestCase struct {
	name    string
	start   time.Time
	weeks   int
	channel string
}

func backtestCases(loc *time.Location) []backtestCase {
	var out []backtestCase
	starts := []struct {
		name  string
		start time.Time
		weeks int
	}{
		{"winter, 10 weeks", time.Date(2025, 1, 6, 0, 0, 0, 0, loc), 10},
		{"held-back week has spring forward and Easter before it", time.Date(2025, 1, 27, 0, 0, 0, 0, loc), 9},
		{"held-back week has fall back", time.Date(2025, 8, 4, 0, 0, 0, 0, loc), 12},
		{"held-back week has Ascension", time.Date(2025, 3, 17, 0, 0, 0, 0, loc), 11},
		{"8 weeks, starting mid-week", time.Date(2025, 9, 10, 0, 0, 0, 0, loc), 8},
	}
	for _, s := range starts {
		for _, ch := range []string{"chat", "phone", "email", "whatsapp"} {
			out = append(out, backtestCase{s.name + "/" + ch, s.start, s.weeks, ch})
		}
	}
	return out
}

// TestProfileBeatsBaselines is the accuracy claim of the package: on held-
// back weeks of synthetic history (seeds never used while tuning), Profile
// has a lower MAPE and WAPE than seasonal naive and the seasonal mean, and
// comes close to the oracle that knows the true arrival rate.
func TestProfileBeatsBaselines(t *testing.T) {
	loc := amsterdam(t)
	hol := holidays(2024, 2026)
	methods := []Method{Profile, SeasonalNaive, SeasonalMean}
	type total struct{ mape, wape float64 }
	sums := map[Method]*total{}
	for _, m := range methods {
		sums[m] = &total{}
	}
	var oracle total
	n := 0
	for _, tc := range backtestCases(loc) {
		for seed := uint64(101); seed <= 106; seed++ {
			s := Synthetic(tc.start, loc, tc.weeks, tc.channel, seed)
			for _, m := range methods {
				a, err := Backtest(s, HoursPerWeek, Options{Method: m, Holidays: hol}, DefaultMinActual)
				if err != nil {
					t.Fatalf("%s seed %d %s: %v", tc.name, seed, m, err)
				}
				sums[m].mape += a.MAPE
				sums[m].wape += a.WAPE
			}
			truth := expectedArrivals(tc.start, loc, tc.weeks, tc.channel)
			cut := len(s.Counts) - HoursPerWeek
			a, err := Score(s.Counts[cut:], truth.Counts[cut:], DefaultMinActual)
			if err != nil {
				t.Fatal(err)
			}
			oracle.mape += a.MAPE
			oracle.wape += a.WAPE
			n++
		}
	}
	avg := func(x total) total { return total{x.mape / float64(n), x.wape / float64(n)} }
	p := avg(*sums[Profile])
	for _, m := range methods {
		a := avg(*sums[m])
		t.Logf("%-15s MAPE %.1f%%  WAPE %.1f%%", m, 100*a.mape, 100*a.wape)
	}
	o := avg(oracle)
	t.Logf("%-15s MAPE %.1f%%  WAPE %.1f%%  (true rate: the Poisson floor)", "oracle", 100*o.mape, 100*o.wape)
	for _, m := range methods[1:] {
		b := avg(*sums[m])
		if p.mape >= b.mape || p.wape >= b.wape {
			t.Errorf("profile MAPE %.4f WAPE %.4f, %s %.4f %.4f: want profile better", p.mape, p.wape, m, b.mape, b.wape)
		}
	}
	if p.mape > 1.1*o.mape {
		t.Errorf("profile MAPE %.4f is more than 10%% above the oracle's %.4f", p.mape, o.mape)
	}
}

func BenchmarkForecast(b *testing.B) {
	loc := amsterdam(b)
	s := Synthetic(time.Date(2025, 1, 6, 0, 0, 0, 0, loc), loc, 12, "chat", 1)
	opt := Options{Holidays: holidays(2025, 2025)}
	for b.Loop() {
		if _, err := Forecast(s, HoursPerWeek, opt); err != nil {
			b.Fatal(err)
		}
	}
}
