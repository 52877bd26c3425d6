package forecast

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"
)

// shape is one channel's arrival pattern for a Dutch retail web shop.
type shape struct {
	peak     float64     // contacts in the busiest weekday hour, before the day factor
	day      [7]float64  // Monday..Sunday volume factor
	weekday  [24]float64 // intraday curve Monday–Friday, relative to peak
	saturday [24]float64 // intraday curve on Saturday
	sunday   [24]float64 // intraday curve on Sunday and holidays
}

// channelShape returns curves hand-drawn after the pattern Dutch web shops
// report: a Monday peak (weekend orders and questions arrive), a morning and
// an afternoon hump with a lunch dip, an evening peak on chat and messaging
// after dinner, quiet nights, and a slow Sunday morning. Phone lines are only
// open in business hours.
func channelShape(channel string) shape {
	chat := shape{
		peak: 45,
		day:  [7]float64{1.30, 1.12, 1.02, 0.98, 0.90, 0.72, 0.80},
		weekday: [24]float64{0.10, 0.06, 0.04, 0.03, 0.03, 0.05, 0.12, 0.30, 0.60, 0.85, 1.00, 0.95,
			0.70, 0.80, 0.90, 0.88, 0.80, 0.65, 0.55, 0.75, 0.95, 0.90, 0.60, 0.30},
		saturday: [24]float64{0.15, 0.08, 0.05, 0.03, 0.03, 0.03, 0.06, 0.15, 0.35, 0.60, 0.80, 0.85,
			0.80, 0.80, 0.80, 0.75, 0.70, 0.60, 0.50, 0.60, 0.75, 0.70, 0.50, 0.30},
		sunday: [24]float64{0.15, 0.08, 0.05, 0.03, 0.02, 0.02, 0.03, 0.06, 0.12, 0.25, 0.40, 0.55,
			0.65, 0.70, 0.72, 0.72, 0.70, 0.65, 0.65, 0.85, 1.05, 1.00, 0.70, 0.35},
	}
	switch channel {
	case "phone":
		return shape{
			peak: 40,
			day:  [7]float64{1.35, 1.10, 1.00, 0.97, 0.88, 0.60, 0},
			weekday: [24]float64{8: 0.70, 9: 1.00, 10: 0.95, 11: 0.85, 12: 0.60, 13: 0.75, 14: 0.80,
				15: 0.75, 16: 0.65, 17: 0.50},
			saturday: [24]float64{10: 0.70, 11: 0.80, 12: 0.70, 13: 0.65, 14: 0.60, 15: 0.50},
		}
	case "email":
		return shape{
			peak: 30,
			day:  [7]float64{1.25, 1.10, 1.02, 1.00, 0.95, 0.70, 0.75},
			weekday: [24]float64{0.20, 0.12, 0.08, 0.06, 0.06, 0.10, 0.25, 0.50, 0.80, 0.95, 1.00, 0.95,
				0.80, 0.85, 0.90, 0.85, 0.75, 0.60, 0.50, 0.55, 0.60, 0.55, 0.40, 0.30},
			saturday: [24]float64{0.20, 0.12, 0.08, 0.06, 0.05, 0.06, 0.10, 0.20, 0.40, 0.60, 0.70, 0.70,
				0.65, 0.65, 0.65, 0.60, 0.55, 0.50, 0.45, 0.50, 0.55, 0.50, 0.40, 0.30},
			sunday: [24]float64{0.20, 0.12, 0.08, 0.05, 0.04, 0.04, 0.06, 0.10, 0.20, 0.35, 0.50, 0.60,
				0.60, 0.62, 0.62, 0.60, 0.58, 0.58, 0.60, 0.70, 0.80, 0.75, 0.55, 0.35},
		}
	case "whatsapp":
		s := chat
		s.peak = 25
		// Messaging leans harder on the evening than web chat.
		for i := 18; i < 24; i++ {
			s.weekday[i] *= 1.25
			s.saturday[i] *= 1.25
			s.sunday[i] *= 1.25
		}
		return s
	}
	return chat
}

// Synthetic returns weeks of realistic hourly arrivals for channel ("chat",
// "phone", "email" or "whatsapp"; anything else is chat), starting at start
// (truncated to the hour in loc). It has weekly and daily seasonality, a slow
// growth of 0.8% a week, a day-to-day swing of about 6% (weather, campaigns),
// Poisson noise per hour, and DutchHolidays behaving like a Sunday (phone
// closed). The same seed and channel always give the same series.
func Synthetic(start time.Time, loc *time.Location, weeks int, channel string, seed uint64) Series {
	s := expectedArrivals(start, loc, weeks, channel)
	h := fnv.New64a()
	h.Write([]byte(channel))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	var (
		today    Date
		daySwing float64
	)
	for i, rate := range s.Counts {
		if d := DateOf(s.At(i), s.Loc); d != today {
			today = d
			daySwing = math.Exp(0.06 * rng.NormFloat64())
		}
		s.Counts[i] = float64(poisson(rng, rate*daySwing))
	}
	return s
}

// expectedArrivals returns the arrival rate behind Synthetic before the
// day-to-day swing and Poisson noise: the best forecast anyone could make.
func expectedArrivals(start time.Time, loc *time.Location, weeks int, channel string) Series {
	if loc == nil {
		loc = time.UTC
	}
	lt := start.In(loc)
	start = time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), 0, 0, 0, loc)
	sh := channelShape(channel)

	holidays := map[Date]bool{}
	end := start.AddDate(0, 0, 7*weeks)
	for y := start.Year() - 1; y <= end.Year()+1; y++ {
		for _, d := range DutchHolidays(y) {
			holidays[d] = true
		}
	}

	const weeklyGrowth = 0.008
	s := Series{Start: start, Loc: loc}
	for t := start; t.Before(end); t = t.Add(time.Hour) {
		slot := Slot(t, loc)
		wd, hr := slot/24, slot%24
		var curve [24]float64
		factor := sh.day[wd]
		switch {
		case holidays[DateOf(t, loc)]:
			curve, factor = sh.sunday, sh.day[6]*0.9
		case wd == 5:
			curve = sh.saturday
		case wd == 6:
			curve = sh.sunday
		default:
			curve = sh.weekday
		}
		weeksIn := t.Sub(start).Hours() / HoursPerWeek
		s.Counts = append(s.Counts, sh.peak*factor*curve[hr]*math.Exp(weeklyGrowth*weeksIn))
	}
	return s
}

// poisson draws a Poisson variate: Knuth's product method for small means,
// a rounded normal approximation above 30 where it is accurate enough for
// arrival counts.
func poisson(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean >= 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*rng.NormFloat64())))
	}
	limit := math.Exp(-mean)
	k, p := 0, rng.Float64()
	for p > limit {
		k++
		p *= rng.Float64()
	}
	return k
}
