package forecast

import (
	"fmt"
	"math"

	"github.com/balie-dev/balie/internal/desk"
)

// Method selects a forecasting model.
type Method int

const (
	// Profile is weekly level (damped linear trend) × recency-weighted
	// hour-of-week index. The default, and the most accurate on balie's
	// synthetic history (see Backtest).
	Profile Method = iota
	// SeasonalNaive repeats the same local hour of the most recent week: the
	// baseline every other method has to beat.
	SeasonalNaive
	// SeasonalMean is the plain mean of the same local hour over the last
	// weeks, without trend.
	SeasonalMean
)

func (m Method) String() string {
	switch m {
	case Profile:
		return "profile"
	case SeasonalNaive:
		return "seasonal-naive"
	case SeasonalMean:
		return "seasonal-mean"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Options tune Forecast. The zero value is the recommended setting.
type Options struct {
	Method Method
	// Weeks is how many recent weeks of history to learn from; 0 means 12
	// for Profile and 4 for SeasonalMean. SeasonalNaive ignores it.
	Weeks int
	// HalfLife is the age in weeks at which a week's weight in the Profile
	// index halves; 0 means 6. Shorter follows a changing pattern faster,
	// longer averages more Poisson noise away.
	HalfLife float64
	// Holidays are left out of the fit (they would drag their weekday
	// down) and forecast as a Sunday, scaled by how past holidays in the
	// history compared with their Sunday profile.
	Holidays []Date
}

// trendDamping (φ) damps the slope of the weekly levels when projecting it:
// h weeks ahead move by b·(φ + φ² + … + φ^h), so a few good weeks do not
// project growth forever.
const trendDamping = 0.9

// minHistory is the history each method needs, in hours.
func (m Method) minHistory() int {
	if m == SeasonalNaive {
		return HoursPerWeek
	}
	return 2 * HoursPerWeek
}

// Forecast predicts the next hours hours after history. The result starts
// at history.End() in the same location. history must cover at least one
// week for SeasonalNaive and two for the other methods; more (8–12 weeks)
// is better.
func Forecast(history Series, hours int, opt Options) (Series, error) {
	if err := history.validate(); err != nil {
		return Series{}, fmt.Errorf("forecast: %w", err)
	}
	if hours < 0 {
		return Series{}, fmt.Errorf("forecast: %w", desk.Invalid("hours", "negative"))
	}
	if n := opt.Method.minHistory(); len(history.Counts) < n {
		return Series{}, fmt.Errorf("forecast: %w", desk.Invalid("history",
			fmt.Sprintf("%s needs at least %d hours, got %d", opt.Method, n, len(history.Counts))))
	}
	if opt.Weeks < 0 || opt.HalfLife < 0 || math.IsNaN(opt.HalfLife) {
		return Series{}, fmt.Errorf("forecast: %w", desk.Invalid("options", "negative weeks or half-life"))
	}
	h := newHistory(history, opt.Holidays)
	var predict func(future) float64
	switch opt.Method {
	case Profile:
		predict = fitProfile(h, cmp0(opt.Weeks, 12), cmp0f(opt.HalfLife, 6))
	case SeasonalNaive:
		predict = h.naive()
	case SeasonalMean:
		predict = h.mean(cmp0(opt.Weeks, 4))
	default:
		return Series{}, fmt.Errorf("forecast: %w", desk.Invalid("method", opt.Method.String()))
	}
	loc := history.Location()
	out := Series{Start: history.End(), Loc: history.Loc, Counts: make([]float64, hours)}
	for i := range out.Counts {
		t := out.At(i)
		lh := localHour(t, loc)
		f := future{slot: slotOfLocalHour(lh), holiday: h.holidays[DateOf(t, loc)],
			weeksAhead: float64(lh-h.endHour)/HoursPerWeek + 0.5}
		out.Counts[i] = max(0, predict(f))
	}
	return out, nil
}

func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func cmp0f(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// future describes one hour to predict.
type future struct {
	slot    int
	holiday bool
	// weeksAhead is the distance from the middle of the last history week.
	weeksAhead float64
}

// sundaySlot maps a slot to the same hour on Sunday.
func sundaySlot(slot int) int { return 6*24 + slot%24 }

// obs is one hour of history, placed by weeks back from the end (0 is the
// most recent 168 local hours) and local hour of the week.
type obs struct {
	week, slot int
	count      float64
	holiday    bool
}

type history struct {
	obs      []obs
	weeks    int // number of (partial) weeks covered
	endHour  int // localHour of the end of the history
	holidays map[Date]bool
}

func newHistory(s Series, holidays []Date) *history {
	loc := s.Location()
	h := &history{endHour: localHour(s.End(), loc), holidays: make(map[Date]bool, len(holidays))}
	for _, d := range holidays {
		h.holidays[d] = true
	}
	for i, c := range s.Counts {
		t := s.At(i)
		lh := localHour(t, loc)
		o := obs{week: floorDiv(h.endHour-1-lh, HoursPerWeek), slot: slotOfLocalHour(lh), count: c,
			holiday: h.holidays[DateOf(t, loc)]}
		h.obs = append(h.obs, o)
		h.weeks = max(h.weeks, o.week+1)
	}
	return h
}

// slotMeans returns the mean count per slot in each week, NaN where a week
// has no (non-holiday) observation of a slot.
func (h *history) slotMeans() [][HoursPerWeek]float64 {
	sum := make([][HoursPerWeek]float64, h.weeks)
	n := make([][HoursPerWeek]int, h.weeks)
	for _, o := range h.obs {
		if o.holiday {
			continue
		}
		sum[o.week][o.slot] += o.count
		n[o.week][o.slot]++
	}
	for k := range sum {
		for s := range sum[k] {
			if n[k][s] == 0 {
				sum[k][s] = math.NaN()
			} else {
				sum[k][s] /= float64(n[k][s])
			}
		}
	}
	return sum
}

// naive predicts the most recent non-holiday observation of the slot.
func (h *history) naive() func(future) float64 {
	means := h.slotMeans()
	return func(f future) float64 {
		slot := f.slot
		if f.holiday {
			slot = sundaySlot(slot)
		}
		for k := range means {
			if v := means[k][slot]; !math.IsNaN(v) {
				return v
			}
		}
		return 0
	}
}

// mean predicts the mean of the slot over the last weeks.
func (h *history) mean(weeks int) func(future) float64 {
	means := h.slotMeans()
	var avg [HoursPerWeek]float64
	for s := range avg {
		var sum float64
		var n int
		for k := 0; k < len(means) && k < weeks; k++ {
			if v := means[k][s]; !math.IsNaN(v) {
				sum += v
				n++
			}
		}
		if n > 0 {
			avg[s] = sum / float64(n)
		}
	}
	return func(f future) float64 {
		if f.holiday {
			return avg[sundaySlot(f.slot)]
		}
		return avg[f.slot]
	}
}

// fitProfile fits count = level(week) × index(slot) by alternating the two
// estimates (a few rounds converge), then fits a damped linear trend to the
// weekly levels.
func fitProfile(h *history, weeks int, halfLife float64) func(future) float64 {
	weeks = min(weeks, h.weeks)
	weight := make([]float64, weeks)
	for k := range weight {
		weight[k] = math.Pow(0.5, float64(k)/halfLife)
	}
	level := make([]float64, weeks)
	for k := range level {
		level[k] = 1
	}
	var index [HoursPerWeek]float64
	coverage := make([]float64, weeks)
	for range 4 {
		var num, den [HoursPerWeek]float64
		for _, o := range h.obs {
			if o.week < weeks && !o.holiday && level[o.week] > 0 {
				num[o.slot] += weight[o.week] * o.count / level[o.week]
				den[o.slot] += weight[o.week]
			}
		}
		var total float64
		var seen int
		for s := range index {
			if den[s] > 0 {
				index[s] = num[s] / den[s]
				total += index[s]
				seen++
			}
		}
		fillGaps(&index, den)
		if total == 0 {
			return func(future) float64 { return 0 }
		}
		// Normalise to a mean of 1, so a level is contacts per hour.
		for s := range index {
			index[s] *= float64(seen) / total
		}
		counts := make([]float64, weeks)
		for k := range coverage {
			coverage[k] = 0
		}
		for _, o := range h.obs {
			if o.week < weeks && !o.holiday {
				counts[o.week] += o.count
				coverage[o.week] += index[o.slot]
			}
		}
		for k := range level {
			if coverage[k] > 0 {
				level[k] = counts[k] / coverage[k]
			}
		}
	}

	l, b := trend(level, coverage, weight)

	// How a holiday compares with its Sunday profile, learned from the
	// holidays in the history; 1 when there were none.
	holidayFactor := 1.0
	var hc, he float64
	for _, o := range h.obs {
		if o.week < weeks && o.holiday {
			hc += o.count
			he += level[o.week] * index[sundaySlot(o.slot)]
		}
	}
	if he > 0 {
		holidayFactor = hc / he
	}

	return func(f future) float64 {
		lv := l + b*dampedSum(f.weeksAhead)
		if f.holiday {
			return lv * index[sundaySlot(f.slot)] * holidayFactor
		}
		return lv * index[f.slot]
	}
}

// dampedSum is Σ φ^i for i = 1..h, continued to fractional h.
func dampedSum(h float64) float64 {
	return trendDamping * (1 - math.Pow(trendDamping, h)) / (1 - trendDamping)
}

// trend fits a straight line through the weekly levels (index k is k weeks
// back) by weighted least squares, and returns its value at the last week
// and its slope per week. Weeks mostly missing (a partial first week, a week
// of holidays) are left out: their level is too noisy. With fewer than three
// weeks the slope is 0: two noisy points make no trend.
//
// A Holt filter over the same levels was tried first; its level lags a
// steady trend by several weeks (next week forecast at +0.4% where the
// history grew 3% a week).
func trend(level, coverage, weight []float64) (at0, slope float64) {
	var sw, sx, sy, sxx, sxy float64
	var n int
	for k, y := range level {
		if coverage[k] < HoursPerWeek/2 {
			continue
		}
		w, x := weight[k], -float64(k)
		sw += w
		sx += w * x
		sy += w * y
		sxx += w * x * x
		sxy += w * x * y
		n++
	}
	if n == 0 {
		return 0, 0
	}
	mx, my := sx/sw, sy/sw
	varX := sxx/sw - mx*mx
	if n < 3 || varX <= 0 {
		return my, 0
	}
	slope = (sxy/sw - mx*my) / varX
	return my - slope*mx, slope
}

// fillGaps gives slots never observed the mean of their nearest observed
// neighbours, so a missing hour (a DST gap in a short history) does not
// forecast zero.
func fillGaps(index *[HoursPerWeek]float64, den [HoursPerWeek]float64) {
	for s := range index {
		if den[s] > 0 {
			continue
		}
		var sum float64
		var n int
		for _, d := range []int{-1, 1} {
			for step := 1; step < HoursPerWeek; step++ {
				j := floorMod(s+d*step, HoursPerWeek)
				if den[j] > 0 {
					sum += index[j]
					n++
					break
				}
			}
		}
		if n > 0 {
			index[s] = sum / float64(n)
		}
	}
}
