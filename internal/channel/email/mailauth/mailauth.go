package mailauth

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"
)

// Result words of RFC 8601, used for SPF, DKIM and DMARC alike (DKIM and
// DMARC never give softfail or neutral).
const (
	Pass      = "pass"
	Fail      = "fail"
	SoftFail  = "softfail"
	Neutral   = "neutral"
	None      = "none"
	TempError = "temperror"
	PermError = "permerror"
)

// Resolver is the DNS this package needs; *net.Resolver satisfies it.
// Names are passed fully qualified, with a trailing dot. A name that does
// not exist or has no records of the type must give a *net.DNSError with
// IsNotFound set; any other error is taken as temporary.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
}

// Input is one message as the SMTP server received it.
type Input struct {
	RemoteIP net.IP // the connecting client
	Helo     string // EHLO/HELO name
	MailFrom string // envelope sender, "" for bounces (then SPF checks the HELO domain)
	Message  []byte // the raw message as received (header and body, CRLF line ends)
	// Now is when the message is verified, for DKIM signatures' expiry;
	// zero means time.Now().
	Now time.Time
}

// Result is what Verify found.
type Result struct {
	SPF, DKIM, DMARC string // RFC 8601 result words: pass, fail, softfail, neutral, none, temperror, permerror
	// SPFDomain is the domain SPF checked: the envelope sender's, or the
	// HELO name's when SPFScope is "helo".
	SPFDomain string
	SPFScope  string // "mailfrom" or "helo"
	// DKIMDomain is the d= of the signature that passed (one aligned with
	// From when there is one), else of the first signature.
	DKIMDomain string
	FromDomain string // the domain of the From header field
	// DMARCPolicy is the policy the From domain asks for when DMARC
	// fails: none, quarantine or reject ("" if it publishes no record).
	DMARCPolicy string
	Reason      string // short human-readable why, for the agent UI (English)
}

// Verify checks SPF, DKIM and DMARC for one message. It never fails: DNS
// trouble shows as temperror, broken records and signatures as permerror.
// ctx bounds all DNS lookups; give it a deadline (the SMTP server should
// not keep a client waiting for more than some seconds).
func Verify(ctx context.Context, r Resolver, in Input) Result {
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	fields, body := splitMessage(in.Message)

	var res Result
	var reasons []string

	spf := checkSPF(ctx, r, in)
	res.SPF, res.SPFDomain, res.SPFScope = spf.result, spf.domain, spf.scope
	reasons = append(reasons, "SPF "+spf.result+": "+spf.reason)

	from, fromErr := fromDomain(fields)
	res.FromDomain = from

	sigs, ignored := verifyDKIM(ctx, r, fields, body, now)
	best := bestSignature(sigs, from)
	if best < 0 {
		res.DKIM = None
		reasons = append(reasons, "DKIM none: the message is not signed")
	} else {
		s := sigs[best]
		res.DKIM, res.DKIMDomain = s.result, s.domain
		why := "DKIM " + s.result + ": " + s.reason
		if n := len(sigs) - 1; n > 0 {
			why += " (" + plural(n, "other signature") + " checked)"
		}
		if ignored > 0 {
			why += " (" + plural(ignored, "more signature") + " ignored)"
		}
		reasons = append(reasons, why)
	}

	if fromErr != nil {
		res.DMARC = PermError
		reasons = append(reasons, "DMARC permerror: "+fromErr.Error())
	} else {
		d := checkDMARC(ctx, r, from, spf, sigs)
		res.DMARC, res.DMARCPolicy = d.result, d.policy
		reasons = append(reasons, "DMARC "+d.result+": "+d.reason)
	}
	res.Reason = strings.Join(reasons, "; ")
	return res
}

// bestSignature picks the signature to report: a pass aligned with the
// From domain, else any pass, else the first. -1 when there is none.
func bestSignature(sigs []sigResult, from string) int {
	best := -1
	for i, s := range sigs {
		if s.result != Pass {
			continue
		}
		if from != "" && aligned(s.domain, from, false) {
			return i
		}
		if best < 0 {
			best = i
		}
	}
	if best < 0 && len(sigs) > 0 {
		// Report the most telling failure: a signature that was checked
		// and failed says more than one whose key was missing.
		best = 0
		for i, s := range sigs {
			if rank(s.result) > rank(sigs[best].result) {
				best = i
			}
		}
	}
	return best
}

func rank(result string) int {
	switch result {
	case Fail:
		return 3
	case TempError:
		return 2
	case PermError:
		return 1
	}
	return 0
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// Header returns the value of an Authentication-Results field (RFC 8601)
// for r, on one line, e.g. "mx.example.nl; spf=pass
// smtp.mailfrom=example.org; dkim=pass header.d=example.org; dmarc=pass
// (p=reject) header.from=example.org". Put "Authentication-Results: " in
// front of it. authservID names this server (usually its host name).
func (r Result) Header(authservID string) string {
	var b strings.Builder
	id := tokenOnly(authservID)
	if id == "" {
		id = "localhost"
	}
	b.WriteString(id)
	b.WriteString("; spf=")
	b.WriteString(word(r.SPF))
	if r.SPFDomain != "" {
		if r.SPFScope == "helo" {
			b.WriteString(" smtp.helo=")
		} else {
			b.WriteString(" smtp.mailfrom=")
		}
		b.WriteString(value(r.SPFDomain))
	}
	b.WriteString("; dkim=")
	b.WriteString(word(r.DKIM))
	if r.DKIMDomain != "" {
		b.WriteString(" header.d=")
		b.WriteString(value(r.DKIMDomain))
	}
	b.WriteString("; dmarc=")
	b.WriteString(word(r.DMARC))
	if r.DMARCPolicy != "" {
		b.WriteString(" (p=")
		b.WriteString(word(r.DMARCPolicy))
		b.WriteString(")")
	}
	if r.FromDomain != "" {
		b.WriteString(" header.from=")
		b.WriteString(value(r.FromDomain))
	}
	return b.String()
}

// word returns a result word as is when it is one, else "none": a Result
// built by hand must not smuggle text into the header.
func word(w string) string {
	switch w {
	case Pass, Fail, SoftFail, Neutral, TempError, PermError, "policy",
		"quarantine", "reject":
		return w
	}
	return None
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '-' || c == '_'
}

// tokenOnly keeps the characters of s that may stand in a token.
func tokenOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 255; i++ {
		if isTokenChar(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// value writes a property value as a token, or quoted when it is not one
// (RFC 8601 2.2), dropping control characters.
func value(s string) string {
	plain := s != ""
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c == 0x7f:
			continue
		case c == '"' || c == '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// DNS.

type outcome int

const (
	found  outcome = iota
	void           // the name or the records do not exist
	failed         // timeout, server failure: try again later
)

func classify(err error) outcome {
	if err == nil {
		return found
	}
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return void
	}
	return failed
}

func fqdn(name string) string {
	return strings.TrimSuffix(name, ".") + "."
}

// normalizeDomain lower-cases a domain and drops a trailing dot.
func normalizeDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

// validDomain says whether d is a multi-label domain name of sane syntax
// (RFC 1035 lengths; any characters but dots and spaces in a label, as
// SPF macros and underscore names need them).
func validDomain(d string) bool {
	if len(d) == 0 || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if len(label) == 0 || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; c <= ' ' || c == 0x7f {
				return false
			}
		}
	}
	return true
}

// validHostname is validDomain for names that must be host names: the
// SPF identity, d= and the From domain. Letters, digits, "-" and "_"
// (seen in real d= values) only; anything else, such as the address
// literal "[192.0.2.1]" as a HELO name, is no domain to check.
func validHostname(d string) bool {
	if !validDomain(d) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if !isTokenChar(d[i]) {
			return false
		}
	}
	return true
}

// isSubdomain says whether d is parent or below it.
func isSubdomain(d, parent string) bool {
	return d == parent || strings.HasSuffix(d, "."+parent)
}
