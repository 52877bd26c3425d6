package forecast

import (
	"fmt"
	"math"

	"github.com/balie-dev/balie/internal/desk"
)

// DefaultMinActual is the smallest actual count an hour needs to enter the
// MAPE: below it a percentage error says more about Poisson noise at night
// (1 contact forecast as 2 is 100% off) than about the forecast.
const DefaultMinActual = 5

// Accuracy compares a forecast with what happened.
type Accuracy struct {
	// MAPE is the mean absolute percentage error over the hours whose
	// actual count is at least the threshold, as a fraction (0.12 = 12%).
	MAPE float64
	// WAPE is Σ|actual − predicted| / Σ actual over all hours: the error
	// per contact, weighted by volume, and defined at night too.
	WAPE float64
	// Hours is the number of hours that entered the MAPE.
	Hours int
}

// Score measures predicted against actual. Hours with an actual count below
// minActual are left out of the MAPE but not the WAPE. MAPE is NaN when no
// hour qualifies, WAPE when nothing arrived.
func Score(actual, predicted []float64, minActual float64) (Accuracy, error) {
	if len(actual) != len(predicted) {
		return Accuracy{}, fmt.Errorf("forecast: score: %w", desk.Invalid("predicted",
			fmt.Sprintf("%d hours, actual has %d", len(predicted), len(actual))))
	}
	var a Accuracy
	var ape, absErr, total float64
	for i, act := range actual {
		e := math.Abs(act - predicted[i])
		absErr += e
		total += act
		if act >= minActual && act > 0 {
			ape += e / act
			a.Hours++
		}
	}
	a.MAPE, a.WAPE = math.NaN(), math.NaN()
	if a.Hours > 0 {
		a.MAPE = ape / float64(a.Hours)
	}
	if total > 0 {
		a.WAPE = absErr / total
	}
	return a, nil
}

// Backtest holds back the last hours of history, forecasts them from the
// rest with opt, and scores the forecast with minActual (see Score).
func Backtest(history Series, hours int, opt Options, minActual float64) (Accuracy, error) {
	if hours <= 0 || hours >= len(history.Counts) {
		return Accuracy{}, fmt.Errorf("forecast: backtest: %w", desk.Invalid("hours",
			fmt.Sprintf("%d of %d", hours, len(history.Counts))))
	}
	cut := len(history.Counts) - hours
	train := Series{Start: history.Start, Loc: history.Loc, Counts: history.Counts[:cut]}
	pred, err := Forecast(train, hours, opt)
	if err != nil {
		return Accuracy{}, fmt.Errorf("forecast: backtest: %w", err)
	}
	return Score(history.Counts[cut:], pred.Counts, minActual)
}
