package markdown

import (
	"html"
	"html/template"
	"strings"
)

// pathological reports whether src has a shape that would make parsing
// slow: quotes or lists nested more than maxDepth deep on one line, or a
// block with very many link destinations. No real article has either.
func pathological(src string) bool {
	blockLen, links := 0, 0
	for line := range strings.Lines(src) {
		if lineDepth(line) > maxDepth {
			return true
		}
		if strings.TrimSpace(line) == "" {
			blockLen, links = 0, 0
			continue
		}
		blockLen += len(line)
		links += strings.Count(line, "](")
		if links*blockLen > maxLinkWork {
			return true
		}
	}
	return false
}

// lineDepth counts the quote and list markers that open a line.
func lineDepth(line string) int {
	depth, i := 0, 0
	for i < len(line) {
		switch c := line[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '>':
			depth++
			i++
		case (c == '-' || c == '*' || c == '+') && markerEnd(line, i+1):
			depth++
			i++
		case '0' <= c && c <= '9':
			j := i
			for j < len(line) && j-i < 9 && '0' <= line[j] && line[j] <= '9' {
				j++
			}
			if j < len(line) && (line[j] == '.' || line[j] == ')') && markerEnd(line, j+1) {
				depth++
				i = j + 1
				continue
			}
			return depth
		default:
			return depth
		}
	}
	return depth
}

// markerEnd reports whether a list marker ending before i is followed by
// white space or the end of the line, as a list marker must be.
func markerEnd(line string, i int) bool {
	return i >= len(line) || line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r'
}

// plain renders src as escaped paragraphs of its text, without Markdown:
// the fallback for input the parser would be slow on.
func plain(src string) Rendered {
	var blocks []string
	var b strings.Builder
	flush := func() {
		if t := collapse(b.String()); t != "" {
			blocks = append(blocks, t)
		}
		b.Reset()
	}
	for line := range strings.Lines(src) {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		b.WriteString(line)
	}
	flush()
	var h strings.Builder
	for _, t := range blocks {
		h.WriteString("<p>")
		h.WriteString(html.EscapeString(t))
		h.WriteString("</p>\n")
	}
	out := Rendered{HTML: template.HTML(h.String()), Text: strings.Join(blocks, "\n\n")}
	if len(blocks) > 0 {
		out.Summary = cut(blocks[0], SummaryLen)
	}
	return out
}
