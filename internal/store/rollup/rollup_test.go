package rollup

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func utc(m time.Month, d, h int) time.Time { return time.Date(2025, m, d, h, 0, 0, 0, time.UTC) }

func TestPlan(t *testing.T) {
	overview := []desk.StatsDim{desk.DimChannel, desk.DimTeam, desk.DimCategory}
	tests := []struct {
		name string
		f    desk.StatsFilter
		by   []desk.StatsDim
		want string // cube id and bounds of each segment
		wide bool   // whether the database should sum the rows
	}{
		// Amsterdam days: the ends are 23:00 UTC, a day minus an hour.
		{"Amsterdam days across months", desk.StatsFilter{From: utc(1, 14, 23), To: utc(3, 4, 23)}, overview,
			"0[01-14T23,01-15T00) -12[01-01T00,01-15T00) 22[01-01T00,03-01T00) 12[03-01T00,03-05T00) -0[03-04T23,03-05T00)", false},
		{"a local year ending at a month end: months and two hours", desk.StatsFilter{From: utc(5, 31, 22),
			To: time.Date(2026, 5, 31, 22, 0, 0, 0, time.UTC)}, overview,
			"0[05-31T22,06-01T00) 22[06-01T00,2026-06-01T00) -0[2026-05-31T22,2026-06-01T00)", false},
		{"30 local days: a month minus a day", desk.StatsFilter{From: utc(5, 1, 22), To: utc(5, 31, 22)}, overview,
			"0[05-01T22,05-02T00) -12[05-01T00,05-02T00) 22[05-01T00,06-01T00) -0[05-31T22,06-01T00)", false},
		{"ending early in a month: days added", desk.StatsFilter{From: utc(1, 1, 0), To: utc(3, 4, 0)}, overview,
			"22[01-01T00,03-01T00) 12[03-01T00,03-04T00)", false},
		{"ending late in a month: its days after subtracted", desk.StatsFilter{From: utc(1, 1, 0), To: utc(3, 27, 0)}, overview,
			"22[01-01T00,04-01T00) -12[03-27T00,04-01T00)", false},
		{"starting late in a month: its days added", desk.StatsFilter{From: utc(1, 27, 0), To: utc(3, 1, 0)}, overview,
			"12[01-27T00,02-01T00) 22[02-01T00,03-01T00)", false},
		{"starting early in a month: its days before subtracted", desk.StatsFilter{From: utc(1, 4, 0), To: utc(3, 1, 0)}, overview,
			"-12[01-01T00,01-04T00) 22[01-01T00,03-01T00)", false},
		{"within a month", desk.StatsFilter{From: utc(3, 4, 23), To: utc(3, 11, 23)}, []desk.StatsDim{desk.DimAgent},
			"0[03-04T23,03-05T00) 11[03-05T00,03-12T00) -0[03-11T23,03-12T00)", false},
		{"a week's totals: an hour's row is far smaller than a day's", desk.StatsFilter{From: utc(3, 4, 23),
			To: utc(3, 11, 23)}, nil, "1[03-04T23,03-11T23)", false},
		{"a year's totals: months", desk.StatsFilter{From: utc(1, 1, 0), To: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
			nil, "21[01-01T00,2026-01-01T00)", false},
		{"open ends", desk.StatsFilter{}, overview, "22[-,-)", false},
		{"open start", desk.StatsFilter{To: utc(3, 4, 23)}, overview,
			"22[-,03-01T00) 12[03-01T00,03-05T00) -0[03-04T23,03-05T00)", false},
		{"open end", desk.StatsFilter{From: utc(3, 4, 23)}, overview,
			"0[03-04T23,03-05T00) -12[03-01T00,03-05T00) 22[03-01T00,-)", false},
		{"agents of a category", desk.StatsFilter{Category: "billing", From: utc(3, 1, 0), To: utc(3, 2, 0)},
			[]desk.StatsDim{desk.DimAgent}, "13[03-01T00,03-02T00)", false},
		{"agents of a channel and a category: the hourly table", desk.StatsFilter{Channel: desk.ChannelEmail,
			Category: "billing", From: utc(3, 1, 0), To: utc(3, 2, 0)}, []desk.StatsDim{desk.DimAgent},
			"0[03-01T00,03-02T00)", false},
		{"hours of everything", desk.StatsFilter{From: utc(3, 1, 0), To: utc(3, 2, 0)}, []desk.StatsDim{desk.DimHour},
			"1[03-01T00,03-02T00)", false},
		{"hours of a channel and team", desk.StatsFilter{Channel: desk.ChannelEmail, TeamID: 2}, []desk.StatsDim{desk.DimHour},
			"5[-,-)", false},
		{"hours of an agent", desk.StatsFilter{AssigneeID: 4}, []desk.StatsDim{desk.DimHour}, "0[-,-)", true},
		{"less than a day", desk.StatsFilter{From: utc(3, 1, 5), To: utc(3, 1, 9)}, overview, "0[03-01T05,03-01T09)", false},
		{"a day but an hour", desk.StatsFilter{From: utc(3, 1, 0), To: utc(3, 1, 23)}, overview,
			"12[03-01T00,03-02T00) -0[03-01T23,03-02T00)", false},
		{"agents of a channel and a category for a week", desk.StatsFilter{Channel: desk.ChannelEmail,
			Category: "billing", From: utc(3, 1, 0), To: utc(3, 8, 0)}, []desk.StatsDim{desk.DimAgent},
			"0[03-01T00,03-08T00)", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := Plan(tc.f, tc.by)
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if got := planString(plan); got != tc.want {
				t.Errorf("plan = %s\nwant   %s", got, tc.want)
			}
			if got := Wide(plan); got != tc.wide {
				t.Errorf("Wide = %v, want %v", got, tc.wide)
			}
		})
	}
	if _, err := Plan(desk.StatsFilter{}, []desk.StatsDim{"weather"}); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("unknown dimension: err = %v, want ErrInvalid", err)
	}
}

func planString(plan []Segment) string {
	var s string
	bound := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		if t.Year() != 2025 {
			return t.UTC().Format("2006-01-02T15")
		}
		return t.UTC().Format("01-02T15")
	}
	for i, seg := range plan {
		if i > 0 {
			s += " "
		}
		if seg.Sub {
			s += "-"
		}
		s += fmt.Sprintf("%d[%s,%s)", seg.Cube.ID, bound(seg.From), bound(seg.To))
	}
	return s
}

func TestBatches(t *testing.T) {
	hours := []time.Time{utc(1, 30, 5), utc(1, 31, 23), utc(2, 1, 0), utc(2, 3, 4), utc(2, 8, 0), utc(2, 9, 1)}
	got := Batches(hours)
	want := [][]int{{0, 1}, {2, 3}, {4, 5}} // a new month, then a week on
	if len(got) != len(want) {
		t.Fatalf("got %d batches %v, want %d", len(got), got, len(want))
	}
	for i, b := range got {
		if len(b) != len(want[i]) || !b[0].Equal(hours[want[i][0]]) {
			t.Errorf("batch %d = %v, want hours %v", i, b, want[i])
		}
	}
	if days := DaysOf(hours[:3]); len(days) != 3 || !days[2].Equal(utc(2, 1, 0)) {
		t.Errorf("DaysOf = %v, want 30 Jan, 31 Jan, 1 Feb", days)
	}
}

func TestProjectSumsOverDroppedDimensions(t *testing.T) {
	rows := []desk.StatsRow{
		{StatsKey: desk.StatsKey{Hour: utc(3, 1, 9), Channel: "email", TeamID: 1, Category: "a", AssigneeID: 7},
			StatsCounts: desk.StatsCounts{Created: 2}},
		{StatsKey: desk.StatsKey{Hour: utc(3, 1, 15), Channel: "email", TeamID: 1, Category: "b", AssigneeID: 8},
			StatsCounts: desk.StatsCounts{Created: 3}},
		{StatsKey: desk.StatsKey{Hour: utc(3, 2, 9), Channel: "email", TeamID: 1, Category: "a", AssigneeID: 7},
			StatsCounts: desk.StatsCounts{Created: 5}},
	}
	day := Cube{ID: 99, Table: Periods, Grain: Day, Dims: Channel | Team}
	got := Project(rows, HourOf, day)
	if len(got) != 2 || got[0].Created != 5 || got[1].Created != 5 || !got[1].Period.Equal(utc(3, 2, 0)) {
		t.Fatalf("Project = %+v, want 5 on 1 March and 5 on 2 March", got)
	}
	if got[0].Category != "" || got[0].AssigneeID != 0 || got[0].Channel != "email" || got[0].Cube != 99 {
		t.Errorf("row key = %+v, want channel and team only", got[0].StatsKey)
	}
}

// TestPlanSumsExactly is the proof by example of Plan's telescoping: cubes
// projected from random hourly rows the way the drivers write them, read
// segment by segment (adding or subtracting), give the same answer as
// summing the hourly rows, for random whole-hour periods (open ones
// included) with every grouping and filter the reports use.
func TestPlanSumsExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2025, 1, 20, 0, 0, 0, 0, time.UTC)
	hours := int(time.Date(2025, 4, 10, 0, 0, 0, 0, time.UTC).Sub(start) / time.Hour)
	var facts []desk.ConversationFact
	for range 3000 {
		created := start.Add(time.Duration(rng.IntN(hours*60)) * time.Minute)
		f := desk.ConversationFact{Channel: []desk.ChannelKind{"email", "web_chat"}[rng.IntN(2)],
			TeamID: int64(rng.IntN(3)), Category: []string{"", "a", "b"}[rng.IntN(3)], AssigneeID: int64(rng.IntN(4)),
			CreatedAt: created, Status: desk.StatusOpen}
		if rng.IntN(2) == 0 {
			f.Status, f.ResolvedAt = desk.StatusResolved, created.Add(time.Duration(rng.IntN(1e6))*time.Second)
		}
		if rng.IntN(2) == 0 {
			f.FirstReplyAt = created.Add(time.Duration(rng.IntN(1e4)) * time.Second)
		}
		facts = append(facts, f)
	}
	base := desk.Rollup(facts)
	cubes := map[int][]Row{0: Project(base, HourOf, BaseCube())}
	for _, c := range append(HourCubes(), DayCubes()...) {
		cubes[c.ID] = Project(base, HourOf, c)
	}
	for _, c := range DayCubes() {
		days := make([]desk.StatsRow, len(cubes[c.ID]))
		for i, r := range cubes[c.ID] {
			days[i] = r.StatsRow
			days[i].Hour = r.Period
		}
		cubes[MonthOf(c).ID] = Project(days, HourOf, MonthOf(c))
	}

	groupings := [][]desk.StatsDim{nil, {desk.DimChannel, desk.DimTeam, desk.DimCategory}, {desk.DimAgent},
		{desk.DimTeam, desk.DimAgent}}
	filters := []desk.StatsFilter{{}, {Channel: "email"}, {TeamID: 1}, {Category: "a"}, {AssigneeID: 2},
		{Channel: "web_chat", Category: "b"}}
	bound := func() time.Time {
		if rng.IntN(10) == 0 {
			return time.Time{}
		}
		return start.Add(time.Duration(rng.IntN(hours)) * time.Hour)
	}
	subtracted := 0
	for i := range 300 {
		lo, hi := bound(), bound()
		if !lo.IsZero() && !hi.IsZero() && hi.Before(lo) {
			lo, hi = hi, lo
		}
		f := filters[i%len(filters)]
		f.From, f.To = lo, hi
		by := groupings[i%len(groupings)]
		plan, err := Plan(f, by)
		if err != nil {
			t.Fatalf("Plan: %v", err)
		}
		got := map[desk.StatsKey]desk.StatsCounts{}
		for _, seg := range plan {
			subtracted += map[bool]int{true: 1}[seg.Sub]
			for _, r := range cubes[seg.Cube.ID] {
				if !matches(f, seg, r) {
					continue
				}
				k := keyOf(r.StatsKey, by)
				sum := got[k]
				if seg.Sub {
					sum.Sub(&r.StatsCounts)
				} else {
					sum.Add(&r.StatsCounts)
				}
				got[k] = sum
			}
		}
		want := map[desk.StatsKey]desk.StatsCounts{}
		for _, r := range base {
			if matches(f, Segment{Cube: BaseCube(), From: lo, To: hi}, Row{Period: r.Hour, StatsRow: r}) {
				k := keyOf(r.StatsKey, by)
				sum := want[k]
				sum.Add(&r.StatsCounts)
				want[k] = sum
			}
		}
		for k, c := range got {
			if c == (desk.StatsCounts{}) {
				delete(got, k) // a group all of whose rows were taken away again
			}
		}
		if len(got) != len(want) {
			t.Errorf("[%v, %v) %+v by %v (plan %s): %d groups, want %d", lo, hi, f, by, planString(plan), len(got), len(want))
			continue
		}
		for k, w := range want {
			if g := got[k]; g != w {
				t.Errorf("[%v, %v) %+v by %v (plan %s) group %+v:\n got %+v\nwant %+v", lo, hi, f, by, planString(plan), k, g, w)
			}
		}
	}
	if subtracted == 0 {
		t.Errorf("no plan subtracted: the test proves nothing about Sub")
	}
}

func matches(f desk.StatsFilter, seg Segment, r Row) bool {
	id := func(want, got int64) bool { return want == 0 || max(want, 0) == got }
	return (seg.From.IsZero() || !r.Period.Before(seg.From)) && (seg.To.IsZero() || r.Period.Before(seg.To)) &&
		(f.Channel == "" || f.Channel == r.Channel) && id(f.TeamID, r.TeamID) &&
		(f.Category == "" || f.Category == r.Category) && id(f.AssigneeID, r.AssigneeID)
}

func keyOf(k desk.StatsKey, by []desk.StatsDim) desk.StatsKey {
	var out desk.StatsKey
	for _, d := range by {
		switch d {
		case desk.DimChannel:
			out.Channel = k.Channel
		case desk.DimTeam:
			out.TeamID = k.TeamID
		case desk.DimCategory:
			out.Category = k.Category
		case desk.DimAgent:
			out.AssigneeID = k.AssigneeID
		}
	}
	return out
}
