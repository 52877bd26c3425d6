package storetest

import (
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

var statsErasedTests = []test{
	{"an erased customer's conversations still count, anonymously", func(t *testing.T, s desk.Store) {
		a := analyticsOf(t, s)
		_, _, convs := statsFixture(t, s)
		_, err := a.RebuildStats(ctx(t), time.Time{})
		must(t, err, "RebuildStats")
		before, err := a.StatsRows(ctx(t), desk.StatsFilter{})
		must(t, err, "StatsRows before")

		// Erase the customer of the first conversation, then rebuild
		// everything: their conversations are gone, their counts are not.
		if _, err := s.EraseContact(ctx(t), convs[0].ContactID); err != nil {
			t.Fatalf("EraseContact: %v", err)
		}
		_, err = a.RebuildStats(ctx(t), time.Time{})
		must(t, err, "RebuildStats after erasing")
		after, err := a.StatsRows(ctx(t), desk.StatsFilter{})
		must(t, err, "StatsRows after")
		if len(before) != 1 || len(after) != 1 {
			t.Fatalf("rows before %d, after %d; want 1 each", len(before), len(after))
		}
		b, c := before[0].StatsCounts, after[0].StatsCounts
		if b.Created != c.Created || b.Resolved != c.Resolved || b.FirstReplied != c.FirstReplied ||
			b.FirstResponse.Count() != c.FirstResponse.Count() {
			t.Errorf("after erasing and a full rebuild: %+v, want the same counts as before %+v", c, b)
		}
	}},
}
