package imap

import (
	"bufio"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// oneByte hands out one byte per Read, as the slowest network would.
type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestReaderNext(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []*response
	}{
		{"greeting with capabilities", "* OK [CAPABILITY IMAP4rev1 IDLE] Dovecot ready.\r\n",
			[]*response{{tag: "*", kind: "OK", code: "CAPABILITY IMAP4rev1 IDLE", text: "Dovecot ready."}}},
		{"tagged NO", "b3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
			[]*response{{tag: "b3", kind: "NO", code: "AUTHENTICATIONFAILED", text: "Authentication failed."}}},
		{"tagged BAD without code", "b4 BAD Error in IMAP command: unknown\r\n",
			[]*response{{tag: "b4", kind: "BAD", text: "Error in IMAP command: unknown"}}},
		{"bare status", "* OK\r\n", []*response{{tag: "*", kind: "OK"}}},
		{"numbered data", "* 23 EXISTS\r\n* 1 RECENT\r\n",
			[]*response{{tag: "*", num: 23, kind: "EXISTS"}, {tag: "*", num: 1, kind: "RECENT"}}},
		{"search", "* SEARCH 2 84 882\r\n",
			[]*response{{tag: "*", kind: "SEARCH", fields: []any{atom("2"), atom("84"), atom("882")}}}},
		{"empty search, bare LF", "* SEARCH\n", []*response{{tag: "*", kind: "SEARCH"}}},
		{"continuation", "+ idling\r\n+\r\n", []*response{{tag: "+", text: "idling"}, {tag: "+"}}},
		{"fetch with a literal", "* 12 FETCH (UID 7 BODY[] {11}\r\nHi\r\nthere\r\n FLAGS (\\Seen))\r\n",
			[]*response{{tag: "*", num: 12, kind: "FETCH", fields: []any{[]any{
				atom("UID"), atom("7"), atom("BODY[]"), []byte("Hi\r\nthere\r\n"), atom("FLAGS"), []any{atom(`\Seen`)},
			}}}}},
		{"literal holding a paren and a fake tag line", "* 1 FETCH (BODY[] {12}\r\n)\r\nb1 OK x\r\n)\r\n",
			[]*response{{tag: "*", num: 1, kind: "FETCH", fields: []any{[]any{atom("BODY[]"), []byte(")\r\nb1 OK x\r\n")}}}}},
		{"section with spaces and parens", "* 2 FETCH (BODY[HEADER.FIELDS (FROM TO)] NIL)\r\n",
			[]*response{{tag: "*", num: 2, kind: "FETCH", fields: []any{[]any{atom("BODY[HEADER.FIELDS (FROM TO)]"), atom("NIL")}}}}},
		{"quoted strings with escapes", `* LIST (\HasNoChildren) "/" "a \"b\" \\c"` + "\r\n",
			[]*response{{tag: "*", kind: "LIST", fields: []any{[]any{atom(`\HasNoChildren`)}, "/", `a "b" \c`}}}},
		{"empty literal", "* 3 FETCH (BODY[] {0}\r\n)\r\n",
			[]*response{{tag: "*", num: 3, kind: "FETCH", fields: []any{[]any{atom("BODY[]"), []byte{}}}}}},
		{"literal too large is skipped, stream stays in step", "* 4 FETCH (UID 9 BODY[] {40}\r\n" + strings.Repeat("x", 40) + ")\r\nb2 OK done\r\n",
			[]*response{
				{tag: "*", num: 4, kind: "FETCH", fields: []any{[]any{atom("UID"), atom("9"), atom("BODY[]"), tooLarge{40}}}},
				{tag: "b2", kind: "OK", text: "done"},
			}},
	}
	for _, tt := range tests {
		for _, split := range []bool{false, true} {
			name := tt.name
			if split {
				name += "/one byte at a time"
			}
			t.Run(name, func(t *testing.T) {
				var src io.Reader = strings.NewReader(tt.in)
				if split {
					src = oneByte{src}
				}
				p := &reader{r: bufio.NewReaderSize(src, 16), maxLiteral: 32}
				for i, want := range tt.want {
					got, err := p.next()
					if err != nil {
						t.Fatalf("response %d: %v", i, err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("response %d:\n got %#v\nwant %#v", i, got, want)
					}
				}
				if _, err := p.next(); err != io.EOF {
					t.Errorf("after the last response: err = %v, want EOF", err)
				}
			})
		}
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"unbalanced close", "* FLAGS (a))\r\n"},
		{"unterminated list", "* FLAGS (a b\r\n"},
		{"bad literal length", "* 1 FETCH (BODY[] {1x}\r\nx)\r\n"},
		{"huge literal length", "* 1 FETCH (BODY[] {99999999999999999999}\r\n"},
		{"too deep", "* X " + strings.Repeat("(", 40) + "\r\n"},
		{"line break in a quoted string", "* LIST () \"/\" \"a\r\nb\"\r\n"},
		{"missing space after tag", "*\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &reader{r: bufio.NewReader(strings.NewReader(tt.in)), maxLiteral: 1 << 20}
			_, err := p.next()
			if !errors.Is(err, errProtocol) {
				t.Errorf("err = %v, want a protocol error", err)
			}
		})
	}
}

func TestReaderLineLimit(t *testing.T) {
	// A never-ending line must end in an error, not in memory exhaustion.
	src := io.MultiReader(strings.NewReader("* SEARCH"), infinite{})
	p := &reader{r: bufio.NewReader(src), maxLiteral: 1}
	if _, err := p.next(); !errors.Is(err, errProtocol) {
		t.Errorf("err = %v, want a protocol error", err)
	}
}

type infinite struct{}

func (infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = " 1"[i%2]
	}
	return len(p), nil
}
