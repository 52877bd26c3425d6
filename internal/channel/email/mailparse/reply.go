package mailparse

import (
	"regexp"
	"strings"
)

var (
	// "On <date>, <name> wrote:" and its translations; may be wrapped over
	// up to three lines by the sender's client.
	reWroteIntro = regexp.MustCompile(`(?i)^(On|Op|Am|Le|El|Il)\s`)
	reWrote      = regexp.MustCompile(`(?i)^(On\s.{1,250}\bwrote|Op\s.{1,250}\b(schreef|geschreven)\b.{0,80}|Am\s.{1,250}\bschrieb\b.{0,80}|Le\s.{1,250}\ba écrit|El\s.{1,250}\bescribió|Il\s.{1,250}\bha scritto)\s?:\s*$`)
	// "Jan <jan@example.org> wrote:" without a date: only trusted when a
	// quote block follows.
	reWroteBare = regexp.MustCompile(`(?i)^\S.{0,150}\s?(wrote|schreef|schrieb|a écrit)\s?:\s*$`)

	reOriginal = regexp.MustCompile(`(?i)^\s*(-{2,}|_{2,})\s*(original message|oorspronkelijk bericht|origineel bericht|oorspronkelijk e-mailbericht|ursprüngliche nachricht|message d'origine|forwarded message|doorgestuurd bericht|weitergeleitete nachricht)\s*(-{2,}|_{2,})?\s*$|^\s*(begin forwarded message|begin doorgestuurd bericht)\s*:\s*$`)
	// Outlook's header block: a From line followed closely by Sent/Date
	// or Subject, in the languages balie serves.
	reHdrFrom = regexp.MustCompile(`(?i)^\s*\*?(from|van|von|de|da)\s?:\*?\s*\S`)
	reHdrNext = regexp.MustCompile(`(?i)^\s*\*?(sent|date|verzonden|datum|verstuurd|gesendet|envoyé|subject|onderwerp|betreff|objet)\s?:\*?\s`)
	reSepLine = regexp.MustCompile(`^\s*[-_=*]{5,}\s*$`)

	reSigDash   = regexp.MustCompile(`^(--|—|- -)\s*$`)
	reSigUnder  = regexp.MustCompile(`^_{2,}\s*$`)
	reSigName   = regexp.MustCompile(`^-\p{L}[\p{L} .'’]{0,40}$`)
	reSigMobile = regexp.MustCompile(`(?i)^(sent from my|sent (from|via|with) (mail|outlook|yahoo|gmail|samsung|aol|proton|my)|verzonden (vanaf|met|via|from)|verstuurd (vanaf|met|via)|gesendet (von|mit)|von meinem|envoyé de|get outlook for|outlook voor|download outlook voor)\s+([\p{L}\p{N}'’®™\-]+\s*){1,5}$`)
)

type lineKind uint8

const (
	lineText lineKind = iota
	lineBlank
	lineQuote // quoted history: "> ..." lines, reply headers, Outlook blocks
	lineSig
)

// StripReply splits an email's plain text into the new reply and what
// follows it: quoted history ("> " blocks, "On ... wrote:", "Op ...
// schreef ...:", "-----Original Message-----", Outlook "From:/Sent:" or
// "Van:/Verzonden:" blocks) and signatures ("-- ", "Sent from my iPhone",
// "Verzonden vanaf mijn iPhone").
//
// Like GitHub's email_reply_parser, only trailing quotes and signatures are
// removed: with bottom or inline posting the answers between quotes stay in
// reply, so nothing the customer wrote is hidden. quoted is everything after
// the last line of new text. When no new text is found the whole text is the
// reply.
func StripReply(text string) (reply, quoted string) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	kinds := classifyLines(lines)
	last := -1
	for i, k := range kinds {
		if k == lineText {
			last = i
		}
	}
	if last < 0 {
		return strings.TrimSpace(text), ""
	}
	reply = strings.TrimRight(strings.Join(lines[:last+1], "\n"), " \t\n")
	reply = strings.TrimLeft(reply, "\n")
	quoted = strings.Trim(strings.Join(lines[last+1:], "\n"), "\n")
	if strings.TrimSpace(quoted) == "" {
		quoted = ""
	}
	return reply, quoted
}

func classifyLines(lines []string) []lineKind {
	kinds := make([]lineKind, len(lines))
	const (
		modeNormal = iota
		modeSig
		modeRest // after an unprefixed quote header: all of it is history
	)
	mode := modeNormal
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		t := strings.TrimSpace(l)
		if mode == modeRest {
			kinds[i] = lineQuote
			continue
		}
		if t == "" {
			kinds[i] = lineBlank
			continue
		}
		quoteLine := strings.HasPrefix(strings.TrimLeft(l, " "), ">")
		if quoteLine {
			kinds[i] = lineQuote
			mode = modeNormal
			continue
		}
		if n := wroteHeader(lines, i); n > 0 {
			for j := i; j < i+n; j++ {
				kinds[j] = lineQuote
			}
			i += n - 1
			mode = modeNormal
			if !nextIsQuote(lines, i+1) {
				mode = modeRest
			}
			continue
		}
		if reOriginal.MatchString(l) || outlookHeader(lines, i) {
			kinds[i] = lineQuote
			for j := i - 1; j >= 0 && (kinds[j] == lineBlank || kinds[j] == lineSig || reSepLine.MatchString(lines[j])); j-- {
				kinds[j] = lineQuote
			}
			mode = modeRest
			continue
		}
		if mode == modeSig {
			kinds[i] = lineSig
			continue
		}
		if reSigDash.MatchString(l) || reSigUnder.MatchString(t) || reSigMobile.MatchString(t) || reSigName.MatchString(t) && restIsShort(lines, i) {
			kinds[i] = lineSig
			mode = modeSig
			continue
		}
		kinds[i] = lineText
	}
	return kinds
}

// wroteHeader returns how many lines (1 to 3) at i form an "On ... wrote:"
// line, or 0.
func wroteHeader(lines []string, i int) int {
	first := strings.TrimSpace(lines[i])
	joined := first
	intro := reWroteIntro.MatchString(first)
	for n := 1; n <= 3 && i+n <= len(lines); n++ {
		if n > 1 {
			next := strings.TrimSpace(lines[i+n-1])
			if next == "" {
				return 0
			}
			joined += " " + next
		}
		if len(joined) > 400 {
			return 0
		}
		if intro && reWrote.MatchString(joined) {
			return n
		}
		if n == 1 && reWroteBare.MatchString(joined) && nextIsQuote(lines, i+1) {
			return 1
		}
	}
	return 0
}

func nextIsQuote(lines []string, i int) bool {
	for ; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if t == "" {
			continue
		}
		return strings.HasPrefix(t, ">")
	}
	return false
}

func outlookHeader(lines []string, i int) bool {
	if !reHdrFrom.MatchString(lines[i]) {
		return false
	}
	seen := 0
	for j := i + 1; j < len(lines) && seen < 4; j++ {
		if strings.TrimSpace(lines[j]) == "" {
			continue
		}
		seen++
		if reHdrNext.MatchString(lines[j]) {
			return true
		}
	}
	return false
}

// restIsShort reports whether at most a few short lines follow i before a
// quote or the end, so a "-Name" line is a sign-off and not a list item.
func restIsShort(lines []string, i int) bool {
	n := 0
	for j := i + 1; j < len(lines); j++ {
		t := strings.TrimSpace(lines[j])
		if strings.HasPrefix(t, ">") || wroteHeader(lines, j) > 0 {
			return true
		}
		if t != "" {
			n++
		}
		if n > 6 {
			return false
		}
	}
	return true
}
