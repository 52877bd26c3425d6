package index

// Typo tolerance uses a symmetric deletion neighbourhood: every vocabulary
// word is stored under the strings obtained by deleting one (and, for long
// words, two) of its bytes, and a query word looks up its own deletions.
// Two words within edit distance k share such a string, so the candidates
// are found with a few map lookups instead of a scan of the vocabulary;
// each candidate is then checked with the real edit distance.

// maxEdits is the number of typos tolerated in a query word of n bytes.
func maxEdits(n int) int {
	switch {
	case n >= 9:
		return 2
	case n >= 5:
		return 1
	}
	return 0
}

// indexEdits is the deletion depth stored for a vocabulary word of n
// bytes: the same as the typos tolerated in a query word of that length.
// Shorter words are still found: a 5-byte query with one insertion reaches
// a 4-byte word through its own deletions.
func indexEdits(n int) int { return maxEdits(n) }

// deletions returns the distinct strings obtained from w by deleting 1 to
// k bytes, without w itself.
func deletions(w string, k int) []string {
	if k <= 0 || len(w) < 2 {
		return nil
	}
	var out []string
	seen := make(map[string]struct{})
	level := []string{w}
	for range k {
		var next []string
		for _, s := range level {
			for i := range len(s) {
				d := s[:i] + s[i+1:]
				if _, dup := seen[d]; dup || d == "" {
					continue
				}
				seen[d] = struct{}{}
				out = append(out, d)
				next = append(next, d)
			}
		}
		level = next
	}
	return out
}

// typoCandidates returns the vocabulary words within maxEdits of w (w
// excluded) with their distance. The caller holds the read lock.
func (ix *Index) typoCandidates(w string) map[string]int {
	k := maxEdits(len(w))
	if k == 0 {
		return nil
	}
	out := make(map[string]int)
	consider := func(c string) {
		if c == w {
			return
		}
		if _, done := out[c]; done {
			return
		}
		if d := editDistance(w, c, k); d <= k {
			out[c] = d
		}
	}
	keys := append(deletions(w, k), w)
	for _, key := range keys {
		if _, ok := ix.vocab[key]; ok {
			consider(key)
		}
		for _, c := range ix.deletes[key] {
			consider(c)
		}
	}
	return out
}

// editDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and swaps of adjacent bytes), or
// max+1 when it exceeds max.
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	// Three rows suffice for adjacent swaps.
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
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[len(b)] > max {
		return max + 1
	}
	return prev[len(b)]
}
