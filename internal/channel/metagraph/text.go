package metagraph

import "strings"

// SplitText cuts text into messages of at most max units, where size
// counts the units of one rune (characters for WhatsApp and Messenger,
// UTF-8 bytes for Instagram). It cuts at a line break or space in the
// second half of a piece where there is one, and trims the pieces.
func SplitText(s string, max int, size func(rune) int) []string {
	var out []string
	for s != "" {
		r := []rune(s)
		n, end := 0, len(r)
		for i, ch := range r {
			if n+size(ch) > max {
				end = i
				break
			}
			n += size(ch)
		}
		if end == 0 {
			// A piece holds at least one rune, or s would never shrink.
			end = 1
		}
		if end == len(r) {
			out = append(out, s)
			break
		}
		cut := end
		for i := end; i > end/2; i-- {
			if r[i] == '\n' || r[i] == ' ' {
				cut = i
				break
			}
		}
		out = append(out, strings.TrimSpace(string(r[:cut])))
		s = strings.TrimSpace(string(r[cut:]))
	}
	return out
}

// Runes counts every rune as one unit, for SplitText.
func Runes(rune) int { return 1 }
