package markdown

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/util"
)

// blocks appends the plain text of every text block under n to out, in
// document order, skipping empty ones.
func (w *walker) blocks(n ast.Node, out []string) []string {
	// An explicit stack, like transform: deeply nested quotes and lists
	// must not grow the goroutine stack without bound.
	stack := []ast.Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if t, leaf := w.blockText(n); leaf {
			if t != "" {
				out = append(out, t)
			}
			continue
		}
		// Push children in reverse so the first is visited first.
		for c := n.LastChild(); c != nil; c = c.PreviousSibling() {
			stack = append(stack, c)
		}
	}
	return out
}

// blockText returns the text of a leaf block, and false for containers
// (document, lists, items, quotes) whose children hold the text.
func (w *walker) blockText(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock, *ast.Heading:
		return w.inline(n), true
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		var b strings.Builder
		lines := n.Lines()
		for i := range lines.Len() {
			seg := lines.At(i)
			b.Write(seg.Value(w.src))
		}
		return strings.TrimRight(b.String(), " \t\r\n"), true
	case *east.Table:
		var rows []string
		for row := n.FirstChild(); row != nil; row = row.NextSibling() {
			var cells []string
			for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
				if t := w.inline(cell); t != "" {
					cells = append(cells, t)
				}
			}
			if len(cells) > 0 {
				rows = append(rows, strings.Join(cells, "\t"))
			}
		}
		return strings.Join(rows, "\n"), true
	case *ast.HTMLBlock, *ast.ThematicBreak, *ast.LinkReferenceDefinition:
		return "", true
	}
	return "", false
}

// inline returns the plain text of n's inline content with runs of white
// space collapsed to one space.
func (w *walker) inline(n ast.Node) string {
	var b strings.Builder
	inlineText(&b, n, w.src)
	return collapse(b.String())
}

// inlineText writes the text of n's inline descendants to b: text, code,
// link and image text; no raw HTML, no check boxes.
func inlineText(b *strings.Builder, n ast.Node, src []byte) {
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			v := c.Value(src)
			if c.IsRaw() {
				b.Write(v)
			} else {
				b.Write(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v))))
			}
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.AutoLink:
			b.Write(c.Label(src))
			return ast.WalkSkipChildren, nil
		case *ast.RawHTML, *east.TaskCheckBox:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
}

// collapse trims s and turns every run of white space into one space.
func collapse(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// firstParagraph returns the text of the first top-level paragraph, or ""
// when the body has none.
func (w *walker) firstParagraph(doc ast.Node) string {
	for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
		if p, ok := c.(*ast.Paragraph); ok {
			if t := w.inline(p); t != "" {
				return t
			}
		}
	}
	return ""
}

// summary returns the first paragraph, or else the first block, cut to
// SummaryLen runes.
func summary(first string, blocks []string) string {
	if first == "" && len(blocks) > 0 {
		first = collapse(blocks[0])
	}
	return cut(first, SummaryLen)
}

// cut shortens s to at most n runes, "…" included, at a word boundary when
// there is one in the second half.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	// Byte offset of the first rune that no longer fits with the "…".
	end, i := 0, 0
	for j := range s {
		if i == n-1 {
			end = j
			break
		}
		i++
	}
	head := s[:end]
	if sp := strings.LastIndexByte(head, ' '); sp > len(head)/2 {
		head = head[:sp]
	}
	head = strings.TrimRightFunc(head, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-–—(", r)
	})
	return head + "…"
}

// steps returns the items of the first top-level ordered list with at least
// two items.
func (w *walker) steps(doc ast.Node) []string {
	for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
		list, ok := c.(*ast.List)
		if !ok || !list.IsOrdered() || list.ChildCount() < 2 {
			continue
		}
		var steps []string
		for item := list.FirstChild(); item != nil; item = item.NextSibling() {
			steps = append(steps, strings.Join(w.blocks(item, nil), " "))
		}
		return steps
	}
	return nil
}
