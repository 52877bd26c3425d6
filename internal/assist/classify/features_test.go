package classify

import "testing"

func TestExtractWordOrderFeatures(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
		wantNot    []string
	}{
		{
			name:    "skip-bigram across a filler word",
			text:    "pay the bill",
			want:    []string{"s:pay bill", "b:pay the", "b:the bill", "s:^ the", "b:^ pay"},
			wantNot: []string{"s:pay the"},
		},
		{
			name: "a number keeps its place in the sequence",
			text: "order 12345 late",
			want: []string{"w:#num", "s:order late", "b:#num late"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]bool{}
			for _, f := range extract(tc.text) {
				got[f.name] = true
			}
			for _, w := range tc.want {
				if !got[w] {
					t.Errorf("extract(%q) lacks %q", tc.text, w)
				}
			}
			for _, w := range tc.wantNot {
				if got[w] {
					t.Errorf("extract(%q) has %q, want not", tc.text, w)
				}
			}
		})
	}
}
