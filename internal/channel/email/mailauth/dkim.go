package mailauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Bounds on the work one message can cause.
const (
	maxSignatures   = 5   // DKIM-Signature fields checked, from the top
	maxSignedFields = 100 // names in h=
	minRSABits      = 1024
	maxRSABits      = 8192
)

// sigResult is the outcome for one DKIM-Signature.
type sigResult struct {
	domain, selector string
	result, reason   string
}

// verifyDKIM checks the first maxSignatures DKIM-Signature fields and
// says how many more it ignored.
func verifyDKIM(ctx context.Context, r Resolver, fields []field, body []byte, now time.Time) (out []sigResult, ignored int) {
	bodies := &bodyCache{raw: body}
	byName := map[string][]int{}
	for i, f := range fields {
		byName[f.name] = append(byName[f.name], i)
	}
	for i, f := range fields {
		if f.name != "dkim-signature" {
			continue
		}
		if len(out) == maxSignatures {
			ignored++
			continue
		}
		out = append(out, verifySignature(ctx, r, fields, byName, i, bodies, now))
	}
	return out, ignored
}

// signature is a parsed DKIM-Signature.
type signature struct {
	algorithm          string // rsa-sha256 or ed25519-sha256
	headerCanon        string // simple or relaxed
	bodyCanon          string
	domain, selector   string
	identity           string // the domain of i=, "" if absent
	signed             []string
	length             int64 // l=, -1 if absent
	expires            int64 // x=, 0 if absent
	bodyHash, sigBytes []byte
}

func verifySignature(ctx context.Context, r Resolver, fields []field, byName map[string][]int, at int, bodies *bodyCache, now time.Time) sigResult {
	sig, err := parseSignature(fields[at].value())
	res := sigResult{domain: sig.domain, selector: sig.selector}
	by := " (d=" + sig.domain + ")"
	if sig.domain == "" {
		by = ""
	}
	if err != nil {
		res.result, res.reason = PermError, "unusable signature"+by+": "+err.Error()
		return res
	}
	if sig.expires > 0 && now.Unix() > sig.expires {
		res.result, res.reason = Fail, "the signature"+by+" expired on "+time.Unix(sig.expires, 0).UTC().Format("2 Jan 2006")
		return res
	}

	canon := bodies.get(sig.bodyCanon)
	if sig.length >= 0 {
		if sig.length > int64(len(canon)) {
			res.result, res.reason = Fail, "the body is shorter than the signature's l= says"+by
			return res
		}
		canon = canon[:sig.length]
	}
	if bh := sha256.Sum256(canon); !bytes.Equal(bh[:], sig.bodyHash) {
		res.result, res.reason = Fail, "the body was changed after signing"+by
		return res
	}

	name := sig.selector + "._domainkey." + sig.domain
	txts, err := r.LookupTXT(ctx, fqdn(name))
	switch classify(err) {
	case failed:
		res.result, res.reason = TempError, "DNS error looking up the key at "+name
		return res
	case void:
		res.result, res.reason = PermError, "no key published at "+name
		return res
	}
	var key dkimKey
	err = errNoKey
	for _, t := range txts {
		if key, err = parseKey(t, sig.algorithm); err == nil {
			break
		}
	}
	if err != nil {
		res.result, res.reason = PermError, "the key at "+name+" is unusable: "+err.Error()
		return res
	}
	if key.strict && sig.identity != "" && sig.identity != sig.domain {
		res.result, res.reason = PermError, "the key at "+name+" does not allow i= subdomains"
		return res
	}

	digest := headerHash(fields, byName, at, sig)
	switch pub := key.pub.(type) {
	case *rsa.PublicKey:
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig.sigBytes)
	case ed25519.PublicKey:
		if !ed25519.Verify(pub, digest, sig.sigBytes) {
			err = errBadSig
		}
	}
	if err != nil {
		res.result, res.reason = Fail, "the signature"+by+" does not match the signed header fields"
		return res
	}
	res.result, res.reason = Pass, "valid signature by "+sig.domain
	if key.testing {
		res.reason += " (its key is marked as testing)"
	}
	return res
}

var (
	errNoKey  = errors.New("no DKIM key record")
	errBadSig = errors.New("bad signature")
)

// parseSignature reads the tags of a DKIM-Signature (RFC 6376 3.5). It
// fills in d= and s= even when it fails later, for the report.
func parseSignature(v string) (signature, error) {
	sig := signature{length: -1}
	tags, _, err := parseTags(v)
	if err != nil {
		return sig, err
	}
	sig.domain = normalizeDomain(tags["d"])
	sig.selector = strings.ToLower(tags["s"])
	for _, t := range []string{"v", "a", "b", "bh", "d", "h", "s"} {
		if _, ok := tags[t]; !ok {
			return sig, errors.New("no " + t + "= tag")
		}
	}
	if tags["v"] != "1" {
		return sig, errors.New("unknown version v=" + clip(tags["v"]))
	}
	if !validHostname(sig.domain) {
		return sig, errors.New("d= is not a domain name")
	}
	if !validSelector(sig.selector) {
		return sig, errors.New("s= is not a selector")
	}
	switch a := strings.ToLower(tags["a"]); a {
	case "rsa-sha256", "ed25519-sha256":
		sig.algorithm = a
	case "rsa-sha1":
		return sig, errors.New("rsa-sha1 is too weak to trust (RFC 8301)")
	default:
		return sig, errors.New("unknown algorithm " + clip(a))
	}
	sig.headerCanon, sig.bodyCanon = "simple", "simple"
	if c, ok := tags["c"]; ok {
		h, b, hasBody := strings.Cut(strings.ToLower(c), "/")
		if !hasBody {
			b = "simple"
		}
		if !isCanon(h) || !isCanon(b) {
			return sig, errors.New("unknown canonicalization " + clip(c))
		}
		sig.headerCanon, sig.bodyCanon = h, b
	}
	from := false
	for n := range strings.SplitSeq(tags["h"], ":") {
		n = strings.ToLower(trimFWS(n))
		if n == "" {
			return sig, errors.New("empty name in h=")
		}
		if len(sig.signed) == maxSignedFields {
			return sig, errors.New("too many names in h=")
		}
		from = from || n == "from"
		sig.signed = append(sig.signed, n)
	}
	if !from {
		return sig, errors.New("the From header is not signed")
	}
	if i, ok := tags["i"]; ok {
		at := strings.LastIndexByte(i, '@')
		if at < 0 {
			return sig, errors.New("i= is not an identity")
		}
		sig.identity = normalizeDomain(i[at+1:])
		if !isSubdomain(sig.identity, sig.domain) {
			return sig, errors.New("i= is not in the d= domain")
		}
	}
	if q, ok := tags["q"]; ok && !strings.Contains(strings.ToLower(q), "dns/txt") {
		return sig, errors.New("unknown query method " + clip(q))
	}
	if l, ok := tags["l"]; ok {
		if sig.length, err = decimal(l); err != nil {
			return sig, errors.New("bad l=")
		}
	}
	var signedAt int64 = -1
	if t, ok := tags["t"]; ok {
		if signedAt, err = decimal(t); err != nil {
			return sig, errors.New("bad t=")
		}
	}
	if x, ok := tags["x"]; ok {
		if sig.expires, err = decimal(x); err != nil {
			return sig, errors.New("bad x=")
		}
		if signedAt >= 0 && sig.expires < signedAt {
			return sig, errors.New("x= is before t=")
		}
	}
	if sig.bodyHash, err = base64.StdEncoding.DecodeString(stripFWS(tags["bh"])); err != nil || len(sig.bodyHash) != sha256.Size {
		return sig, errors.New("bad bh=")
	}
	if sig.sigBytes, err = base64.StdEncoding.DecodeString(stripFWS(tags["b"])); err != nil || len(sig.sigBytes) == 0 {
		return sig, errors.New("bad b=")
	}
	return sig, nil
}

func isCanon(c string) bool { return c == "simple" || c == "relaxed" }

// validSelector: dot-separated labels of letters, digits, "-" and "_".
func validSelector(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isTokenChar(label[i]) || label[i] == '.' {
				return false
			}
		}
	}
	return true
}

// decimal parses an unsigned number of at most 18 digits (RFC 6376 allows
// more digits in t= and x=, but no date needs them).
func decimal(s string) (int64, error) {
	if s == "" || len(s) > 18 {
		return 0, errTags
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errTags
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// clip shortens untrusted text for a reason.
func clip(s string) string {
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	return strconv.Quote(s)
}

// dkimKey is a parsed key record (RFC 6376 3.6.1).
type dkimKey struct {
	pub     crypto.PublicKey // *rsa.PublicKey or ed25519.PublicKey
	strict  bool             // t=s: i= must be d= itself
	testing bool             // t=y
}

func parseKey(rec, algorithm string) (dkimKey, error) {
	var key dkimKey
	tags, order, err := parseTags(rec)
	if err != nil {
		return key, err
	}
	if v, ok := tags["v"]; ok && (v != "DKIM1" || order[0] != "v") {
		return key, errors.New("not a DKIM1 record")
	}
	kind := "rsa"
	if k, ok := tags["k"]; ok {
		kind = strings.ToLower(k)
	}
	if want, _, _ := strings.Cut(algorithm, "-"); kind != want {
		return key, errors.New("the key is " + clip(kind) + ", the signature " + algorithm)
	}
	if h, ok := tags["h"]; ok && !listHas(h, "sha256") {
		return key, errors.New("the key does not allow sha256")
	}
	if s, ok := tags["s"]; ok && !listHas(s, "*") && !listHas(s, "email") {
		return key, errors.New("the key is not for email")
	}
	key.strict = listHas(tags["t"], "s")
	key.testing = listHas(tags["t"], "y")
	p, ok := tags["p"]
	if !ok {
		return key, errors.New("no p= tag")
	}
	p = stripFWS(p)
	if p == "" {
		return key, errors.New("the key has been revoked")
	}
	der, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return key, errors.New("p= is not base64")
	}
	if kind == "ed25519" {
		if len(der) != ed25519.PublicKeySize {
			return key, errors.New("an Ed25519 key must be 32 bytes")
		}
		key.pub = ed25519.PublicKey(der)
		return key, nil
	}
	var pub *rsa.PublicKey
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		pub, _ = k.(*rsa.PublicKey)
	} else if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		pub = k
	}
	if pub == nil {
		return key, errors.New("p= is not an RSA public key")
	}
	if n := pub.N.BitLen(); n < minRSABits || n > maxRSABits {
		return key, errors.New("RSA keys of " + strconv.Itoa(n) + " bits are not accepted")
	}
	key.pub = pub
	return key, nil
}

// listHas says whether a colon-separated list holds item.
func listHas(list, item string) bool {
	for x := range strings.SplitSeq(list, ":") {
		if strings.EqualFold(trimFWS(x), item) {
			return true
		}
	}
	return false
}

// headerHash hashes the signed header fields and the signature itself
// without its b= value (RFC 6376 3.7).
//
// byName lists the indexes of the fields per name, top to bottom.
func headerHash(fields []field, byName map[string][]int, at int, sig signature) []byte {
	h := sha256.New()
	canon := canonSimple
	if sig.headerCanon == "relaxed" {
		canon = canonRelaxed
	}
	// Fields are taken from the bottom up per name; a name listed more
	// often than it occurs adds nothing (RFC 6376 5.4.2).
	taken := map[string]int{}
	for _, n := range sig.signed {
		idx := byName[n]
		k := len(idx) - 1 - taken[n]
		if k < 0 {
			continue
		}
		taken[n]++
		h.Write([]byte(canon(fields[idx[k]].raw)))
		h.Write([]byte("\r\n"))
	}
	h.Write([]byte(canon(withoutB(fields[at].raw))))
	return h.Sum(nil)
}

func canonSimple(raw string) string { return raw }

// canonRelaxed is the relaxed header canonicalization (RFC 6376 3.4.2).
func canonRelaxed(raw string) string {
	name, v, _ := strings.Cut(strings.ReplaceAll(raw, "\r\n", ""), ":")
	return strings.ToLower(strings.TrimRight(name, " \t")) + ":" + strings.Trim(collapseWSP(v), " ")
}

// withoutB empties the value of the b= tag of a DKIM-Signature field,
// keeping everything else as it was.
func withoutB(raw string) string {
	name, v, _ := strings.Cut(raw, ":")
	specs := strings.Split(v, ";")
	for i, s := range specs {
		tag, _, ok := strings.Cut(s, "=")
		if ok && trimFWS(tag) == "b" {
			specs[i] = s[:strings.IndexByte(s, '=')+1]
		}
	}
	return name + ":" + strings.Join(specs, ";")
}

// collapseWSP turns each run of spaces and tabs into one space.
func collapseWSP(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' || c == '\t' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(s[i])
	}
	return b.String()
}

// bodyCache keeps the canonical body per canonicalization, as every
// signature hashes the same body.
type bodyCache struct {
	raw             []byte
	simple, relaxed []byte
	haveS, haveR    bool
}

func (c *bodyCache) get(canon string) []byte {
	if canon == "relaxed" {
		if !c.haveR {
			c.relaxed, c.haveR = canonBody(c.raw, true), true
		}
		return c.relaxed
	}
	if !c.haveS {
		c.simple, c.haveS = canonBody(c.raw, false), true
	}
	return c.simple
}

// canonBody is the simple or relaxed body canonicalization (RFC 6376
// 3.4.3, 3.4.4). Lines end in CRLF (a bare LF is read as one), empty lines
// at the end are dropped; an empty body is CRLF when simple, empty when
// relaxed. Relaxed also drops whitespace at line ends and makes other runs
// of it one space.
func canonBody(body []byte, relaxed bool) []byte {
	out := make([]byte, 0, len(body)+2)
	rest := body
	for len(rest) > 0 {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if relaxed {
			space := false
			for _, c := range line {
				if c == ' ' || c == '\t' {
					space = true
					continue
				}
				if space {
					out = append(out, ' ')
					space = false
				}
				out = append(out, c)
			}
		} else {
			out = append(out, line...)
		}
		out = append(out, '\r', '\n')
	}
	for bytes.HasSuffix(out, []byte("\r\n\r\n")) {
		out = out[:len(out)-2]
	}
	if relaxed && bytes.Equal(out, []byte("\r\n")) {
		return nil
	}
	if !relaxed && len(out) == 0 {
		return []byte("\r\n")
	}
	return out
}
