package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// The drivers answer StatsRows from coarser tables than the hourly one
// (day and month cubes, hourly cubes of few dimensions; store/rollup).
// These tests prove that whatever table a query lands on, it agrees with
// counting the conversations themselves: every filter and grouping the
// reports use, over periods that cut through days, months and a DST change
// in the company's zone.

// cubesFixture creates n conversations spread over ten weeks around two
// month ends, on three channels, two teams, three agents and three
// categories, and returns their facts as the store exports them.
func cubesFixture(t *testing.T, s desk.Store, n int) []desk.ConversationFact {
	t.Helper()
	inboxes := []*desk.Inbox{newInbox(t, s, "chat", desk.ChannelWebChat), newInbox(t, s, "mail", desk.ChannelEmail),
		newInbox(t, s, "wa", desk.ChannelWhatsApp)}
	c := newContact(t, s, "Jan", "jan@example.nl", "")
	teams := []int64{0, newTeam(t, s, "Support").ID, newTeam(t, s, "Sales").ID}
	agents := []int64{0, newAgent(t, s, "Anna", "anna@example.com").ID, newAgent(t, s, "Bram", "bram@example.com").ID,
		newAgent(t, s, "Chris", "chris@example.com").ID}
	cats := []string{"billing", "returns", "delivery"}
	rng := rand.New(rand.NewPCG(7, 7))
	start := time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC)
	span := int(time.Date(2025, 4, 20, 0, 0, 0, 0, time.UTC).Sub(start) / time.Minute)
	for range n {
		in := inboxes[rng.IntN(len(inboxes))]
		created := start.Add(time.Duration(rng.IntN(span)) * time.Minute)
		cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Status: desk.StatusOpen,
			CreatedAt: created, UpdatedAt: created, Category: cats[rng.IntN(len(cats))],
			TeamID: teams[rng.IntN(len(teams))], AssigneeID: agents[rng.IntN(len(agents))]}
		if rng.IntN(3) > 0 {
			cv.FirstReplyAt = created.Add(time.Duration(1+rng.IntN(7200)) * time.Second)
		}
		if rng.IntN(4) > 0 {
			cv.Status, cv.ResolvedAt = desk.StatusResolved, created.Add(time.Duration(60+rng.IntN(500_000))*time.Second)
			cv.Reopens = rng.IntN(5) / 4
		}
		if rng.IntN(3) == 0 {
			cv.HandedOverAt = created.Add(time.Minute)
		}
		if rng.IntN(2) == 0 {
			cv.SLAPolicyID = 7
			if rng.IntN(4) == 0 {
				cv.SLAState = desk.SLABreached
			}
		}
		must(t, s.CreateConversation(ctx(t), cv), "CreateConversation")
	}
	var facts []desk.ConversationFact
	must(t, analyticsOf(t, s).ExportConversations(ctx(t), desk.StatsFilter{}, func(f desk.ConversationFact) error {
		facts = append(facts, f)
		return nil
	}), "ExportConversations")
	if len(facts) != n {
		t.Fatalf("exported %d facts, want %d", len(facts), n)
	}
	return facts
}

// expectStats counts facts the way StatsRows should: filtered, grouped and
// ordered by the dimensions.
func expectStats(facts []desk.ConversationFact, f desk.StatsFilter, by []desk.StatsDim) []desk.StatsRow {
	match := func(fc *desk.ConversationFact) bool {
		id := func(want, got int64) bool { return want == 0 || max(want, 0) == got }
		return (f.From.IsZero() || !fc.CreatedAt.Before(f.From)) && (f.To.IsZero() || fc.CreatedAt.Before(f.To)) &&
			(f.Channel == "" || f.Channel == fc.Channel) && id(f.TeamID, fc.TeamID) &&
			(f.Category == "" || f.Category == fc.Category) && id(f.AssigneeID, fc.AssigneeID)
	}
	idx := map[desk.StatsKey]int{}
	var out []desk.StatsRow
	for i := range facts {
		fc := &facts[i]
		if !match(fc) {
			continue
		}
		full := desk.KeyOf(fc)
		var k desk.StatsKey
		for _, d := range by {
			switch d {
			case desk.DimHour:
				k.Hour = full.Hour
			case desk.DimChannel:
				k.Channel = full.Channel
			case desk.DimTeam:
				k.TeamID = full.TeamID
			case desk.DimCategory:
				k.Category = full.Category
			case desk.DimAgent:
				k.AssigneeID = full.AssigneeID
			}
		}
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, desk.StatsRow{StatsKey: k})
		}
		out[j].AddFact(fc)
	}
	slices.SortFunc(out, func(a, b desk.StatsRow) int {
		for _, d := range by {
			var c int
			switch d {
			case desk.DimHour:
				c = a.Hour.Compare(b.Hour)
			case desk.DimChannel:
				c = cmpOf(a.Channel, b.Channel)
			case desk.DimTeam:
				c = cmpOf(a.TeamID, b.TeamID)
			case desk.DimCategory:
				c = cmpOf(a.Category, b.Category)
			case desk.DimAgent:
				c = cmpOf(a.AssigneeID, b.AssigneeID)
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

func cmpOf[T int64 | string | desk.ChannelKind](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var cubeTests = []test{
	{"every table agrees with the conversations", func(t *testing.T, s desk.Store) {
		a := analyticsOf(t, s)
		facts := cubesFixture(t, s, 400)
		_, err := a.RebuildStats(ctx(t), time.Time{})
		must(t, err, "RebuildStats")
		ams, err := time.LoadLocation("Europe/Amsterdam")
		must(t, err, "LoadLocation")
		local := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, ams) }
		team, agent := facts[0].TeamID, facts[0].AssigneeID
		periods := []struct {
			name     string
			from, to time.Time
		}{
			{"all time", time.Time{}, time.Time{}},
			{"local days across months and DST", local(2025, 2, 17), local(2025, 4, 3)},
			{"whole UTC months", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)},
			{"open start", time.Time{}, local(2025, 3, 20)},
			{"open end", local(2025, 3, 2), time.Time{}},
			{"three local days", local(2025, 3, 28), local(2025, 3, 31)},
			{"a few hours", time.Date(2025, 3, 5, 7, 0, 0, 0, time.UTC), time.Date(2025, 3, 5, 19, 0, 0, 0, time.UTC)},
			// Periods the plan reads as months minus days and days minus
			// hours (store/rollup.Plan), at either end.
			{"local days from and to mid-month", local(2025, 2, 12), local(2025, 3, 25)},
			{"whole UTC days to late in a month", time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC),
				time.Date(2025, 3, 27, 0, 0, 0, 0, time.UTC)},
			{"a local month: to its end", local(2025, 3, 1), local(2025, 4, 1)},
			{"local days to a month end", local(2025, 2, 26), local(2025, 3, 1)},
			{"the DST day", local(2025, 3, 30), local(2025, 3, 31)},
			{"to the DST day", local(2025, 3, 4), local(2025, 3, 30)},
			{"from the DST day", local(2025, 3, 30), local(2025, 4, 17)},
			{"in the last month, which has rows after the period", local(2025, 4, 2), local(2025, 4, 15)},
			{"past the last conversation", local(2025, 4, 9), local(2025, 4, 26)},
		}
		filters := []struct {
			name string
			f    desk.StatsFilter
		}{
			{"no filter", desk.StatsFilter{}},
			{"channel", desk.StatsFilter{Channel: desk.ChannelEmail}},
			{"team", desk.StatsFilter{TeamID: team}},
			{"no team", desk.StatsFilter{TeamID: -1}},
			{"category", desk.StatsFilter{Category: "returns"}},
			{"channel and team", desk.StatsFilter{Channel: desk.ChannelWebChat, TeamID: team}},
			{"channel and category", desk.StatsFilter{Channel: desk.ChannelWhatsApp, Category: "billing"}},
			{"assignee", desk.StatsFilter{AssigneeID: agent}},
			{"nobody", desk.StatsFilter{AssigneeID: -1}},
		}
		groupings := [][]desk.StatsDim{
			nil,
			{desk.DimChannel, desk.DimTeam, desk.DimCategory},
			{desk.DimAgent},
			{desk.DimHour},
			{desk.DimTeam, desk.DimAgent},
			{desk.DimChannel, desk.DimTeam, desk.DimCategory, desk.DimAgent},
		}
		for _, p := range periods {
			for _, fl := range filters {
				for _, by := range groupings {
					f := fl.f
					f.From, f.To = p.from, p.to
					t.Run(fmt.Sprintf("%s/%s/%v", p.name, fl.name, by), func(t *testing.T) {
						got, err := a.StatsRows(ctx(t), f, by...)
						must(t, err, "StatsRows")
						want := expectStats(facts, f, by)
						if len(got) != len(want) {
							t.Fatalf("got %d rows, want %d", len(got), len(want))
						}
						for i := range got {
							if !got[i].Hour.Equal(want[i].Hour) {
								t.Errorf("row %d hour = %v, want %v", i, got[i].Hour, want[i].Hour)
							}
							got[i].Hour, want[i].Hour = time.Time{}, time.Time{}
							if got[i] != want[i] {
								t.Errorf("row %d = %+v\nwant %+v", i, got[i], want[i])
							}
						}
						// Counts only: the same rows and counters, the
						// histograms left empty.
						co := f
						co.CountsOnly = true
						got, err = a.StatsRows(ctx(t), co, by...)
						must(t, err, "StatsRows counts only")
						if len(got) != len(want) {
							t.Fatalf("counts only: got %d rows, want %d", len(got), len(want))
						}
						for i := range got {
							got[i].Hour = time.Time{}
							w := want[i]
							w.FirstResponse, w.Resolution = desk.Histogram{}, desk.Histogram{}
							if got[i] != w {
								t.Errorf("counts only: row %d = %+v\nwant %+v", i, got[i], w)
							}
						}
					})
				}
			}
		}
	}},
	{"a month's row minus its later days, while the month grows", func(t *testing.T, s desk.Store) {
		a := analyticsOf(t, s)
		facts := cubesFixture(t, s, 80)
		_, err := a.RebuildStats(ctx(t), time.Time{})
		must(t, err, "RebuildStats")
		// Ending on 25 April (UTC), the period reads April's row minus its
		// last days. Later in April come conversations of a new category;
		// until the rebuild counts them the cubes do not know them, and
		// after it they are in April's row and in the days taken away:
		// either way the period neither counts them nor shows their
		// category with zeros.
		period := desk.StatsFilter{From: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
			To: time.Date(2025, 4, 25, 0, 0, 0, 0, time.UTC)}
		in := newInbox(t, s, "late", desk.ChannelEmail)
		c := newContact(t, s, "Kim", "kim@example.nl", "")
		var later []desk.ConversationFact
		for i := range 3 {
			created := time.Date(2025, 4, 27, 9+i, 0, 0, 0, time.UTC)
			cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Status: desk.StatusResolved,
				CreatedAt: created, UpdatedAt: created, ResolvedAt: created.Add(time.Hour), Category: "complaint"}
			must(t, s.CreateConversation(ctx(t), cv), "CreateConversation")
			later = append(later, desk.ConversationFact{ID: cv.ID, Channel: cv.Channel, Category: cv.Category,
				Status: cv.Status, CreatedAt: created, ResolvedAt: cv.ResolvedAt})
		}
		check := func(step string, counted []desk.ConversationFact) {
			t.Helper()
			for _, f := range []desk.StatsFilter{period, {From: period.From}} {
				for _, by := range [][]desk.StatsDim{nil, {desk.DimCategory}, {desk.DimChannel, desk.DimTeam, desk.DimCategory},
					{desk.DimAgent}} {
					got, err := a.StatsRows(ctx(t), f, by...)
					must(t, err, "StatsRows")
					want := expectStats(counted, f, by)
					if !slices.EqualFunc(got, want, func(a, b desk.StatsRow) bool { return a == b }) {
						t.Errorf("%s, to %v by %v:\n got %+v\nwant %+v", step, f.To, by, got, want)
					}
				}
			}
		}
		check("not rebuilt yet", facts)
		_, err = a.RebuildStats(ctx(t), time.Date(2025, 4, 27, 0, 0, 0, 0, time.UTC))
		must(t, err, "RebuildStats since")
		check("rebuilt", append(slices.Clone(facts), later...))
	}},
	{"cubes follow changes and deletions", func(t *testing.T, s desk.Store) {
		a := analyticsOf(t, s)
		facts := cubesFixture(t, s, 60)
		_, err := a.RebuildStats(ctx(t), time.Time{})
		must(t, err, "RebuildStats")
		// Move one conversation to another
		// category, later on; rebuild since then, twice.
		cv, err := s.ConversationByID(ctx(t), facts[3].ID)
		must(t, err, "ConversationByID")
		cv.Category, cv.UpdatedAt = "complaint", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
		facts[3].Category = "complaint"
		for run := range 2 {
			hours, err := a.RebuildStats(ctx(t), time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC))
			must(t, err, "RebuildStats since")
			if hours != 1 {
				t.Errorf("run %d: hours = %d, want 1", run, hours)
			}
			for _, by := range [][]desk.StatsDim{{desk.DimCategory}, {desk.DimTeam, desk.DimAgent}} {
				got, err := a.StatsRows(ctx(t), desk.StatsFilter{}, by...)
				must(t, err, "StatsRows")
				want := expectStats(facts, desk.StatsFilter{}, by)
				if !slices.EqualFunc(got, want, func(a, b desk.StatsRow) bool { return a == b }) {
					t.Errorf("run %d by %v:\n got %+v\nwant %+v", run, by, got, want)
				}
			}
		}
	}},
}
