// Package rollup is the plan both store drivers follow to answer
// desk.AnalyticsStore.StatsRows fast on a large desk.
//
// The hourly rows (one per UTC hour of creation and channel, team,
// category and assignee) are the unit of rebuild, but at a million
// conversations a year they shrink nothing: almost every conversation gets
// a row of its own. So the drivers keep, next to them, coarser "cubes":
// the same counters summed over fewer dimensions (the ones a report groups
// or filters by) and, for the cubes without the hour, per UTC day and per
// UTC month. A query reads the smallest cube that still has every
// dimension it needs, and splits its period into whole months, whole days
// at the ends and whole hours at the very ends (a local midnight is not a
// UTC one), each from its own cube; a partial month or day at an end may
// be read as the whole one minus the days or hours outside the period,
// when those are fewer (Plan).
//
// Measured with a year of 1,000,000 conversations (docs/benchmarks.md,
// "Reports"): hourly rows 964k; a summary of the year to a month's end
// reads 16k cube rows adding up days and hours, 4k subtracting them.
//
// It may import desk only; the drivers own the SQL.
package rollup

import (
	"fmt"
	"math"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Dims is a set of the dimensions besides time.
type Dims uint8

// The dimensions.
const (
	Channel Dims = 1 << iota
	Team
	Category
	Agent

	All = Channel | Team | Category | Agent
)

// Has reports whether d holds every dimension of o.
func (d Dims) Has(o Dims) bool { return d&o == o }

// Grain is the time unit of a cube's rows.
type Grain uint8

// The grains.
const (
	Hour Grain = iota
	Day
	Month
)

// Table says where a cube's rows live.
type Table uint8

// The tables. Base is the hourly table of every dimension (the unit of
// rebuild), Hours the hourly cubes of a few dimensions kept for the hour
// charts (keyed by dimensions first: they are read with every dimension
// fixed), Periods the day and month cubes (keyed by period first: they are
// read with dimensions grouped).
const (
	Base Table = iota
	Hours
	Periods
)

// Cube is one rollup: its counters summed over the dimensions not in Dims
// (stored as "" and 0 there) per Grain.
type Cube struct {
	ID    int
	Table Table
	Grain Grain
	Dims  Dims
	// Rows is about how many rows the cube has per hour, day or month on a
	// busy desk (the benchmark's million conversations a year, measured),
	// for Plan to choose between adding and subtracting: a wrong guess
	// costs time, never correctness.
	Rows float64
}

// BaseCube returns the hourly table itself as a cube.
func BaseCube() Cube { return Cube{ID: 0, Table: Base, Grain: Hour, Dims: All, Rows: 110} }

// HourCubes returns the hourly cubes, smallest first. Rows a year at a
// million conversations (5 channels, 6 teams, 12 categories): about 9k, 44k,
// 52k, 105k and 200k.
func HourCubes() []Cube {
	return []Cube{
		{ID: 1, Table: Hours, Grain: Hour, Rows: 1},
		{ID: 2, Table: Hours, Grain: Hour, Dims: Channel, Rows: 5},
		{ID: 3, Table: Hours, Grain: Hour, Dims: Team, Rows: 6},
		{ID: 4, Table: Hours, Grain: Hour, Dims: Category, Rows: 11},
		{ID: 5, Table: Hours, Grain: Hour, Dims: Channel | Team, Rows: 22},
	}
}

// DayCubes returns the day cubes, smallest first: the overview tables
// (channel, team, category), the agent table with the channel and team
// filters (channel, team, agent), and with the category filter (team,
// category, agent). A day has at most 360, 330 and 792 rows of them on the
// desk above; the agent with channel and category together falls back to
// the hourly table.
func DayCubes() []Cube {
	return []Cube{
		{ID: 11, Table: Periods, Grain: Day, Dims: Channel | Team | Agent, Rows: 330},
		{ID: 12, Table: Periods, Grain: Day, Dims: Channel | Team | Category, Rows: 360},
		{ID: 13, Table: Periods, Grain: Day, Dims: Team | Category | Agent, Rows: 730},
	}
}

// MonthOf returns the month cube summing a day cube. On a busy desk a
// month has about as many rows as a day (every key occurs every day); the
// half more hedges for a quieter one, whose days fill fewer keys.
func MonthOf(day Cube) Cube {
	return Cube{ID: day.ID + 10, Table: Periods, Grain: Month, Dims: day.Dims, Rows: 1.5 * day.Rows}
}

// MonthCubes returns the month cubes, in the order of DayCubes.
func MonthCubes() []Cube {
	var out []Cube
	for _, c := range DayCubes() {
		out = append(out, MonthOf(c))
	}
	return out
}

// DimsOf returns the dimensions a query needs: those it groups by and those
// it filters on, and whether it groups by hour. An unknown dimension is
// desk.ErrInvalid.
func DimsOf(f desk.StatsFilter, by []desk.StatsDim) (Dims, bool, error) {
	var d Dims
	hour := false
	for _, b := range by {
		switch b {
		case desk.DimHour:
			hour = true
		case desk.DimChannel:
			d |= Channel
		case desk.DimTeam:
			d |= Team
		case desk.DimCategory:
			d |= Category
		case desk.DimAgent:
			d |= Agent
		default:
			return 0, false, desk.Invalid("by", string(b))
		}
	}
	if f.Channel != "" {
		d |= Channel
	}
	if f.TeamID != 0 {
		d |= Team
	}
	if f.Category != "" {
		d |= Category
	}
	if f.AssigneeID != 0 {
		d |= Agent
	}
	return d, hour, nil
}

// Segment is one part of a query's period read from one cube: rows whose
// time is in [From, To); a zero bound is no bound. Sub marks rows to take
// away from the sum rather than add to it (see Plan).
type Segment struct {
	Cube     Cube
	From, To time.Time
	Sub      bool
}

// Plan splits the query f, grouped by by, into segments whose signed sums
// add up to the answer: the rows of each segment are added, or subtracted
// when it is Sub. From and To must be whole UTC hours (local midnights
// are); a zero bound is open.
//
// A period [lo, hi) sums S(hi) − S(lo), where S(t) is the sum of every row
// before t. Plan picks a day boundary near each end (loD, hiD) and a month
// boundary near those (loM, hiM), and telescopes:
//
//	S(hi) − S(lo) = [S(loD) − S(lo)] + [S(loM) − S(loD)] + [S(hiM) − S(loM)]
//	              + [S(hiD) − S(hiM)] + [S(hi) − S(hiD)]
//
// Each bracket is the rows between two bounds, read from the hour, day,
// month, day and hour cube (whose grain divides those bounds), added when
// its second bound is the later one and subtracted otherwise. Rounding
// outwards, a period ending on the 28th reads its last month minus three
// days, and one ending at 22:00 UTC its last day minus two hours; Plan
// picks, of the roundings down and up at each end, the one that reads the
// fewest rows by the cubes' Rows. The result is exact because a month
// row is the sum of its day rows and a day's rows the sum of its hours, in
// every cube: the drivers write all of them from the same hourly rows in
// the same transaction (the rebuild), so they never disagree, not even on
// the current month, whose row covers exactly the days rebuilt so far.
func Plan(f desk.StatsFilter, by []desk.StatsDim) ([]Segment, error) {
	need, hour, err := DimsOf(f, by)
	if err != nil {
		return nil, fmt.Errorf("rollup: plan: %w", err)
	}
	hourCube := smallest(HourCubes(), need)
	if hour {
		return []Segment{{Cube: hourCube, From: f.From, To: f.To}}, nil
	}
	dayCube, ok := pick(DayCubes(), need)
	if !ok {
		return []Segment{{Cube: BaseCube(), From: f.From, To: f.To}}, nil
	}
	return cheapest(f.From.UTC(), f.To.UTC(), hourCube, dayCube), nil
}

// cheapest returns the telescoping of [lo, hi) (see Plan) that reads the
// fewest rows. Candidates are tried plain sums first, so that a tie keeps
// the plan that subtracts nothing.
func cheapest(lo, hi time.Time, hourCube, dayCube Cube) []Segment {
	t := telescope{lo: lo, hi: hi, hour: hourCube, day: dayCube, month: MonthOf(dayCube)}
	var best []Segment
	bestCost := math.Inf(1)
	try := func(loD, loM, hiM, hiD time.Time) {
		segs := t.segments(loD, loM, hiM, hiD)
		if c := t.cost(segs); c < bestCost {
			best, bestCost = segs, c
		}
	}
	bounded := !lo.IsZero() && !hi.IsZero()
	for _, loD := range roundings(lo, Day, true) {
		for _, hiD := range roundings(hi, Day, false) {
			for _, loM := range roundings(loD, Month, true) {
				for _, hiM := range roundings(hiD, Month, false) {
					try(loD, loM, hiM, hiD)
				}
			}
			if bounded {
				try(loD, loD, loD, hiD) // no months: days and hours
			}
		}
	}
	if bounded {
		try(lo, lo, lo, lo) // hours only
	}
	return best
}

// roundings returns t rounded to the grain inwards then outwards (for the
// start of a period: up, then down), once if they are the same; the zero
// time (no bound) stays zero.
func roundings(t time.Time, g Grain, start bool) []time.Time {
	down, up := floor(t, g), ceil(t, g)
	switch {
	case down.Equal(up):
		return []time.Time{down}
	case start:
		return []time.Time{up, down}
	}
	return []time.Time{down, up}
}

// telescope builds and prices the segments of one choice of boundaries.
type telescope struct {
	lo, hi           time.Time
	hour, day, month Cube
}

// segments returns the brackets of Plan's sum for the boundaries given,
// in time order, leaving out the empty ones.
func (t telescope) segments(loD, loM, hiM, hiD time.Time) []Segment {
	var out []Segment
	// between adds S(to) − S(from): the rows of [from, to), or those of
	// [to, from) taken away. A zero bound only meets another in the months
	// bracket of an open period, where it means "from the start" or "to
	// the end".
	between := func(c Cube, from, to time.Time) {
		switch {
		case from.Equal(to):
		case from.IsZero() || to.IsZero() || from.Before(to):
			out = append(out, Segment{Cube: c, From: from, To: to})
		default:
			out = append(out, Segment{Cube: c, From: to, To: from, Sub: true})
		}
	}
	between(t.hour, t.lo, loD)
	between(t.day, loD, loM)
	if loM.IsZero() && hiM.IsZero() {
		out = append(out, Segment{Cube: t.month}) // all time
	}
	between(t.month, loM, hiM)
	between(t.day, hiM, hiD)
	between(t.hour, hiD, t.hi)
	return out
}

// seekRows is what starting one more segment is taken to cost, in rows:
// another index seek and another arm of the query.
const seekRows = 20

// cost estimates how many rows segs read. An open bound is counted from
// the month of the other end, the same for every candidate, so that only
// the difference between candidates counts.
func (t telescope) cost(segs []Segment) float64 {
	var rows float64
	for _, s := range segs {
		from, to := s.From, s.To
		if from.IsZero() && !t.hi.IsZero() {
			from = Trunc(t.hi, Month)
		}
		if to.IsZero() && !t.lo.IsZero() {
			to = Next(Trunc(t.lo, Month), Month)
		}
		rows += seekRows + s.Cube.Rows*units(from, to, s.Cube.Grain)
	}
	return rows
}

// units counts the hours, days or months in [from, to), whole-grain
// bounds; none when either is open.
func units(from, to time.Time, g Grain) float64 {
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return 0
	}
	switch g {
	case Day:
		return float64(to.Sub(from) / (24 * time.Hour))
	case Month:
		return float64((to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month()))
	}
	return float64(to.Sub(from) / time.Hour)
}

func pick(cubes []Cube, need Dims) (Cube, bool) {
	for _, c := range cubes {
		if c.Dims.Has(need) {
			return c, true
		}
	}
	return Cube{}, false
}

func smallest(cubes []Cube, need Dims) Cube {
	if c, ok := pick(cubes, need); ok {
		return c
	}
	return BaseCube()
}

// Trunc returns the start of t's UTC hour, day or month.
func Trunc(t time.Time, g Grain) time.Time {
	t = t.UTC()
	switch g {
	case Day:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return t.Truncate(time.Hour)
}

// Next returns the start of the hour, day or month after the one starting
// at t.
func Next(t time.Time, g Grain) time.Time {
	switch g {
	case Day:
		return t.AddDate(0, 0, 1)
	case Month:
		return t.AddDate(0, 1, 0)
	}
	return t.Add(time.Hour)
}

// floor and ceil round to the grain; the zero time (no bound) stays zero.
func floor(t time.Time, g Grain) time.Time {
	if t.IsZero() {
		return t
	}
	return Trunc(t, g)
}

func ceil(t time.Time, g Grain) time.Time {
	if t.IsZero() {
		return t
	}
	if f := Trunc(t, g); !f.Equal(t) {
		return Next(f, g)
	}
	return t.UTC()
}

// Row is one row of a cube.
type Row struct {
	Cube   int
	Period time.Time // start of the row's hour, day or month
	desk.StatsRow
}

// Project sums rows (of the base table, or of a finer cube holding every
// dimension of c) into cube c's rows, in the order their keys first
// appear. Dimensions c lacks become "" and 0; StatsRow.Hour is kept zero.
func Project(rows []desk.StatsRow, periodOf func(*desk.StatsRow) time.Time, c Cube) []Row {
	type key struct {
		period time.Time
		k      desk.StatsKey
	}
	idx := map[key]int{}
	var out []Row
	for i := range rows {
		r := &rows[i]
		k := key{period: Trunc(periodOf(r), c.Grain), k: mask(r.StatsKey, c.Dims)}
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, Row{Cube: c.ID, Period: k.period, StatsRow: desk.StatsRow{StatsKey: k.k}})
		}
		out[j].Add(&r.StatsCounts)
	}
	return out
}

func mask(k desk.StatsKey, d Dims) desk.StatsKey {
	var m desk.StatsKey
	if d.Has(Channel) {
		m.Channel = k.Channel
	}
	if d.Has(Team) {
		m.TeamID = k.TeamID
	}
	if d.Has(Category) {
		m.Category = k.Category
	}
	if d.Has(Agent) {
		m.AssigneeID = k.AssigneeID
	}
	return m
}

// HourOf is the period function of base rows.
func HourOf(r *desk.StatsRow) time.Time { return r.Hour }

// batchDays bounds the days one rebuild transaction covers, so the writer
// is never held for long.
const batchDays = 7

// Batches splits sorted hours into the rebuild's transactions: at most a
// week of days, all in one month, so that each also recomputes the cubes
// of its days and of exactly one month.
func Batches(hours []time.Time) [][]time.Time {
	var out [][]time.Time
	var first time.Time
	for _, h := range hours {
		d := Trunc(h, Day)
		if len(out) == 0 || !Trunc(d, Month).Equal(Trunc(first, Month)) || !d.Before(first.AddDate(0, 0, batchDays)) {
			out = append(out, nil)
			first = d
		}
		out[len(out)-1] = append(out[len(out)-1], h)
	}
	return out
}

// DaysOf returns the distinct UTC days of sorted hours, in order.
func DaysOf(hours []time.Time) []time.Time {
	var out []time.Time
	for _, h := range hours {
		if d := Trunc(h, Day); len(out) == 0 || !out[len(out)-1].Equal(d) {
			out = append(out, d)
		}
	}
	return out
}

// MonthsOf returns the distinct UTC months of sorted times, in order.
func MonthsOf(times []time.Time) []time.Time {
	var out []time.Time
	for _, t := range times {
		if m := Trunc(t, Month); len(out) == 0 || !out[len(out)-1].Equal(m) {
			out = append(out, m)
		}
	}
	return out
}

// IDs returns the ids of cubes.
func IDs(cubes []Cube) []int {
	out := make([]int, len(cubes))
	for i, c := range cubes {
		out[i] = c.ID
	}
	return out
}

// Direct reports whether the rows of plan are already the answer, one per
// group: a single hourly cube keeping exactly the dimensions the query
// needs, grouped by hour. The driver can then skip the aggregation, which
// on a year of hours is most of the work.
func Direct(plan []Segment, f desk.StatsFilter, by []desk.StatsDim) bool {
	need, hour, err := DimsOf(f, by)
	return err == nil && hour && len(plan) == 1 && plan[0].Cube.Table == Hours && plan[0].Cube.Dims == need
}

// Subtracts reports whether plan has segments to subtract.
func Subtracts(plan []Segment) bool {
	for _, seg := range plan {
		if seg.Sub {
			return true
		}
	}
	return false
}

// Wide reports whether plan reads the hourly base table over more than a
// day (or without bounds), up to a row per conversation: such rows are best
// summed by the database. The other plans read at most tens of thousands
// of cube rows, which a driver may as well sum itself.
func Wide(plan []Segment) bool {
	for _, seg := range plan {
		if seg.Cube.Table == Base && (seg.From.IsZero() || seg.To.IsZero() || seg.To.Sub(seg.From) > 24*time.Hour) {
			return true
		}
	}
	return false
}

// SizeHint guesses how many rows a query returns, for allocating them at
// once (a StatsRow is 1.6 kB): the hours of its period when grouped by
// hour, capped.
func SizeHint(f desk.StatsFilter, by []desk.StatsDim) int {
	_, hour, _ := DimsOf(f, by)
	if !hour || f.From.IsZero() || f.To.IsZero() {
		return 0
	}
	return min(max(int(f.To.Sub(f.From)/time.Hour), 0), 24*400)
}
