// Package lang is balie's text analysis for Dutch and English: tokenising,
// stop words, stemming and language detection. Search indexes (both store
// drivers, the knowledge base) and the classifier use it so that indexing and
// querying always agree. It imports only the standard library.
package lang

import (
	"strings"
	"unicode"
)

// Tokens splits text into lower-case words of letters and digits.
// TEMPORARY placeholder: replaced by the real analyzer.
func Tokens(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// IndexTerms returns the distinct terms to index for text.
func IndexTerms(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range Tokens(text) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// QueryTerms returns, for each meaningful word of a query, the alternative
// terms of which one must match. Stop-word-only queries return nil.
func QueryTerms(text string) [][]string {
	var out [][]string
	for _, t := range Tokens(text) {
		out = append(out, []string{t})
	}
	return out
}

// Detect guesses the language of text: "nl", "en", or "" when unsure.
func Detect(text string) string { return "" }
