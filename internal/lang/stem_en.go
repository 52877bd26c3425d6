package lang

// English stemming: the Porter2 ("Snowball English") algorithm by Martin
// Porter, written from its published description. It works in place on
// lower-case ASCII; 'Y' marks a y that acts as a consonant.

func isVowelEN(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// enExceptions are whole words the algorithm would stem badly.
var enExceptions = map[string]string{
	"skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
	"idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli",
	"singly": "singl",
	// Invariant words.
	"sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas",
	"cosmos": "cosmos", "bias": "bias", "andes": "andes",
}

// enStopAfter1a are words left alone once step 1a is done.
var enStopAfter1a = map[string]bool{
	"inning": true, "outing": true, "canning": true, "herring": true,
	"earring": true, "proceed": true, "exceed": true, "succeed": true,
}

type suffixRule struct{ suf, rep string }

// Rule lists are ordered longest suffix first: the first that matches is
// the longest, and if its condition fails no shorter one is tried.
var (
	enStep2 = []suffixRule{
		{"ization", "ize"}, {"ational", "ate"}, {"fulness", "ful"}, {"ousness", "ous"}, {"iveness", "ive"},
		{"tional", "tion"}, {"biliti", "ble"}, {"lessli", "less"},
		{"entli", "ent"}, {"ation", "ate"}, {"alism", "al"}, {"aliti", "al"}, {"ousli", "ous"},
		{"iviti", "ive"}, {"fulli", "ful"},
		{"enci", "ence"}, {"anci", "ance"}, {"abli", "able"}, {"izer", "ize"}, {"ator", "ate"}, {"alli", "al"},
		{"bli", "ble"}, {"ogi", "og"},
		{"li", ""},
	}
	enStep3 = []suffixRule{
		{"ational", "ate"},
		{"tional", "tion"},
		{"alize", "al"}, {"icate", "ic"}, {"iciti", "ic"}, {"ative", ""},
		{"ical", "ic"}, {"ness", ""},
		{"ful", ""},
	}
	enStep4 = []string{
		"ement",
		"ance", "ence", "able", "ible", "ment",
		"ant", "ent", "ism", "ate", "iti", "ous", "ive", "ize", "ion",
		"al", "er", "ic",
	}
)

// hasSuffix compares from the last byte, where most candidates already
// differ; it is the stemmers' hot loop.
func hasSuffix(w []byte, s string) bool {
	off := len(w) - len(s)
	if off < 0 {
		return false
	}
	for i := len(s) - 1; i >= 0; i-- {
		if w[off+i] != s[i] {
			return false
		}
	}
	return true
}

func replaceSuffix(w []byte, n int, rep string) []byte {
	return append(w[:len(w)-n], rep...)
}

func matchRule(w []byte, rules []suffixRule) int {
	if len(w) == 0 {
		return -1
	}
	last := w[len(w)-1]
	for i, r := range rules {
		if r.suf[len(r.suf)-1] == last && hasSuffix(w, r.suf) {
			return i
		}
	}
	return -1
}

func containsVowelEN(w []byte) bool {
	for _, c := range w {
		if isVowelEN(c) {
			return true
		}
	}
	return false
}

// regionAfter returns the index after the first non-vowel that follows a
// vowel at or after from, or len(w).
func regionAfter(w []byte, from int, vowel func(byte) bool) int {
	for i := from + 1; i < len(w); i++ {
		if !vowel(w[i]) && vowel(w[i-1]) {
			return i + 1
		}
	}
	return len(w)
}

// endsShortSyllableEN: non-vowel, vowel, non-vowel other than w, x or Y at
// the end; or a two-letter word of vowel then non-vowel.
func endsShortSyllableEN(w []byte) bool {
	n := len(w)
	if n == 2 {
		return isVowelEN(w[0]) && !isVowelEN(w[1])
	}
	if n < 3 {
		return false
	}
	last := w[n-1]
	return !isVowelEN(w[n-3]) && isVowelEN(w[n-2]) && !isVowelEN(last) &&
		last != 'w' && last != 'x' && last != 'Y'
}

// stemEnglish stems w in place and returns the stem (never longer than w).
func stemEnglish(w []byte) []byte {
	if len(w) <= 2 {
		return w
	}
	if len(w) <= 6 { // the longest exception
		if s, ok := enExceptions[string(w)]; ok {
			return append(w[:0], s...)
		}
	}
	// A y at the start or after a vowel is a consonant.
	for i, c := range w {
		if c == 'y' && (i == 0 || isVowelEN(w[i-1])) {
			w[i] = 'Y'
		}
	}
	var r1 int
	switch {
	case hasPrefix(w, "gener"), hasPrefix(w, "arsen"):
		r1 = 5
	case hasPrefix(w, "commun"):
		r1 = 6
	default:
		r1 = regionAfter(w, 0, isVowelEN)
	}
	r2 := regionAfter(w, r1, isVowelEN)

	w = enStep1a(w)
	if n := len(w); n >= 6 && n <= 7 && enStopAfter1a[string(w)] {
		return unmarkY(w)
	}
	w = enStep1b(w, r1)
	// Step 1c: y after a non-vowel that is not the first letter becomes i.
	if n := len(w); n > 2 && (w[n-1] == 'y' || w[n-1] == 'Y') && !isVowelEN(w[n-2]) {
		w[n-1] = 'i'
	}
	w = enStep2f(w, r1)
	w = enStep3f(w, r1, r2)
	w = enStep4f(w, r2)
	w = enStep5(w, r1, r2)
	return unmarkY(w)
}

func hasPrefix(w []byte, p string) bool {
	return len(w) >= len(p) && string(w[:len(p)]) == p
}

func unmarkY(w []byte) []byte {
	for i, c := range w {
		if c == 'Y' {
			w[i] = 'y'
		}
	}
	return w
}

func enStep1a(w []byte) []byte {
	n := len(w)
	switch {
	case hasSuffix(w, "sses"):
		return w[:n-2]
	case hasSuffix(w, "ied"), hasSuffix(w, "ies"):
		if n > 4 {
			return w[:n-2] // cries -> cri
		}
		return w[:n-1] // ties -> tie
	case hasSuffix(w, "us"), hasSuffix(w, "ss"):
		return w
	case hasSuffix(w, "s"):
		if containsVowelEN(w[:n-2]) { // a vowel not right before the s
			return w[:n-1]
		}
	}
	return w
}

func enStep1b(w []byte, r1 int) []byte {
	n := len(w)
	var suf int
	switch {
	case hasSuffix(w, "eedly"):
		suf = -5
	case hasSuffix(w, "ingly"):
		suf = 5
	case hasSuffix(w, "edly"):
		suf = 4
	case hasSuffix(w, "eed"):
		suf = -3
	case hasSuffix(w, "ing"):
		suf = 3
	case hasSuffix(w, "ed"):
		suf = 2
	default:
		return w
	}
	if suf < 0 { // eed, eedly -> ee when in R1
		if n+suf >= r1 {
			return w[:n+suf+2]
		}
		return w
	}
	stem := w[:n-suf]
	if !containsVowelEN(stem) {
		return w
	}
	w = stem
	n = len(w)
	switch {
	case hasSuffix(w, "at"), hasSuffix(w, "bl"), hasSuffix(w, "iz"):
		return append(w, 'e') // luxuriat -> luxuriate
	case n >= 2 && w[n-1] == w[n-2] && isDoubleEN(w[n-1]):
		return w[:n-1] // hopp -> hop
	case r1 >= n && endsShortSyllableEN(w):
		return append(w, 'e') // hop -> hope
	}
	return w
}

func isDoubleEN(c byte) bool {
	switch c {
	case 'b', 'd', 'f', 'g', 'm', 'n', 'p', 'r', 't':
		return true
	}
	return false
}

func isLiEnding(c byte) bool {
	switch c {
	case 'c', 'd', 'e', 'g', 'h', 'k', 'm', 'n', 'r', 't':
		return true
	}
	return false
}

func enStep2f(w []byte, r1 int) []byte {
	i := matchRule(w, enStep2)
	if i < 0 {
		return w
	}
	rule := enStep2[i]
	start := len(w) - len(rule.suf)
	if start < r1 {
		return w
	}
	switch rule.suf {
	case "ogi":
		if start == 0 || w[start-1] != 'l' {
			return w
		}
	case "li":
		if start == 0 || !isLiEnding(w[start-1]) {
			return w
		}
	}
	return replaceSuffix(w, len(rule.suf), rule.rep)
}

func enStep3f(w []byte, r1, r2 int) []byte {
	i := matchRule(w, enStep3)
	if i < 0 {
		return w
	}
	rule := enStep3[i]
	start := len(w) - len(rule.suf)
	if start < r1 || (rule.suf == "ative" && start < r2) {
		return w
	}
	return replaceSuffix(w, len(rule.suf), rule.rep)
}

func enStep4f(w []byte, r2 int) []byte {
	for _, suf := range enStep4 {
		if !hasSuffix(w, suf) {
			continue
		}
		start := len(w) - len(suf)
		if start < r2 {
			return w
		}
		if suf == "ion" && (start == 0 || (w[start-1] != 's' && w[start-1] != 't')) {
			return w
		}
		return w[:start]
	}
	return w
}

func enStep5(w []byte, r1, r2 int) []byte {
	n := len(w)
	if n == 0 {
		return w
	}
	switch w[n-1] {
	case 'e':
		if n-1 >= r2 || (n-1 >= r1 && !endsShortSyllableEN(w[:n-1])) {
			return w[:n-1]
		}
	case 'l':
		if n-1 >= r2 && n >= 2 && w[n-2] == 'l' {
			return w[:n-1]
		}
	}
	return w
}
