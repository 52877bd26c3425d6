package lang

// Language detection weighs two kinds of evidence per word: stop words that
// are on only one of the two lists (strong, so weight stopWeight), and
// letter patterns typical of one language (ij, oe, aa, sch, -lijk for
// Dutch; th, wh, ght, -ly, -tion for English). Positive scores mean Dutch.

const (
	stopWeight = 4
	// detectThreshold is the score a text needs before Detect commits;
	// below it (short or mixed texts) Detect says "".
	detectThreshold = 4
	// detectMaxWords bounds the work on long texts: the first words
	// decide.
	detectMaxWords = 200
)

// Detect guesses the language of text: "nl", "en", or "" when unsure
// (too short, mixed, or neither language).
func Detect(text string) string {
	s := newScanner(text)
	score, words := 0, 0
	for s.next() && words < detectMaxWords {
		c := &s.c
		if c.isCode() {
			continue
		}
		for i := range c.np {
			w := c.part(i)
			if !isASCII(w) {
				continue
			}
			words++
			switch stopWords[string(w)] {
			case stopBitNL:
				score += stopWeight
			case stopBitEN:
				score -= stopWeight
			case stopBitNL | stopBitEN:
				// "in", "is", "was": no evidence.
			default:
				score += patternScore(w)
			}
		}
	}
	switch {
	case score >= detectThreshold:
		return "nl"
	case score <= -detectThreshold:
		return "en"
	}
	return ""
}

// patternScore scores the letter patterns in one folded ASCII word.
func patternScore(w []byte) int {
	score := 0
	for i := 1; i < len(w); i++ {
		a, b := w[i-1], w[i]
		switch {
		case a == 'i' && b == 'j':
			score += 3
		case a == 'o' && b == 'e', a == 'u' && b == 'i', a == 'e' && b == 'u':
			score++
		case a == 'a' && b == 'a', a == 'u' && b == 'u':
			score += 2
		case a == 'd' && b == 't', a == 'c' && b == 'h' && i >= 2 && w[i-2] == 's':
			score += 2
		case a == 't' && b == 'h', a == 'w' && b == 'h':
			score -= 3
		case a == 'g' && b == 'h' && i+1 < len(w) && w[i+1] == 't':
			score -= 3
		case a == 'e' && b == 'a', a == 'a' && b == 'y', a == 'e' && b == 'y', a == 'o' && b == 'w':
			score--
		case a == 's' && b == 'h', a == 'c' && b == 'k':
			score--
		}
	}
	switch {
	case hasSuffix(w, "lijk"), hasSuffix(w, "heid"), hasSuffix(w, "tje"):
		score += 2
	case hasSuffix(w, "tion"), hasSuffix(w, "ly"):
		score -= 2
	case len(w) > 3 && hasSuffix(w, "en"):
		score++
	}
	return score
}
