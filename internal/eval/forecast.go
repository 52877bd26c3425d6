package eval

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"github.com/balie-dev/balie/internal/analytics/forecast"
	"github.com/balie-dev/balie/internal/desk"
)

// ForecastOptions says which synthetic histories RunForecast backtests.
// The zero value is the documented run (docs/benchmarks.md).
type ForecastOptions struct {
	// Start is the first hour of history, in Loc; zero: Monday 6 January
	// 2025, so the 12-week default holds back the week of 24 March.
	Start time.Time
	Loc   *time.Location // zero: Europe/Amsterdam
	// Weeks of history, the last of which is held back; 0: 12.
	Weeks int
	// Seeds of forecast.Synthetic; nil: 201 to 210, never used while
	// tuning the methods (their tests use 101 to 106).
	Seeds []uint64
	// Channels of forecast.Synthetic; nil: chat, phone, email, whatsapp.
	Channels []string
}

// ForecastScore is one method's accuracy on one channel (or "all"),
// averaged over the seeds: fractions, 0.12 = 12%.
type ForecastScore struct {
	Channel string  `json:"channel"`
	Method  string  `json:"method"`
	MAPE    float64 `json:"mape"`
	WAPE    float64 `json:"wape"`
	// Runs is how many histories entered the average.
	Runs int `json:"runs"`
}

// ForecastResult is the outcome of RunForecast.
type ForecastResult struct {
	Start         time.Time       `json:"start"`
	Weeks         int             `json:"weeks"`
	HeldBackHours int             `json:"held_back_hours"`
	MinActual     float64         `json:"min_actual"`
	Seeds         []uint64        `json:"seeds"`
	Scores        []ForecastScore `json:"scores"`
}

// RunForecast backtests balie's forecasting methods: for each channel and
// seed it makes a synthetic history, holds back its last week, forecasts
// that week from the rest with each method (Dutch holidays known) and
// scores it with forecast.Score (MAPE over hours with at least
// forecast.DefaultMinActual contacts, WAPE over all hours).
func RunForecast(o ForecastOptions) (*ForecastResult, error) {
	if o.Loc == nil {
		loc, err := time.LoadLocation("Europe/Amsterdam")
		if err != nil {
			return nil, fmt.Errorf("eval: forecast: %w", err)
		}
		o.Loc = loc
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2025, 1, 6, 0, 0, 0, 0, o.Loc)
	}
	if o.Weeks == 0 {
		o.Weeks = 12
	}
	if o.Weeks < 3 {
		return nil, fmt.Errorf("eval: forecast: %w", desk.Invalid("weeks", "at least 3: two to learn from, one held back"))
	}
	if o.Seeds == nil {
		for s := uint64(201); s <= 210; s++ {
			o.Seeds = append(o.Seeds, s)
		}
	}
	if o.Channels == nil {
		o.Channels = []string{"chat", "phone", "email", "whatsapp"}
	}
	var holidays []forecast.Date
	end := o.Start.AddDate(0, 0, 7*o.Weeks)
	for y := o.Start.Year() - 1; y <= end.Year(); y++ {
		holidays = append(holidays, forecast.DutchHolidays(y)...)
	}
	methods := []forecast.Method{forecast.Profile, forecast.SeasonalMean, forecast.SeasonalNaive}
	res := &ForecastResult{Start: o.Start, Weeks: o.Weeks, HeldBackHours: forecast.HoursPerWeek,
		MinActual: forecast.DefaultMinActual, Seeds: o.Seeds}
	all := make([]ForecastScore, len(methods))
	for _, ch := range o.Channels {
		scores := make([]ForecastScore, len(methods))
		for _, seed := range o.Seeds {
			hist := forecast.Synthetic(o.Start, o.Loc, o.Weeks, ch, seed)
			for i, m := range methods {
				a, err := forecast.Backtest(hist, forecast.HoursPerWeek, forecast.Options{Method: m, Holidays: holidays},
					forecast.DefaultMinActual)
				if err != nil {
					return nil, fmt.Errorf("eval: forecast %s seed %d %s: %w", ch, seed, m, err)
				}
				for _, sc := range []*ForecastScore{&scores[i], &all[i]} {
					sc.MAPE += a.MAPE
					sc.WAPE += a.WAPE
					sc.Runs++
				}
			}
		}
		for i, m := range methods {
			res.Scores = append(res.Scores, average(scores[i], ch, m))
		}
	}
	for i, m := range methods {
		res.Scores = append(res.Scores, average(all[i], "all", m))
	}
	return res, nil
}

func average(s ForecastScore, channel string, m forecast.Method) ForecastScore {
	s.Channel, s.Method = channel, m.String()
	if s.Runs > 0 {
		s.MAPE /= float64(s.Runs)
		s.WAPE /= float64(s.Runs)
	}
	return s
}

// WriteTable prints r as an aligned table, percentages to one decimal.
func (r *ForecastResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "history %d weeks from %s, last %d hours held back, %d seeds; MAPE over hours with >= %g contacts\n\n",
		r.Weeks, r.Start.Format(time.DateOnly), r.HeldBackHours, len(r.Seeds), r.MinActual)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "channel\tmethod\tMAPE\tWAPE\t")
	pct := func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	for _, s := range r.Scores {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", s.Channel, s.Method, pct(s.MAPE), pct(s.WAPE))
	}
	return tw.Flush()
}
