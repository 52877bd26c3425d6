package index

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/lang"
)

// snippetWords is the length of a snippet in words.
const snippetWords = 30

type span struct {
	start, end int // byte offsets in the body
	match      bool
}

// snippet cuts the passage of body with the most distinct matching words
// and returns it with the byte ranges of those words in it. forms maps
// folded words that match to their query group.
func snippet(body string, forms map[string]int) (string, [][2]int) {
	if body == "" {
		return "", nil
	}
	var words []span
	var keys []int // query group each word matched (-1: none), for distinctness
	ngroups := 0
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRuneInString(body[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		j := i
		for j < len(body) {
			r, size := utf8.DecodeRuneInString(body[j:])
			if !isWordRune(r) {
				break
			}
			j += size
		}
		key, ok := forms[fold(body[i:j])]
		if !ok {
			key = -1
		}
		ngroups = max(ngroups, key+1)
		words = append(words, span{i, j, key >= 0})
		keys = append(keys, key)
		i = j
	}
	if len(words) == 0 {
		return "", nil
	}

	// Slide a window of snippetWords words; keep the one with the most
	// distinct matches (then the most matches, then the earliest).
	bestStart, bestDistinct, bestCount := 0, -1, -1
	seen := make([]int, ngroups) // occurrences of each group in the window
	distinct, count := 0, 0
	for start, end := 0, 0; start < len(words); start++ {
		for ; end < len(words) && end < start+snippetWords; end++ {
			if k := keys[end]; k >= 0 {
				if seen[k] == 0 {
					distinct++
				}
				seen[k]++
				count++
			}
		}
		// Windows worth having start at a match (or at the beginning).
		if (start == 0 || words[start].match) &&
			(distinct > bestDistinct || (distinct == bestDistinct && count > bestCount)) {
			bestStart, bestDistinct, bestCount = start, distinct, count
		}
		if k := keys[start]; k >= 0 {
			if seen[k]--; seen[k] == 0 {
				distinct--
			}
			count--
		}
	}
	// Start a few words before the first match for context, if there is
	// room after it.
	start := bestStart
	end := min(start+snippetWords, len(words))
	for start > 0 && end-start < snippetWords {
		start--
	}
	for back := 0; back < 3 && start > 0 && bestStart > 0; back++ {
		start--
		end = min(start+snippetWords, len(words))
	}

	from := words[start].start
	to := words[end-1].end
	if end == len(words) {
		to = len(body)
	}
	var out []byte
	var hl [][2]int
	if start > 0 {
		out = append(out, "… "...)
	} else {
		from = 0
	}
	base := len(out) - from
	out = append(out, body[from:to]...)
	if end < len(words) {
		out = append(out, " …"...)
	}
	for _, w := range words[start:end] {
		if w.match {
			hl = append(hl, [2]int{w.start + base, w.end + base})
		}
	}
	return string(out), hl
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// fold lower-cases a word the way lang does, cheaply for plain ASCII.
func fold(w string) string {
	ascii, lower := true, true
	for i := range len(w) {
		c := w[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if 'A' <= c && c <= 'Z' {
			lower = false
		}
	}
	switch {
	case ascii && lower:
		return w
	case ascii:
		return strings.ToLower(w)
	}
	return strings.Join(lang.Tokens(w), "")
}
