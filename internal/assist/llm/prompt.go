package llm

import (
	"regexp"
	"strings"
)

// language names the language a locale writes in, for the instructions.
// Unknown locales get English, the language balie falls back to.
func language(locale string) string {
	if strings.HasPrefix(strings.ToLower(locale), "nl") {
		return "Dutch (Nederlands)"
	}
	return "English"
}

// fenceTag matches anything in untrusted text that looks like the tags
// that fence untrusted text off in a prompt, opening or closing, so that a
// source or message cannot end its own fence and speak as the prompt.
var fenceTag = regexp.MustCompile(`(?i)<\s*/?\s*(sources?|question|transcript|turn)\b`)

// untrusted prepares customer-facing text for a prompt: fence tags are
// defused by swapping their angle bracket for a look-alike, and the text
// is cut to n bytes.
func untrusted(s string, n int) string {
	s = fenceTag.ReplaceAllStringFunc(s, func(tag string) string {
		return "‹" + tag[1:]
	})
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = strings.TrimSpace(truncate(s, n)) + " …"
	}
	return s
}

// oneLine flattens s for a header line inside a fence.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
