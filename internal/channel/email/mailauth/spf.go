package mailauth

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Limits of RFC 7208 4.6.4, and ours on a record's size.
const (
	maxSPFLookups    = 10 // include, a, mx, ptr, exists, redirect
	maxVoidLookups   = 2
	maxMXNames       = 10
	maxSPFTerms      = 200
	maxMacroExpand   = 1024
	maxMacroDigits   = 128
	spfHeloScope     = "helo"
	spfMailfromScope = "mailfrom"
)

// spfResult is the outcome of the SPF check for the Result.
type spfResult struct {
	result, domain, scope, reason string
}

// checkSPF runs check_host (RFC 7208 4) for the envelope sender, or for
// the HELO name when the sender is empty.
func checkSPF(ctx context.Context, r Resolver, in Input) spfResult {
	helo := normalizeDomain(in.Helo)
	sender := strings.Trim(strings.TrimSpace(in.MailFrom), "<>")
	out := spfResult{scope: spfMailfromScope}
	local, domain := "", ""
	if sender == "" {
		out.scope = spfHeloScope
		local, domain = "postmaster", helo
	} else if i := strings.LastIndexByte(sender, '@'); i >= 0 {
		local, domain = sender[:i], normalizeDomain(sender[i+1:])
	} else {
		local, domain = "postmaster", normalizeDomain(sender)
	}
	if local == "" {
		local = "postmaster"
	}
	out.domain = domain
	if !validHostname(domain) {
		out.result, out.reason = None, "no domain to check"
		if out.domain != "" {
			out.reason = strconv.Quote(domain) + " is not a domain name"
		}
		out.domain = ""
		return out
	}
	ip, ok := netip.AddrFromSlice(in.RemoteIP)
	if !ok {
		out.result, out.reason = None, "the client's address is unknown"
		return out
	}
	e := &spfEval{r: r, ip: ip.Unmap(), local: local, senderDomain: domain, helo: helo}
	e.sender = local + "@" + domain
	res, why := e.checkHost(ctx, domain, true)
	out.result = res
	addr := e.ip.String()
	switch res {
	case Pass:
		out.reason = domain + " allows " + addr + " to send its mail"
	case Fail:
		out.reason = domain + " does not allow " + addr + " to send its mail"
	case SoftFail:
		out.reason = domain + " probably does not allow " + addr + " to send its mail"
	case Neutral:
		out.reason = domain + " says nothing about " + addr
	default:
		out.reason = why
	}
	return out
}

// spfEval is one evaluation of check_host with its shared lookup counts.
type spfEval struct {
	r                   Resolver
	ip                  netip.Addr
	sender, local, helo string
	senderDomain        string
	lookups, voids      int
}

// errSPF carries a permerror or temperror out of the term evaluation.
type errSPF struct{ result, reason string }

func (e *errSPF) Error() string { return e.result + ": " + e.reason }

func permErr(reason string) error { return &errSPF{PermError, reason} }

// checkHost evaluates the SPF record of domain. top is false for include
// and redirect targets, whose missing records are reported by the caller.
func (e *spfEval) checkHost(ctx context.Context, domain string, top bool) (result, reason string) {
	txts, err := e.r.LookupTXT(ctx, fqdn(domain))
	switch classify(err) {
	case failed:
		return TempError, "DNS error looking up the SPF record of " + domain
	case void:
		if !top {
			if verr := e.void(); verr != nil {
				return splitErr(verr)
			}
		}
		return None, domain + " publishes no SPF record"
	}
	var recs []string
	for _, t := range txts {
		if isSPFRecord(t) {
			recs = append(recs, t)
		}
	}
	switch len(recs) {
	case 0:
		return None, domain + " publishes no SPF record"
	case 1:
	default:
		return PermError, domain + " publishes more than one SPF record"
	}
	rec, err := parseSPF(recs[0])
	if err != nil {
		return PermError, "the SPF record of " + domain + " is malformed: " + err.Error()
	}
	for _, t := range rec.terms {
		match, err := e.match(ctx, t, domain)
		if err != nil {
			return splitErr(err)
		}
		if match {
			return qualifierResult(t.qualifier), ""
		}
	}
	if rec.redirect == "" {
		return Neutral, ""
	}
	if err := e.count(); err != nil {
		return splitErr(err)
	}
	target, err := e.expand(rec.redirect, domain)
	if err != nil {
		return splitErr(err)
	}
	res, why := e.checkHost(ctx, target, false)
	if res == None {
		return PermError, "redirect=" + target + " of " + domain + " has no SPF record"
	}
	return res, why
}

func splitErr(err error) (string, string) {
	var se *errSPF
	if errors.As(err, &se) {
		return se.result, se.reason
	}
	return PermError, err.Error()
}

func isSPFRecord(t string) bool {
	return len(t) >= 6 && strings.EqualFold(t[:6], "v=spf1") && (len(t) == 6 || t[6] == ' ')
}

func qualifierResult(q byte) string {
	switch q {
	case '-':
		return Fail
	case '~':
		return SoftFail
	case '?':
		return Neutral
	}
	return Pass
}

// count counts a term that queries DNS.
func (e *spfEval) count() error {
	e.lookups++
	if e.lookups > maxSPFLookups {
		return permErr("more than 10 DNS lookups in the SPF records")
	}
	return nil
}

// void counts a lookup that found nothing.
func (e *spfEval) void() error {
	e.voids++
	if e.voids > maxVoidLookups {
		return permErr("more than 2 SPF lookups found nothing")
	}
	return nil
}

func (e *spfEval) match(ctx context.Context, t spfTerm, domain string) (bool, error) {
	switch t.name {
	case "all":
		return true, nil
	case "ip4", "ip6":
		return t.prefix.Contains(e.ip), nil
	}
	if err := e.count(); err != nil {
		return false, err
	}
	target := domain
	if t.arg != "" {
		var err error
		if target, err = e.expand(t.arg, domain); err != nil {
			return false, err
		}
	}
	switch t.name {
	case "include":
		res, why := e.checkHost(ctx, target, false)
		switch res {
		case Pass:
			return true, nil
		case Fail, SoftFail, Neutral:
			return false, nil
		case TempError:
			return false, &errSPF{TempError, why}
		case None:
			return false, permErr("include:" + target + " has no SPF record")
		}
		return false, &errSPF{PermError, why}
	case "a":
		addrs, err := e.addrs(ctx, target)
		if err != nil {
			return false, err
		}
		return e.inAny(addrs, t), nil
	case "mx":
		mxs, err := e.r.LookupMX(ctx, fqdn(target))
		switch classify(err) {
		case failed:
			return false, &errSPF{TempError, "DNS error looking up the MX of " + target}
		case void:
			return false, e.void()
		}
		if len(mxs) > maxMXNames {
			return false, permErr(target + " has more than 10 MX records")
		}
		for _, mx := range mxs {
			host := normalizeDomain(mx.Host)
			if host == "" { // null MX (RFC 7505)
				continue
			}
			ips, err := e.r.LookupIPAddr(ctx, fqdn(host))
			switch classify(err) {
			case failed:
				return false, &errSPF{TempError, "DNS error looking up " + host}
			case void:
				continue
			}
			if e.inAny(ips, t) {
				return true, nil
			}
		}
		return false, nil
	case "exists":
		addrs, err := e.addrs(ctx, target)
		if err != nil {
			return false, err
		}
		for _, a := range addrs {
			if a.IP.To4() != nil {
				return true, nil
			}
		}
		return false, nil
	}
	// ptr: RFC 7208 5.5 says not to use it; it counts as a lookup and
	// never matches.
	return false, nil
}

func (e *spfEval) addrs(ctx context.Context, host string) ([]net.IPAddr, error) {
	ips, err := e.r.LookupIPAddr(ctx, fqdn(host))
	switch classify(err) {
	case failed:
		return nil, &errSPF{TempError, "DNS error looking up " + host}
	case void:
		return nil, e.void()
	}
	if len(ips) == 0 {
		return nil, e.void()
	}
	return ips, nil
}

// inAny says whether the client is in the network of one of addrs with
// the term's prefix lengths.
func (e *spfEval) inAny(addrs []net.IPAddr, t spfTerm) bool {
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		bits := t.cidr6
		if ip.Is4() {
			bits = t.cidr4
		}
		if ip.Is4() != e.ip.Is4() {
			continue
		}
		p, err := ip.Prefix(bits)
		if err == nil && p.Contains(e.ip) {
			return true
		}
	}
	return false
}

// Record syntax.

type spfTerm struct {
	qualifier    byte   // + - ~ ?
	name         string // all include a mx ptr ip4 ip6 exists
	arg          string // the domain-spec, not yet expanded
	prefix       netip.Prefix
	cidr4, cidr6 int
}

type spfRecord struct {
	terms    []spfTerm
	redirect string
}

// parseSPF parses a whole record; RFC 7208 4.6 wants a syntax error
// anywhere to be a permerror before anything is evaluated.
func parseSPF(rec string) (spfRecord, error) {
	var out spfRecord
	words := strings.Split(rec, " ")[1:]
	if len(words) > maxSPFTerms {
		return out, errors.New("too many terms")
	}
	seenExp := false
	for _, w := range words {
		if w == "" {
			continue
		}
		if i := strings.IndexAny(w, ":/="); i > 0 && w[i] == '=' {
			name := strings.ToLower(w[:i])
			if !validModifierName(name) {
				return out, errors.New("bad modifier " + strconv.Quote(name))
			}
			switch name {
			case "redirect":
				if out.redirect != "" || w[i+1:] == "" {
					return out, errors.New("bad redirect")
				}
				out.redirect = w[i+1:]
			case "exp":
				if seenExp {
					return out, errors.New("exp given twice")
				}
				seenExp = true
			}
			continue
		}
		t, err := parseTerm(w)
		if err != nil {
			return out, err
		}
		out.terms = append(out.terms, t)
	}
	return out, nil
}

func validModifierName(n string) bool {
	for i := 0; i < len(n); i++ {
		c := n[i]
		letter := c >= 'a' && c <= 'z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')) {
			return false
		}
	}
	return n != ""
}

func parseTerm(w string) (spfTerm, error) {
	t := spfTerm{qualifier: '+', cidr4: 32, cidr6: 128}
	if strings.IndexByte("+-~?", w[0]) >= 0 {
		t.qualifier, w = w[0], w[1:]
	}
	name, rest := w, ""
	if i := strings.IndexAny(w, ":/"); i >= 0 {
		name, rest = w[:i], w[i:]
	}
	t.name = strings.ToLower(name)
	bad := errors.New("bad term " + strconv.Quote(w))
	switch t.name {
	case "all":
		if rest != "" {
			return t, bad
		}
	case "include", "exists":
		if len(rest) < 2 || rest[0] != ':' {
			return t, bad
		}
		t.arg = rest[1:]
	case "ptr":
		if rest != "" {
			if len(rest) < 2 || rest[0] != ':' {
				return t, bad
			}
			t.arg = rest[1:]
		}
	case "a", "mx":
		spec, c4, c6, ok := splitDualCIDR(rest)
		if !ok {
			return t, bad
		}
		t.cidr4, t.cidr6 = c4, c6
		if spec != "" {
			if len(spec) < 2 || spec[0] != ':' {
				return t, bad
			}
			t.arg = spec[1:]
		}
	case "ip4", "ip6":
		if len(rest) < 2 || rest[0] != ':' {
			return t, bad
		}
		addr, length, hasLen := strings.Cut(rest[1:], "/")
		ip, err := netip.ParseAddr(addr)
		if err != nil || ip.Zone() != "" || ip.Is4() != (t.name == "ip4") {
			return t, bad
		}
		bits := ip.BitLen()
		if hasLen {
			n, ok := cidrLength(length, ip.BitLen())
			if !ok {
				return t, bad
			}
			bits = n
		}
		t.prefix, err = ip.Prefix(bits)
		if err != nil {
			return t, bad
		}
	default:
		return t, errors.New("unknown mechanism " + strconv.Quote(name))
	}
	return t, nil
}

// splitDualCIDR takes "[:domain][/n][//m]" apart.
func splitDualCIDR(s string) (spec string, c4, c6 int, ok bool) {
	c4, c6 = 32, 128
	if i := strings.LastIndex(s, "//"); i >= 0 {
		if c6, ok = cidrLength(s[i+2:], 128); !ok {
			return "", 0, 0, false
		}
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		if c4, ok = cidrLength(s[i+1:], 32); !ok {
			return "", 0, 0, false
		}
		s = s[:i]
	}
	return s, c4, c6, true
}

func cidrLength(s string, max int) (int, bool) {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max {
		return 0, false
	}
	return n, true
}

// Macros (RFC 7208 7).

// expand expands the macros in a domain-spec and returns the domain to
// look up, shortened to 253 characters from the left as 7.3 says.
func (e *spfEval) expand(spec, domain string) (string, error) {
	if !strings.Contains(spec, "%") {
		d := normalizeDomain(spec)
		if !validDomain(d) {
			return "", permErr(strconv.Quote(spec) + " is not a domain name")
		}
		return d, nil
	}
	var b strings.Builder
	for i := 0; i < len(spec); i++ {
		c := spec[i]
		if c != '%' {
			if c < 0x21 || c > 0x7e {
				return "", permErr("bad character in " + strconv.Quote(spec))
			}
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(spec) {
			return "", permErr("a lone % in " + strconv.Quote(spec))
		}
		switch spec[i] {
		case '%':
			b.WriteByte('%')
		case '_':
			b.WriteByte(' ')
		case '-':
			b.WriteString("%20")
		case '{':
			end := strings.IndexByte(spec[i:], '}')
			if end < 0 {
				return "", permErr("unclosed macro in " + strconv.Quote(spec))
			}
			v, err := e.macro(spec[i+1:i+end], domain)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end
		default:
			return "", permErr("bad macro in " + strconv.Quote(spec))
		}
		if b.Len() > maxMacroExpand {
			return "", permErr("macro expands too far")
		}
	}
	d := strings.TrimSuffix(strings.ToLower(b.String()), ".")
	for len(d) > 253 {
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
	}
	if !validDomain(d) {
		return "", permErr(strconv.Quote(spec) + " does not expand to a domain name")
	}
	return d, nil
}

// macro expands the inside of one %{...}.
func (e *spfEval) macro(m, domain string) (string, error) {
	bad := permErr("bad macro %{" + m + "}")
	if m == "" {
		return "", bad
	}
	letter := m[0]
	upper := letter >= 'A' && letter <= 'Z'
	if upper {
		letter += 'a' - 'A'
	}
	var v string
	switch letter {
	case 's':
		v = e.sender
	case 'l':
		v = e.local
	case 'o':
		v = e.senderDomain
	case 'd':
		v = domain
	case 'h':
		v = e.helo
	case 'i':
		v = ipMacro(e.ip)
	case 'v':
		v = "in-addr"
		if e.ip.Is6() {
			v = "ip6"
		}
	case 'p':
		// The validated PTR name is not looked up: "unknown" is what 7.3
		// says to use when there is none.
		v = "unknown"
	default:
		// c, r and t are for exp only.
		return "", bad
	}
	rest := m[1:]
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	keep := 0
	if digits > 0 {
		n, err := strconv.Atoi(rest[:digits])
		if err != nil || n == 0 || n > maxMacroDigits {
			return "", bad
		}
		keep = n
	}
	rest = rest[digits:]
	reverse := false
	if rest != "" && (rest[0] == 'r' || rest[0] == 'R') {
		reverse, rest = true, rest[1:]
	}
	delims := "."
	if rest != "" {
		for i := 0; i < len(rest); i++ {
			if strings.IndexByte(".-+,/_=", rest[i]) < 0 {
				return "", bad
			}
		}
		delims = rest
	}
	parts := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(delims, r) })
	if reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if keep > 0 && keep < len(parts) {
		parts = parts[len(parts)-keep:]
	}
	v = strings.Join(parts, ".")
	if upper {
		v = urlEscape(v)
	}
	return v, nil
}

// ipMacro is %{i}: dotted decimal, or dotted nibbles for IPv6.
func ipMacro(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	for i, x := range ip.As16() {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteByte(hex[x>>4])
		b.WriteByte('.')
		b.WriteByte(hex[x&0xf])
	}
	return b.String()
}

// urlEscape escapes all but RFC 3986 unreserved characters.
func urlEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}
