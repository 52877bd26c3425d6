package rollup

import (
	"errors"
	"fmt"
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
		{"Amsterdam days across months", desk.StatsFilter{From: utc(1, 14, 23), To: utc(3, 4, 23)}, overview,
			"0[01-14T23,01-15T00) 12[01-15T00,02-01T00) 22[02-01T00,03-01T00) 12[03-01T00,03-04T00) 0[03-04T00,03-04T23)", false},
		{"within a month", desk.StatsFilter{From: utc(3, 4, 23), To: utc(3, 11, 23)}, []desk.StatsDim{desk.DimAgent},
			"0[03-04T23,03-05T00) 11[03-05T00,03-11T00) 0[03-11T00,03-11T23)", false},
		{"open ends", desk.StatsFilter{}, overview, "22[-,-)", false},
		{"open start", desk.StatsFilter{To: utc(3, 4, 23)}, overview,
			"22[-,03-01T00) 12[03-01T00,03-04T00) 0[03-04T00,03-04T23)", false},
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
		return t.UTC().Format("01-02T15")
	}
	for i, seg := range plan {
		if i > 0 {
			s += " "
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
