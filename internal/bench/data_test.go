package bench

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestDatasetDeterministic(t *testing.T) {
	a, b := newDataset(7, 500), newDataset(7, 500)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two data sets from seed 7 differ")
	}
	c := newDataset(8, 500)
	if reflect.DeepEqual(a.Convs, c.Convs) {
		t.Error("seeds 7 and 8 gave the same conversations")
	}
	if a.Probes == c.Probes {
		t.Errorf("seeds 7 and 8 share probe words %+v", a.Probes)
	}
}

func countWord(d *Dataset, word string) (messages, convs int) {
	for _, c := range d.Convs {
		found := false
		for _, b := range c.Bodies {
			for _, w := range strings.Fields(b) {
				if w == word {
					messages++
					found = true
				}
			}
		}
		if found {
			convs++
		}
	}
	return messages, convs
}

func TestDatasetProbeFrequencies(t *testing.T) {
	all := func(int, int) bool { return true }
	tests := []struct {
		name                 string
		n                    int
		wantCommon, wantRare int // messages
	}{
		// 50,000 messages: 1 % and 0.01 %.
		{"benchmark size", 10000, 500, 5},
		// 500 messages: 5, and the rare probe is still placed once.
		{"small", 100, 5, 1},
		{"tiny", 1, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDataset(3, tt.n)
			for _, p := range []struct {
				word string
				want int
			}{{d.Probes.Common, tt.wantCommon}, {d.Probes.Rare, tt.wantRare}, {d.Probes.Absent, 0}} {
				msgs, convs := countWord(d, p.word)
				if msgs != p.want {
					t.Errorf("%s in %d messages, want %d", p.word, msgs, p.want)
				}
				if got := d.ExpectedConversations(p.word, all); got != convs {
					t.Errorf("ExpectedConversations(%s) = %d, want %d (counted)", p.word, got, convs)
				}
			}
		})
	}
}

func TestExpectedConversationsHonoursPosted(t *testing.T) {
	d := newDataset(5, 1000)
	all := d.ExpectedConversations(d.Probes.Common, func(int, int) bool { return true })
	none := d.ExpectedConversations(d.Probes.Common, func(int, int) bool { return false })
	firstOnly := d.ExpectedConversations(d.Probes.Common, func(_, step int) bool { return step == 0 })
	if none != 0 || all == 0 || firstOnly > all {
		t.Errorf("expected conversations: all %d, none %d, first steps only %d", all, none, firstOnly)
	}
}

func TestVocabularyHasNoProbePrefix(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z]+$`)
	for _, w := range vocabulary {
		if strings.Contains(w, "qx") || !valid.MatchString(w) {
			t.Errorf("vocabulary word %q: must be lowercase letters without %q", w, "qx")
		}
	}
	if len(vocabulary) < 300 {
		t.Errorf("vocabulary has %d words, want a few hundred", len(vocabulary))
	}
}

func TestDatasetShape(t *testing.T) {
	const n = 5000
	d := newDataset(11, n)
	orders := map[string]bool{}
	emails := map[string]bool{}
	returning := 0
	orderRe := regexp.MustCompile(`^[1-9][0-9]{8}$`)
	phoneRe := regexp.MustCompile(`^\+316[0-9]{8}$`)
	for i, c := range d.Convs {
		if !orderRe.MatchString(c.Order) {
			t.Fatalf("conversation %d: order number %q is not 9 digits", i, c.Order)
		}
		if orders[c.Order] {
			t.Fatalf("conversation %d: order number %s repeats", i, c.Order)
		}
		orders[c.Order] = true
		if !strings.Contains(" "+c.Bodies[0]+" ", " "+c.Order+" ") {
			t.Errorf("conversation %d: first message %q lacks order %s", i, c.Bodies[0], c.Order)
		}
		for s := 1; s < stepsPerConversation; s++ {
			if strings.Contains(c.Bodies[s], c.Order) {
				t.Errorf("conversation %d step %d repeats the order number", i, s)
			}
		}
		for s, b := range c.Bodies {
			if k := len(strings.Fields(b)); k < 8 || k > 40 {
				t.Errorf("conversation %d step %d has %d words, want 8-40", i, s, k)
			}
		}
		if !phoneRe.MatchString(c.Contact.Phone) || !strings.HasSuffix(c.Contact.Email, "@example.com") || c.Contact.Name == "" {
			t.Errorf("conversation %d: contact %+v malformed", i, c.Contact)
		}
		if c.Returning {
			returning++
			if !emails[c.Contact.Email] {
				t.Errorf("conversation %d: returning contact %s was not seen before", i, c.Contact.Email)
			}
		} else if emails[c.Contact.Email] {
			t.Errorf("conversation %d: new contact reuses email %s", i, c.Contact.Email)
		}
		emails[c.Contact.Email] = true
	}
	// 10 % of conversations after the first minReturning; allow sampling noise.
	if frac := float64(returning) / n; frac < 0.08 || frac > 0.12 {
		t.Errorf("returning contacts = %.3f of conversations, want about 0.10", frac)
	}
}

func TestBackgroundGeneratorAvoidsDatasetNumbers(t *testing.T) {
	d := newDataset(2, 300)
	orders := map[string]bool{}
	for _, c := range d.Convs {
		orders[c.Order] = true
	}
	g := backgroundGenerator(2, len(d.Convs))
	for range 300 {
		c, _, _ := g.next()
		if orders[c.Order] {
			t.Fatalf("background order %s collides with the data set", c.Order)
		}
		for _, b := range c.Bodies {
			if strings.Contains(b, "qx") {
				t.Fatalf("background message %q contains a probe prefix", b)
			}
		}
	}
}
