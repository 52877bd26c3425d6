package flow

import (
	"slices"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/lang"
)

// Answers arrive as button values, as typed numbers ("2", "2."), or as
// words typed in a chat ("nee hoor", "Verzending", "verzendnig"). Matching
// goes from strict to loose and gives up when two options fit equally well:
// asking again is better than guessing wrong.

// fold lower-cases text, folds diacritics away and keeps only words:
// "Één, twee!" → "een twee".
func fold(s string) string { return strings.Join(lang.Tokens(s), " ") }

// choose returns the index of the label that answer picks, or -1.
func choose(labels []string, answer string) int {
	answer = strings.TrimSpace(answer)
	if n, ok := number(answer); ok {
		if n >= 1 && n <= len(labels) {
			return n - 1
		}
		return -1
	}
	fa := fold(answer)
	if fa == "" {
		return -1
	}
	folded := make([]string, len(labels))
	for i, l := range labels {
		folded[i] = fold(l)
		if folded[i] == fa {
			return i
		}
	}
	if i := byWords(folded, fa); i >= 0 {
		return i
	}
	if i := byTypo(folded, fa); i >= 0 {
		return i
	}
	// "yes" to a question whose options are "Ja" and "Nee". Only an
	// answer that starts with the word counts: "ik snap het niet" is no
	// "Nee".
	if yn := yesNo(firstWord(fa)); yn != 0 {
		pick := -1
		for i, f := range folded {
			if yesNo(f) == yn {
				if pick >= 0 {
					return -1
				}
				pick = i
			}
		}
		return pick
	}
	return -1
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

// number reads "2", "2." or "2)".
func number(s string) (int, bool) {
	s = strings.TrimRight(s, ".)")
	if s == "" || len(s) > 3 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && s[0] != '+' && s[0] != '-'
}

// byWords picks the label that shares the most words with the answer when
// all of one's words are in the other ("nee" for "Nee, nog steeds niet";
// "ja graag" for "Ja"), if exactly one label scores best.
func byWords(folded []string, fa string) int {
	aw := strings.Fields(fa)
	best, bestScore, tie := -1, 0, false
	for i, f := range folded {
		lw := strings.Fields(f)
		if !subset(aw, lw) && !subset(lw, aw) {
			continue
		}
		score := 0
		for _, w := range lw {
			if slices.Contains(aw, w) {
				score++
			}
		}
		switch {
		case score > bestScore:
			best, bestScore, tie = i, score, false
		case score == bestScore:
			tie = true
		}
	}
	if tie || bestScore == 0 {
		return -1
	}
	return best
}

func subset(a, b []string) bool {
	for _, w := range a {
		if !slices.Contains(b, w) {
			return false
		}
	}
	return len(a) > 0
}

// byTypo picks the label within a small edit distance of the answer, if
// exactly one is closest.
func byTypo(folded []string, fa string) int {
	if len(fa) < 4 {
		return -1 // "ja" and "na" are too close to tell apart
	}
	best, bestD, tie := -1, 1<<30, false
	for i, f := range folded {
		limit := max(1, len(f)/5)
		d := distance(fa, f, limit)
		if d > limit {
			continue
		}
		switch {
		case d < bestD:
			best, bestD, tie = i, d, false
		case d == bestD:
			tie = true
		}
	}
	if tie {
		return -1
	}
	return best
}

// distance is the optimal string alignment distance (edits, with a swap of
// neighbours as one) between a and b in bytes, or limit+1 when it is
// larger than limit. Folded text is ASCII for Dutch and English.
func distance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// Words that say yes or no, in Dutch and English: customers answer in
// either, whatever the flow's language.
var (
	yesWords = []string{"ja", "j", "jawel", "jazeker", "jep", "jup", "zeker", "yes", "y", "yep", "yup", "yeah", "opgelost", "solved", "geholpen", "helped", "werkt", "works", "gelukt", "ok", "oke", "okay"}
	noWords  = []string{"nee", "neen", "n", "no", "nope", "nah", "niet", "not", "geen", "helaas", "nein"}
)

// yesNo reads a yes (1) or no (-1) from text, 0 when it says neither. A
// negation wins: "werkt niet" is no, and a "no" that should have been a yes
// only costs the customer one more step.
func yesNo(s string) int {
	words := lang.Tokens(s)
	yes := false
	for _, w := range words {
		if slices.Contains(noWords, w) {
			return -1
		}
		if slices.Contains(yesWords, w) {
			yes = true
		}
	}
	if yes {
		return 1
	}
	return 0
}
