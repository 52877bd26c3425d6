package mailauth

import (
	"bytes"
	"errors"
	"net/mail"
	"strings"
)

// field is one header field as received.
type field struct {
	name string // lower case, trimmed
	raw  string // the whole field, folded lines joined by CRLF, without the final CRLF
}

// value returns what follows the colon.
func (f field) value() string {
	_, v, _ := strings.Cut(f.raw, ":")
	return v
}

// splitMessage separates the header fields from the body. Bare LF line
// ends are read as CRLF. A line before the blank line that is neither a
// field nor a continuation is kept as a field without a name, so that it
// is never signed and never matched.
func splitMessage(msg []byte) (fields []field, body []byte) {
	rest := msg
	for len(rest) > 0 {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) == 0 {
			return fields, rest
		}
		if (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			fields[len(fields)-1].raw += "\r\n" + string(line)
			continue
		}
		f := field{raw: string(line)}
		if name, _, ok := strings.Cut(f.raw, ":"); ok {
			f.name = strings.ToLower(strings.TrimRight(name, " \t"))
		}
		fields = append(fields, f)
	}
	return fields, nil
}

const maxTags = 64

var errTags = errors.New("malformed tag list")

// parseTags reads a tag list (RFC 6376 3.2), used by DKIM signatures,
// DKIM keys and DMARC records: "name=value; name=value". Whitespace
// around names and values is dropped; a duplicate name, a name of other
// characters than letters, digits and "_", or more than maxTags tags is
// an error.
func parseTags(s string) (map[string]string, []string, error) {
	tags := map[string]string{}
	var order []string
	for spec := range strings.SplitSeq(s, ";") {
		if trimFWS(spec) == "" {
			continue
		}
		name, val, ok := strings.Cut(spec, "=")
		name = trimFWS(name)
		if !ok || !validTagName(name) {
			return nil, nil, errTags
		}
		if _, dup := tags[name]; dup {
			return nil, nil, errTags
		}
		if len(order) == maxTags {
			return nil, nil, errTags
		}
		tags[name] = trimFWS(val)
		order = append(order, name)
	}
	return tags, order, nil
}

func validTagName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '_')) {
			return false
		}
	}
	return true
}

func trimFWS(s string) string { return strings.Trim(s, " \t\r\n") }

// stripFWS removes all whitespace, as base64 tag values may be folded.
func stripFWS(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

// fromDomain returns the domain of the message's author: the From field
// must occur once, and its addresses (usually one) must share a domain.
func fromDomain(fields []field) (string, error) {
	var from []field
	for _, f := range fields {
		if f.name == "from" {
			from = append(from, f)
		}
	}
	switch len(from) {
	case 0:
		return "", errors.New("the message has no From field")
	case 1:
	default:
		return "", errors.New("the message has more than one From field")
	}
	v := strings.ReplaceAll(from[0].value(), "\r\n", "")
	var domains []string
	if list, err := mail.ParseAddressList(v); err == nil {
		for _, a := range list {
			domains = append(domains, domainOf(a.Address))
		}
	} else {
		// Mail from the wild often has a From that net/mail refuses (raw
		// 8-bit names, stray quotes): the address in angle brackets, or
		// the last word with an @, is what mail clients show.
		addr := v
		if i := strings.LastIndexByte(v, '<'); i >= 0 {
			addr = v[i+1:]
			if j := strings.IndexByte(addr, '>'); j >= 0 {
				addr = addr[:j]
			}
		} else if ws := strings.Fields(v); len(ws) > 0 {
			addr = ws[len(ws)-1]
		}
		domains = append(domains, domainOf(addr))
	}
	d := ""
	for _, x := range domains {
		if !validHostname(x) {
			return "", errors.New("the From field has no valid domain")
		}
		if d != "" && x != d {
			return "", errors.New("the From field names more than one domain")
		}
		d = x
	}
	if d == "" {
		return "", errors.New("the From field has no address")
	}
	return d, nil
}

// domainOf returns the normalised domain of an address.
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return normalizeDomain(strings.Trim(addr[i+1:], "<> \t"))
}
