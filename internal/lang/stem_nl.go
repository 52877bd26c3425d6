package lang

// Dutch stemming: the Snowball Dutch algorithm (the classic one, after
// Kraaij and Pohlmann), written from its published description. It works in
// place on lower-case ASCII with diacritics already removed; 'I' and 'Y'
// mark an i or y that acts as a consonant.

func isVowelNL(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// stemDutch stems w in place and returns the stem (never longer than w).
func stemDutch(w []byte) []byte {
	n := len(w)
	if n < 3 {
		return w
	}
	// Initial y, y after a vowel and i between vowels are consonants.
	for i, c := range w {
		switch {
		case c == 'y' && (i == 0 || isVowelNL(w[i-1])):
			w[i] = 'Y'
		case c == 'i' && i > 0 && i+1 < n && isVowelNL(w[i-1]) && isVowelNL(w[i+1]):
			w[i] = 'I'
		}
	}
	// R1 as in German: at least three letters before it. R2 counts from
	// the unadjusted R1.
	r1 := regionAfter(w, 0, isVowelNL)
	r2 := regionAfter(w, r1, isVowelNL)
	if r1 < 3 {
		r1 = 3
	}

	w = nlStep1(w, r1)
	w, eRemoved := nlStep2(w, r1)
	// Step 3a: heid.
	if hasSuffix(w, "heid") {
		start := len(w) - 4
		if start >= r2 && (start == 0 || w[start-1] != 'c') {
			w = w[:start]
			if hasSuffix(w, "en") {
				w = nlEnEnding(w, r1)
			}
		}
	}
	w = nlStep3b(w, r1, r2, eRemoved)
	w = nlStep4(w)
	for i, c := range w {
		switch c {
		case 'I':
			w[i] = 'i'
		case 'Y':
			w[i] = 'y'
		}
	}
	return w
}

// nlUndouble removes the last letter of a final kk, dd or tt.
func nlUndouble(w []byte) []byte {
	if hasSuffix(w, "kk") || hasSuffix(w, "dd") || hasSuffix(w, "tt") {
		return w[:len(w)-1]
	}
	return w
}

// nlEnEnding deletes a final "en" that is in R1 and preceded by a valid
// en-ending (a non-vowel, not "gem"), then undoubles.
func nlEnEnding(w []byte, r1 int) []byte {
	return nlDeleteEn(w, 2, r1)
}

func nlDeleteEn(w []byte, suf, r1 int) []byte {
	start := len(w) - suf
	if start < r1 || start == 0 || isVowelNL(w[start-1]) || hasSuffix(w[:start], "gem") {
		return w
	}
	return nlUndouble(w[:start])
}

func nlStep1(w []byte, r1 int) []byte {
	n := len(w)
	switch {
	case hasSuffix(w, "heden"):
		if n-5 >= r1 {
			return replaceSuffix(w, 5, "heid")
		}
	case hasSuffix(w, "ene"):
		return nlDeleteEn(w, 3, r1)
	case hasSuffix(w, "en"):
		return nlDeleteEn(w, 2, r1)
	case hasSuffix(w, "se"):
		return nlDeleteS(w, 2, r1)
	case hasSuffix(w, "s"):
		return nlDeleteS(w, 1, r1)
	}
	return w
}

// nlDeleteS deletes a final s or se in R1 preceded by a valid s-ending: a
// non-vowel other than j.
func nlDeleteS(w []byte, suf, r1 int) []byte {
	start := len(w) - suf
	if start < r1 || start == 0 || isVowelNL(w[start-1]) || w[start-1] == 'j' {
		return w
	}
	return w[:start]
}

// nlStep2 deletes a final e in R1 after a non-vowel, then undoubles; it
// reports whether it removed the e (step 3b's "bar" needs to know).
func nlStep2(w []byte, r1 int) ([]byte, bool) {
	n := len(w)
	if n >= 2 && w[n-1] == 'e' && n-1 >= r1 && !isVowelNL(w[n-2]) {
		return nlUndouble(w[:n-1]), true
	}
	return w, false
}

func nlStep3b(w []byte, r1, r2 int, eRemoved bool) []byte {
	n := len(w)
	switch {
	case hasSuffix(w, "lijk"):
		if n-4 >= r2 {
			w, _ = nlStep2(w[:n-4], r1)
		}
	case hasSuffix(w, "baar"):
		if n-4 >= r2 {
			w = w[:n-4]
		}
	case hasSuffix(w, "end"), hasSuffix(w, "ing"):
		if n-3 >= r2 {
			w = w[:n-3]
			if m := len(w); hasSuffix(w, "ig") && m-2 >= r2 && (m-2 == 0 || w[m-3] != 'e') {
				w = w[:m-2]
			} else {
				w = nlUndouble(w)
			}
		}
	case hasSuffix(w, "bar"):
		if n-3 >= r2 && eRemoved {
			w = w[:n-3]
		}
	case hasSuffix(w, "ig"):
		if n-2 >= r2 && (n-2 == 0 || w[n-3] != 'e') {
			w = w[:n-2]
		}
	}
	return w
}

// nlStep4 undoubles a vowel in a final consonant, double vowel, consonant:
// maan -> man, brood -> brod.
func nlStep4(w []byte) []byte {
	n := len(w)
	if n < 4 {
		return w
	}
	c, v1, v2, d := w[n-4], w[n-3], w[n-2], w[n-1]
	if isVowelNL(c) || v1 != v2 || isVowelNL(d) || d == 'I' {
		return w
	}
	switch v1 {
	case 'a', 'e', 'o', 'u':
		return append(w[:n-2], d)
	}
	return w
}
