package topics

import (
	"bufio"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// loadFixture reads testdata/messages.tsv (label<TAB>text, # comments) as
// docs numbered from 1, with their labels by ID.
func loadFixture(t testing.TB) ([]Doc, map[int64]string) {
	t.Helper()
	f, err := os.Open("testdata/messages.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var docs []Doc
	labels := make(map[int64]string)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		label, text, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("fixture line %q has no tab", line)
		}
		id := int64(len(docs) + 1)
		docs = append(docs, Doc{ID: id, Text: text})
		labels[id] = label
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return docs, labels
}

// topicOf maps doc IDs to the index of the topic listing them.
func topicOf(topics []Topic) map[int64]int {
	m := make(map[int64]int)
	for k, t := range topics {
		for _, id := range t.DocIDs {
			m[id] = k
		}
	}
	return m
}

func TestClusterFixture(t *testing.T) {
	docs, labels := loadFixture(t)
	topics := Cluster(docs, Options{})
	of := topicOf(topics)
	byLabel := make(map[string][]int64)
	for _, d := range docs {
		byLabel[labels[d.ID]] = append(byLabel[labels[d.ID]], d.ID)
	}
	for label, ids := range byLabel {
		t.Run(label, func(t *testing.T) {
			k := of[ids[0]]
			tp := topics[k]
			if tp.ID == OtherID {
				t.Fatalf("text %d (%s) went to other", ids[0], label)
			}
			for _, id := range ids {
				if of[id] != k {
					t.Errorf("text %d in topic %q, want %q with text %d", id, topics[of[id]].Label, tp.Label, ids[0])
				}
			}
			for _, id := range tp.DocIDs {
				if labels[id] != label {
					t.Errorf("topic %q holds text %d labelled %s, want only %s", tp.Label, id, labels[id], label)
				}
			}
		})
	}
}

func TestClusterDescribesTopics(t *testing.T) {
	docs, labels := loadFixture(t)
	topics := Cluster(docs, Options{})
	of := topicOf(topics)
	var payNL Topic
	for _, d := range docs {
		if labels[d.ID] == "pay-nl" {
			payNL = topics[of[d.ID]]
			break
		}
	}
	for _, w := range []string{"betaling", "mislukt"} {
		if !strings.Contains(payNL.Label, w) {
			t.Errorf("label %q lacks %q", payNL.Label, w)
		}
	}
	if got := len(strings.Fields(payNL.Label)); got < 2 || got > 4 {
		t.Errorf("label %q has %d words, want 2 to 4", payNL.Label, got)
	}
	if len(payNL.Examples) != maxExamples {
		t.Errorf("got %d examples, want %d", len(payNL.Examples), maxExamples)
	}
	if len(payNL.Terms) == 0 || len(payNL.Terms) != len(payNL.Weights) {
		t.Errorf("got %d terms and %d weights, want as many, more than 0", len(payNL.Terms), len(payNL.Weights))
	}
	if !slices.IsSorted(payNL.DocIDs) || len(payNL.DocIDs) != payNL.Size {
		t.Errorf("DocIDs %v: want %d ascending", payNL.DocIDs, payNL.Size)
	}
	seen := make(map[string]bool)
	for i, tp := range topics {
		if seen[tp.ID] {
			t.Errorf("topic ID %s repeats", tp.ID)
		}
		seen[tp.ID] = true
		if i > 0 && tp.ID != OtherID && tp.Size > topics[i-1].Size {
			t.Errorf("topic %d (size %d) after a smaller one (size %d)", i, tp.Size, topics[i-1].Size)
		}
	}
}

func TestClusterDeterministic(t *testing.T) {
	docs, _ := loadFixture(t)
	want := Cluster(docs, Options{})
	shuffled := slices.Clone(docs)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	got := Cluster(shuffled, Options{})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("clustering shuffled input differs:\n got %+v\nwant %+v", got, want)
	}
}

func TestClusterOther(t *testing.T) {
	tests := []struct {
		name      string
		docs      []Doc
		wantOther int // size of the other topic, 0 for none
		wantReal  int // number of real topics
	}{
		{"empty", nil, 0, 0},
		{"only stop words and numbers", []Doc{{ID: 1, Text: "ik wil het"}, {ID: 2, Text: "12345 NL-2024-0001"}, {ID: 3, Text: ""}}, 3, 0},
		{"one text", []Doc{{ID: 1, Text: "betaling mislukt"}}, 1, 0},
		{"two alike under MinSize", []Doc{{ID: 1, Text: "betaling mislukt"}, {ID: 2, Text: "mijn betaling mislukt"}}, 2, 0},
		{"three alike and a stray", []Doc{
			{ID: 1, Text: "betaling mislukt"}, {ID: 2, Text: "mijn betaling mislukt"},
			{ID: 3, Text: "de betaling is mislukt"}, {ID: 4, Text: "waar is mijn pakket"},
		}, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			topics := Cluster(tc.docs, Options{})
			gotOther, gotReal := 0, 0
			for i, tp := range topics {
				if tp.ID == OtherID {
					gotOther = tp.Size
					if i != len(topics)-1 {
						t.Errorf("other is topic %d of %d, want last", i, len(topics))
					}
					continue
				}
				gotReal++
			}
			if gotOther != tc.wantOther || gotReal != tc.wantReal {
				t.Errorf("got %d real topics and %d in other, want %d and %d", gotReal, gotOther, tc.wantReal, tc.wantOther)
			}
		})
	}
}

func TestClusterMaxDocIDs(t *testing.T) {
	docs := []Doc{
		{ID: 5, Text: "betaling mislukt"}, {ID: 2, Text: "mijn betaling mislukt"},
		{ID: 9, Text: "de betaling is mislukt"}, {ID: 7, Text: "betaling weer mislukt"},
	}
	topics := Cluster(docs, Options{MaxDocIDs: 2})
	if len(topics) != 1 {
		t.Fatalf("got %d topics, want 1", len(topics))
	}
	if got, want := topics[0].DocIDs, []int64{7, 9}; !slices.Equal(got, want) {
		t.Errorf("DocIDs = %v, want %v", got, want)
	}
	if topics[0].Size != 4 {
		t.Errorf("Size = %d, want 4", topics[0].Size)
	}
}

func TestMatch(t *testing.T) {
	docs, labels := loadFixture(t)
	topics := Cluster(docs, Options{})
	of := topicOf(topics)
	first := make(map[string]int)
	for _, d := range docs {
		if _, ok := first[labels[d.ID]]; !ok {
			first[labels[d.ID]] = of[d.ID]
		}
	}
	tests := []struct {
		text  string
		label string // "" for no match
	}{
		{"Help, de betaling is weer mislukt", "pay-nl"},
		{"payment failed twice now", "pay-en"},
		{"wachtwoord vergeten", "pw-nl"},
		{"parcel never delivered", "del-en"},
		{"what is the weather like", ""},
	}
	m := NewMatcher(topics)
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			k, sim := m.Match(tc.text)
			if tc.label == "" {
				if k >= 0 && sim >= 0.3 {
					t.Errorf("matched topic %q at %.2f, want no match", topics[k].Label, sim)
				}
				return
			}
			if want := first[tc.label]; k != want || sim < 0.3 {
				t.Errorf("got topic %d at %.2f, want %d (%q) at >= 0.3", k, sim, want, topics[want].Label)
			}
		})
	}
}
