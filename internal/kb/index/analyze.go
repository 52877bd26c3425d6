package index

import (
	"slices"

	"github.com/balie-dev/balie/internal/lang"
)

// docAnalysis is a document cut into terms, before it enters the index.
type docAnalysis struct {
	tf    map[string][numFields]uint16
	len   [numFields]int32
	words map[string][]string // vocabulary word → its stems
}

// analyzeDoc counts the terms of each field. Term frequencies come from
// stemming every token the way lang.QueryTerms does; lang.IndexTerms then
// adds the extra forms of codes ("NL-2024-0001" → "2024", "0001"...) once, so
// that the index holds exactly the terms lang promises a query can match.
func analyzeDoc(d Doc) docAnalysis {
	a := docAnalysis{
		tf:    make(map[string][numFields]uint16),
		words: make(map[string][]string),
	}
	cache := make(map[string][]string) // token → stems; nil for stop words
	texts := [numFields][]string{{d.Title}, d.Question, {d.Body}}
	for f, fieldTexts := range texts {
		for _, text := range fieldTexts {
			for _, tok := range lang.Tokens(text) {
				stems, seen := cache[tok]
				if !seen {
					if g := lang.QueryTerms(tok); len(g) == 1 {
						stems = g[0]
					}
					cache[tok] = stems
					if stems != nil && isWord(tok) {
						a.words[tok] = stems
					}
				}
				if stems == nil {
					continue
				}
				a.len[f]++
				for _, t := range stems {
					c := a.tf[t]
					if c[f] < 1<<16-1 {
						c[f]++
					}
					a.tf[t] = c
				}
			}
			for _, t := range lang.IndexTerms(text) {
				if c := a.tf[t]; c[f] == 0 {
					c[f] = 1
					a.tf[t] = c
				}
			}
		}
	}
	return a
}

// isWord reports whether a token is made of letters only: only such words
// take part in typo correction and prefix completion (codes must match
// exactly).
func isWord(tok string) bool {
	for _, c := range tok {
		if c >= '0' && c <= '9' {
			return false
		}
	}
	return len(tok) >= 2
}

// queryWord is one meaningful word of a query: its folded form and its
// stems (or the whole form of a code).
type queryWord struct {
	surface string
	stems   []string
}

// analyzeQuery cuts a query into its meaningful words, dropping stop words
// and repeats, at most lang.MaxQueryGroups of them.
func analyzeQuery(q string) []queryWord {
	var out []queryWord
	for _, tok := range lang.Tokens(q) {
		g := lang.QueryTerms(tok)
		if len(g) != 1 {
			continue
		}
		if slices.ContainsFunc(out, func(w queryWord) bool { return slices.Equal(w.stems, g[0]) }) {
			continue
		}
		out = append(out, queryWord{surface: tok, stems: g[0]})
		if len(out) == lang.MaxQueryGroups {
			break
		}
	}
	return out
}
