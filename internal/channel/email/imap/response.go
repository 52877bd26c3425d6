package imap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits on what one server response may hold. A server is configured by
// an admin, not by a customer, but a broken or hostile one must still not
// exhaust memory.
const (
	// maxLineBytes bounds the text of one response, outside its literals;
	// a SEARCH answer for a mailbox with many unseen mails is the longest.
	maxLineBytes = 8 << 20
	// maxDepth bounds nested parenthesised lists.
	maxDepth = 16
)

// errProtocol marks a response the client cannot understand; the
// connection is unusable afterwards.
var errProtocol = errors.New("imap: protocol error")

// atom is an IMAP atom (OK, FETCH, \Seen, BODY[], 12), as opposed to a
// quoted string or a literal, which are a string and a []byte.
type atom string

// tooLarge stands for a literal larger than the client accepts: its bytes
// were read and thrown away so that the connection stays in step.
type tooLarge struct{ size int64 }

// response is one server response: a tagged or untagged status, untagged
// data, or a continuation request.
type response struct {
	tag string // "*" for untagged, "+" for a continuation request
	// num is the number before an untagged EXISTS, EXPUNGE, RECENT or
	// FETCH; kind is that keyword or the first atom, upper-cased (OK, NO,
	// BAD, BYE, PREAUTH, CAPABILITY, SEARCH, FLAGS...).
	num  uint32
	kind string
	// For status responses and continuations: the response code between
	// brackets (without them) and the human-readable text.
	code, text string
	// fields are the remaining tokens of data responses.
	fields []any
}

// isStatus reports whether r is an OK, NO, BAD, BYE or PREAUTH response.
func (r *response) isStatus() bool {
	switch r.kind {
	case "OK", "NO", "BAD", "BYE", "PREAUTH":
		return true
	}
	return false
}

// reader parses server responses from a buffered stream.
type reader struct {
	r          *bufio.Reader
	maxLiteral int64
	n          int // bytes of text read in the current response
}

func (p *reader) readByte() (byte, error) {
	if p.n++; p.n > maxLineBytes {
		return 0, fmt.Errorf("%w: response longer than %d bytes", errProtocol, maxLineBytes)
	}
	return p.r.ReadByte()
}

// peek checks the limit too: every loop over the input peeks first.
func (p *reader) peek() (byte, error) {
	if p.n >= maxLineBytes {
		return 0, fmt.Errorf("%w: response longer than %d bytes", errProtocol, maxLineBytes)
	}
	b, err := p.r.Peek(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// next reads one complete response, literals included.
func (p *reader) next() (*response, error) {
	p.n = 0
	tag, err := p.word()
	if err != nil {
		return nil, err
	}
	if tag == "" {
		return nil, fmt.Errorf("%w: response without a tag", errProtocol)
	}
	r := &response{tag: tag}
	if tag == "+" {
		if c, err := p.peek(); err == nil && c == ' ' {
			p.readByte()
		}
		r.text, err = p.restOfLine()
		return r, err
	}
	if err := p.space(); err != nil {
		return nil, err
	}
	w, err := p.word()
	if err != nil {
		return nil, err
	}
	if n, err := strconv.ParseUint(w, 10, 32); err == nil && tag == "*" {
		r.num = uint32(n)
		if err := p.space(); err != nil {
			return nil, err
		}
		if w, err = p.word(); err != nil {
			return nil, err
		}
	}
	r.kind = strings.ToUpper(w)
	if r.isStatus() {
		r.code, r.text, err = p.respText()
		return r, err
	}
	r.fields, err = p.fields(0)
	return r, err
}

// word reads an atom-like token up to a space or the end of the line.
func (p *reader) word() (string, error) {
	var b strings.Builder
	for {
		c, err := p.peek()
		if err != nil {
			return "", err
		}
		if c == ' ' || c == '\r' || c == '\n' {
			return b.String(), nil
		}
		p.readByte()
		b.WriteByte(c)
	}
}

func (p *reader) space() error {
	c, err := p.readByte()
	if err != nil {
		return err
	}
	if c != ' ' {
		return fmt.Errorf("%w: got %q, want a space", errProtocol, c)
	}
	return nil
}

// respText reads "[code] text" up to the end of the line. Some servers
// send a bare "* OK" without text: that is accepted.
func (p *reader) respText() (code, text string, err error) {
	c, err := p.peek()
	if err != nil {
		return "", "", err
	}
	if c == ' ' {
		p.readByte()
		if c, err = p.peek(); err != nil {
			return "", "", err
		}
	}
	if c == '[' {
		p.readByte()
		var b strings.Builder
		for {
			c, err := p.readByte()
			if err != nil {
				return "", "", err
			}
			if c == ']' {
				break
			}
			if c == '\r' || c == '\n' {
				return "", "", fmt.Errorf("%w: unterminated response code", errProtocol)
			}
			b.WriteByte(c)
		}
		code = b.String()
		if c, err := p.peek(); err == nil && c == ' ' {
			p.readByte()
		}
	}
	text, err = p.restOfLine()
	return code, text, err
}

// restOfLine reads up to and including the line ending (CRLF, or a bare
// LF from a sloppy server) and returns the text before it.
func (p *reader) restOfLine() (string, error) {
	var b strings.Builder
	for {
		c, err := p.readByte()
		if err != nil {
			return "", err
		}
		if c == '\n' {
			return strings.TrimSuffix(b.String(), "\r"), nil
		}
		b.WriteByte(c)
	}
}

// fields reads tokens up to the end of the line (depth 0) or the closing
// parenthesis of a list.
func (p *reader) fields(depth int) ([]any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: lists nested too deep", errProtocol)
	}
	var out []any
	for {
		c, err := p.peek()
		if err != nil {
			return nil, err
		}
		switch c {
		case ' ':
			p.readByte()
		case '\r', '\n':
			if depth > 0 {
				return nil, fmt.Errorf("%w: unterminated list", errProtocol)
			}
			if _, err := p.restOfLine(); err != nil {
				return nil, err
			}
			return out, nil
		case '(':
			p.readByte()
			l, err := p.fields(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		case ')':
			if depth == 0 {
				return nil, fmt.Errorf("%w: unbalanced )", errProtocol)
			}
			p.readByte()
			return out, nil
		case '"':
			s, err := p.quoted()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		case '{':
			l, err := p.literal()
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		default:
			a, err := p.atom()
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
	}
}

func (p *reader) quoted() (string, error) {
	p.readByte() // the opening quote
	var b strings.Builder
	for {
		c, err := p.readByte()
		if err != nil {
			return "", err
		}
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if c, err = p.readByte(); err != nil {
				return "", err
			}
		case '\r', '\n':
			return "", fmt.Errorf("%w: line break in quoted string", errProtocol)
		}
		b.WriteByte(c)
	}
}

// atom reads an atom; a section in brackets (BODY[HEADER.FIELDS (From)])
// is part of it, spaces and parentheses included.
func (p *reader) atom() (atom, error) {
	var b strings.Builder
	brackets := 0
	for {
		c, err := p.peek()
		if err != nil {
			return "", err
		}
		if c == '\r' || c == '\n' {
			if brackets > 0 {
				return "", fmt.Errorf("%w: unterminated [", errProtocol)
			}
			return atom(b.String()), nil
		}
		if brackets == 0 && (c == ' ' || c == '(' || c == ')' || c == '"' || c == '{') {
			return atom(b.String()), nil
		}
		switch c {
		case '[':
			brackets++
		case ']':
			brackets = max(0, brackets-1)
		}
		p.readByte()
		b.WriteByte(c)
	}
}

// literal reads {n}CRLF followed by n bytes. A literal over the limit is
// read and discarded, and returned as tooLarge.
func (p *reader) literal() (any, error) {
	p.readByte() // {
	var digits strings.Builder
	for {
		c, err := p.readByte()
		if err != nil {
			return nil, err
		}
		if c == '}' {
			break
		}
		if c == '+' { // a non-synchronising literal, as servers may send with LITERAL+
			continue
		}
		if c < '0' || c > '9' || digits.Len() >= 19 {
			return nil, fmt.Errorf("%w: bad literal length", errProtocol)
		}
		digits.WriteByte(c)
	}
	size, err := strconv.ParseInt(digits.String(), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: bad literal length: %v", errProtocol, err)
	}
	if _, err := p.restOfLine(); err != nil { // CRLF; anything before it is ignored
		return nil, err
	}
	if size > p.maxLiteral {
		if _, err := io.CopyN(io.Discard, p.r, size); err != nil {
			return nil, err
		}
		return tooLarge{size}, nil
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(p.r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// str returns the text of an atom, quoted string or literal.
func str(v any) (string, bool) {
	switch v := v.(type) {
	case atom:
		return string(v), true
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

// num returns the number in an atom.
func num(v any) (uint64, bool) {
	a, ok := v.(atom)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(string(a), 10, 64)
	return n, err == nil
}
