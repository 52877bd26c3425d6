package storetest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Analytics rollups (desk.AnalyticsStore, desk/analytics.go): RebuildStats
// recomputes whole UTC hours of creation and returns how many; running it
// again changes nothing; since zero rebuilds every hour (dropping rows of
// hours without conversations). StatsRows sums rows by the dimensions
// given, ordered by them; none match: no row; an unknown dimension is
// ErrInvalid. TeamID/AssigneeID -1 select "none". ExportConversations
// streams facts by CreatedAt then ID, and returns fn's error as is.

func analyticsOf(t *testing.T, s desk.Store) desk.AnalyticsStore {
	t.Helper()
	a, ok := any(s).(desk.AnalyticsStore)
	if !ok {
		t.Fatalf("%T does not implement desk.AnalyticsStore", s)
	}
	return a
}

// statsFixture creates five conversations: three in base's hour (09:00),
// two in the next (10:00).
func statsFixture(t *testing.T, s desk.Store) (team *desk.Team, agent *desk.Agent, convs []*desk.Conversation) {
	t.Helper()
	chat := newInbox(t, s, "chat", desk.ChannelWebChat)
	mail := newInbox(t, s, "mail", desk.ChannelEmail)
	c := newContact(t, s, "Jan", "jan@example.nl", "")
	team = newTeam(t, s, "Support")
	agent = newAgent(t, s, "Anna", "anna@example.com")
	mk := func(in *desk.Inbox, created int, edit func(cv *desk.Conversation)) *desk.Conversation {
		cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Status: desk.StatusOpen,
			CreatedAt: at(created), UpdatedAt: at(created), Category: "billing"}
		if edit != nil {
			edit(cv)
		}
		must(t, s.CreateConversation(ctx(t), cv), "CreateConversation")
		return cv
	}
	convs = []*desk.Conversation{
		// Answered after 60 s, resolved after 10 min, first contact.
		mk(chat, 0, func(cv *desk.Conversation) {
			cv.TeamID, cv.AssigneeID = team.ID, agent.ID
			cv.FirstReplyAt, cv.ResolvedAt, cv.Status = cv.CreatedAt.Add(time.Minute), at(10), desk.StatusResolved
			cv.SLAPolicyID = 7
		}),
		// The bot settled it: resolved, no reply, no hand-over.
		mk(chat, 1, func(cv *desk.Conversation) {
			cv.ResolvedAt, cv.Status = at(3), desk.StatusResolved
		}),
		// Handed over, answered after 600 s, breached, still open.
		mk(chat, 2, func(cv *desk.Conversation) {
			cv.TeamID = team.ID
			cv.HandedOverAt, cv.FirstReplyAt = at(3), at(12)
			cv.SLAPolicyID, cv.SLAState = 7, desk.SLABreached
		}),
		// Next hour, email: reopened once then resolved.
		mk(mail, 40, func(cv *desk.Conversation) {
			cv.Category = "returns"
			cv.FirstReplyAt, cv.ResolvedAt, cv.Status, cv.Reopens = at(100), at(200), desk.StatusResolved, 1
		}),
		mk(mail, 45, nil),
	}
	return team, agent, convs
}

var statsTests = []test{
	{"rollup counts every metric", func(t *testing.T, s desk.Store) {
		a := analyticsOf(t, s)
		team, agent, _ := statsFixture(t, s)
		hours, err := a.RebuildStats(ctx(t), time.Time{})
		must(t, err, "RebuildStats")
		if hours != 2 {
			t.Errorf("RebuildStats hours = %d, want 2", hours)
		}
		got, err := a.StatsRows(ctx(t), desk.StatsFilter{})
		must(t, err, "StatsRows totals")
		if len(got) != 1 {
			t.Fatalf("StatsRows totals = %d rows, want 1", len(got))
		}
		want := desk.StatsCounts{Created: 5, Resolved: 3, FirstReplied: 3, FCR: 2, BotResolved: 1, HandedOver: 1,
			SLABreached: 1, SLAMet: 1}
		tot := got[0].StatsCounts
		tot.FirstResponse, tot.Resolution = desk.Histogram{}, desk.Histogram{}
		if tot != want {
			t.Errorf("totals = %+v, want %+v", tot, want)
		}
		if n := got[0].FirstResponse.Count(); n != 3 {
			t.Errorf("first response histogram holds %d, want 3", n)
		}
		if n := got[0].Resolution.Count(); n != 3 {
			t.Errorf("resolution histogram holds %d, want 3", n)
		}
		if med, _ := got[0].FirstResponse.Quantile(0.5); med < 540*time.Second || med > 660*time.Second {
			t.Errorf("median first response = %v, want about 10m", med)
		}

		tests := []struct {
			name string
			f    desk.StatsFilter
			by   []desk.StatsDim
			want []desk.StatsKey
			n    []int64 // Created per row
		}{
			{"by hour", desk.StatsFilter{}, []desk.StatsDim{desk.DimHour},
				[]desk.StatsKey{{Hour: base.Truncate(time.Hour)}, {Hour: base.Truncate(time.Hour).Add(time.Hour)}},
				[]int64{3, 2}},
			{"by channel", desk.StatsFilter{}, []desk.StatsDim{desk.DimChannel},
				[]desk.StatsKey{{Channel: desk.ChannelEmail}, {Channel: desk.ChannelWebChat}}, []int64{2, 3}},
			{"by team and agent", desk.StatsFilter{}, []desk.StatsDim{desk.DimTeam, desk.DimAgent},
				[]desk.StatsKey{{}, {TeamID: team.ID}, {TeamID: team.ID, AssigneeID: agent.ID}}, []int64{3, 1, 1}},
			{"category filter", desk.StatsFilter{Category: "returns"}, []desk.StatsDim{desk.DimCategory},
				[]desk.StatsKey{{Category: "returns"}}, []int64{1}},
			{"no team", desk.StatsFilter{TeamID: -1}, nil, []desk.StatsKey{{}}, []int64{3}},
			{"team and channel", desk.StatsFilter{TeamID: team.ID, Channel: desk.ChannelWebChat}, nil,
				[]desk.StatsKey{{}}, []int64{2}},
			{"agent", desk.StatsFilter{AssigneeID: agent.ID}, nil, []desk.StatsKey{{}}, []int64{1}},
			{"period is whole hours", desk.StatsFilter{From: base.Truncate(time.Hour).Add(time.Hour)}, nil,
				[]desk.StatsKey{{}}, []int64{2}},
			{"period until", desk.StatsFilter{To: base.Truncate(time.Hour).Add(time.Hour)}, nil,
				[]desk.StatsKey{{}}, []int64{3}},
			{"nothing matches", desk.StatsFilter{Channel: desk.ChannelTelegram}, nil, nil, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				rows, err := a.StatsRows(ctx(t), tc.f, tc.by...)
				must(t, err, "StatsRows")
				if len(rows) != len(tc.want) {
					t.Fatalf("got %d rows %+v, want %d", len(rows), rows, len(tc.want))
				}
				for i, r := range rows {
					if !r.Hour.Equal(tc.want[i].Hour) || r.Channel != tc.want[i].Channel || r.TeamID != tc.want[i].TeamID ||
						r.Category != tc.want[i].Category || r.AssigneeID != tc.want[i].AssigneeID {
						t.Errorf("row %d key = %+v, want %+v", i, r.StatsKey, tc.want[i])
					}
					if r.Created != tc.n[i] {
						t.Errorf("row %d Created = %d, want %d", i, r.Created, tc.n[i])
					}
				}
			})
		}
		if _, err := a.StatsRows(ctx(t), desk.StatsFilter{}, "weather"); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("unknown dimension: err = %v, want ErrInvalid", err)
		}
	}},
	{"rebuild since recomputes changed hours only and is idempotent", func(t *testing.T, s desk.Store) {
		a := analyticsOf(t, s)
		_, _, convs := statsFixture(t, s)
		_, err := a.RebuildStats(ctx(t), time.Time{})
		must(t, err, "RebuildStats")
		// Resolve the open mail conversation later on.
		cv := convs[4]
		cv.Status, cv.ResolvedAt, cv.UpdatedAt = desk.StatusResolved, at(300), at(300)
		must(t, s.UpdateConversation(ctx(t), cv), "UpdateConversation")
		for i := range 2 {
			hours, err := a.RebuildStats(ctx(t), at(299))
			must(t, err, "RebuildStats since")
			if hours != 1 {
				t.Errorf("run %d: RebuildStats since hours = %d, want 1", i, hours)
			}
			rows, err := a.StatsRows(ctx(t), desk.StatsFilter{})
			must(t, err, "StatsRows")
			if len(rows) != 1 || rows[0].Created != 5 || rows[0].Resolved != 4 {
				t.Errorf("run %d: totals = %+v, want 5 created, 4 resolved", i, rows)
			}
		}
		if hours, err := a.RebuildStats(ctx(t), at(10_000)); err != nil || hours != 0 {
			t.Errorf("RebuildStats with nothing changed = %d, %v; want 0, nil", hours, err)
		}
	}},
	{"export streams facts in order", func(t *testing.T, s desk.Store) {
		a := analyticsOf(t, s)
		team, _, convs := statsFixture(t, s)
		var got []desk.ConversationFact
		err := a.ExportConversations(ctx(t), desk.StatsFilter{TeamID: team.ID}, func(f desk.ConversationFact) error {
			got = append(got, f)
			return nil
		})
		must(t, err, "ExportConversations")
		if len(got) != 2 || got[0].ID != convs[0].ID || got[1].ID != convs[2].ID {
			t.Fatalf("export = %+v, want conversations %d and %d", got, convs[0].ID, convs[2].ID)
		}
		f := got[1]
		if f.Channel != desk.ChannelWebChat || f.TeamID != team.ID || f.Category != "billing" || f.SLAState != desk.SLABreached ||
			f.SLAPolicyID != 7 || f.Status != desk.StatusOpen {
			t.Errorf("fact = %+v", f)
		}
		checkTime(t, "CreatedAt", f.CreatedAt, at(2))
		checkTime(t, "HandedOverAt", f.HandedOverAt, at(3))
		checkTime(t, "FirstReplyAt", f.FirstReplyAt, at(12))
		checkTime(t, "ResolvedAt", f.ResolvedAt, time.Time{})

		stop := errors.New("stop")
		n := 0
		err = a.ExportConversations(ctx(t), desk.StatsFilter{}, func(desk.ConversationFact) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("export with failing fn = %v after %d calls, want stop after 1", err, n)
		}
		n = 0
		err = a.ExportConversations(ctx(t), desk.StatsFilter{From: at(30), Channel: desk.ChannelEmail, AssigneeID: -1},
			func(desk.ConversationFact) error { n++; return nil })
		if err != nil || n != 2 {
			t.Errorf("export filtered = %d, %v; want 2", n, err)
		}
	}},
}

// SyntheticStatsRows rolls up conversations conversations spread over the
// year before end (UTC hours) the way a busy desk has them: office hours
// and weekdays busier, 5 channels, 6 teams of 10 agents (a fifth
// unassigned), 12 categories, log-normal response and resolution times.
// The benchmarks load these rows straight into conversation_stats: what a
// year of that many conversations leaves there, without creating them.
func SyntheticStatsRows(conversations int, end time.Time, seed uint64) []desk.StatsRow {
	rng := rand.New(rand.NewPCG(seed, 1))
	end = end.UTC().Truncate(time.Hour)
	start := end.AddDate(-1, 0, 0)
	hours := int(end.Sub(start) / time.Hour)
	// Hourly weights: office hours and weekdays are busier.
	weight := make([]float64, hours)
	var total float64
	for i := range weight {
		t := start.Add(time.Duration(i) * time.Hour)
		w := 0.15
		if h := t.Hour(); h >= 7 && h < 19 {
			w = 1.5
		}
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			w *= 0.4
		}
		weight[i] = w
		total += w
	}
	channels := []desk.ChannelKind{desk.ChannelWebChat, desk.ChannelWebChat, desk.ChannelEmail, desk.ChannelWhatsApp,
		desk.ChannelMessenger, desk.ChannelTelegram}
	var out []desk.StatsRow
	for i, w := range weight {
		n := int(float64(conversations) * w / total)
		facts := make([]desk.ConversationFact, n)
		hour := start.Add(time.Duration(i) * time.Hour)
		for j := range facts {
			team := int64(1 + rng.IntN(6))
			f := desk.ConversationFact{Channel: channels[rng.IntN(len(channels))], TeamID: team,
				Category: fmt.Sprintf("cat%02d", rng.IntN(12)), CreatedAt: hour.Add(time.Duration(rng.IntN(3600)) * time.Second),
				Status: desk.StatusResolved}
			if rng.IntN(5) > 0 {
				f.AssigneeID = team*100 + int64(rng.IntN(10))
				f.FirstReplyAt = f.CreatedAt.Add(time.Duration(math.Exp(4+1.5*rng.NormFloat64()) * float64(time.Second)))
			}
			f.ResolvedAt = f.CreatedAt.Add(time.Duration(math.Exp(7+1.5*rng.NormFloat64()) * float64(time.Second)))
			f.Reopens = rng.IntN(10) / 9
			facts[j] = f
		}
		out = append(out, desk.Rollup(facts)...)
	}
	return out
}
