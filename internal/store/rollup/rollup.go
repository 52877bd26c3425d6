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
// UTC one), each from its own cube.
//
// Measured on SQLite with a year of 1,000,000 conversations
// (docs/benchmarks.md, "Reports"): hourly rows 964k; a year's summary
// reads about 25k cube rows instead.
//
// It may import desk only; the drivers own the SQL.
package rollup

import (
	"fmt"
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
}

// BaseCube returns the hourly table itself as a cube.
func BaseCube() Cube { return Cube{ID: 0, Table: Base, Grain: Hour, Dims: All} }

// HourCubes returns the hourly cubes, smallest first. Rows a year at a
// million conversations (5 channels, 6 teams, 12 categories): about 9k, 44k,
// 52k, 105k and 200k.
func HourCubes() []Cube {
	return []Cube{
		{ID: 1, Table: Hours, Grain: Hour},
		{ID: 2, Table: Hours, Grain: Hour, Dims: Channel},
		{ID: 3, Table: Hours, Grain: Hour, Dims: Team},
		{ID: 4, Table: Hours, Grain: Hour, Dims: Category},
		{ID: 5, Table: Hours, Grain: Hour, Dims: Channel | Team},
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
		{ID: 11, Table: Periods, Grain: Day, Dims: Channel | Team | Agent},
		{ID: 12, Table: Periods, Grain: Day, Dims: Channel | Team | Category},
		{ID: 13, Table: Periods, Grain: Day, Dims: Team | Category | Agent},
	}
}

// MonthOf returns the month cube summing a day cube.
func MonthOf(day Cube) Cube {
	return Cube{ID: day.ID + 10, Table: Periods, Grain: Month, Dims: day.Dims}
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
// time is in [From, To); a zero bound is no bound.
type Segment struct {
	Cube     Cube
	From, To time.Time
}

// Plan splits the query f, grouped by by, into segments whose sums add up
// to the answer. From and To must be whole UTC hours (local midnights are);
// a zero bound is open. Segments never overlap and cover the period.
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
	lo, hi := f.From.UTC(), f.To.UTC()
	d1, d2 := ceil(lo, Day), floor(hi, Day)
	if !lo.IsZero() && !hi.IsZero() && !d1.Before(d2) {
		return []Segment{{Cube: hourCube, From: f.From, To: f.To}}, nil
	}
	var out []Segment
	add := func(c Cube, from, to time.Time) {
		if !from.IsZero() && !to.IsZero() && !from.Before(to) {
			return
		}
		out = append(out, Segment{Cube: c, From: from, To: to})
	}
	if !lo.IsZero() {
		add(hourCube, lo, d1)
	}
	m1, m2 := ceil(d1, Month), floor(d2, Month)
	if m1.IsZero() || m2.IsZero() || m1.Before(m2) {
		if !d1.IsZero() {
			add(dayCube, d1, m1)
		}
		add(MonthOf(dayCube), m1, m2)
		if !d2.IsZero() {
			add(dayCube, m2, d2)
		}
	} else {
		add(dayCube, d1, d2)
	}
	if !hi.IsZero() {
		add(hourCube, d2, hi)
	}
	return out, nil
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
