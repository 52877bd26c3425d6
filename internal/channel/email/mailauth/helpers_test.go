package mailauth

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeDNS is a Resolver over maps. Names are looked up without the
// trailing dot, in lower case. A name in fail times out.
type fakeDNS struct {
	txt  map[string][]string
	ip   map[string][]string
	mx   map[string][]string // exchange names, in preference order
	fail map[string]bool

	mu      sync.Mutex
	queries int
}

func (f *fakeDNS) key(name string) (string, error) {
	f.mu.Lock()
	f.queries++
	f.mu.Unlock()
	if !strings.HasSuffix(name, ".") {
		panic("mailauth asked for a name without the trailing dot: " + name)
	}
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	if f.fail[n] {
		return n, &net.DNSError{Err: "i/o timeout", Name: n, IsTimeout: true}
	}
	return n, nil
}

func notFound(n string) error { return &net.DNSError{Err: "no such host", Name: n, IsNotFound: true} }

func (f *fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	n, err := f.key(name)
	if err != nil {
		return nil, err
	}
	if v, ok := f.txt[n]; ok {
		return v, nil
	}
	return nil, notFound(n)
}

func (f *fakeDNS) LookupIPAddr(_ context.Context, name string) ([]net.IPAddr, error) {
	n, err := f.key(name)
	if err != nil {
		return nil, err
	}
	v, ok := f.ip[n]
	if !ok {
		return nil, notFound(n)
	}
	var out []net.IPAddr
	for _, s := range v {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

func (f *fakeDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	n, err := f.key(name)
	if err != nil {
		return nil, err
	}
	v, ok := f.mx[n]
	if !ok {
		return nil, notFound(n)
	}
	var out []*net.MX
	for i, h := range v {
		out = append(out, &net.MX{Host: h + ".", Pref: uint16(10 * (i + 1))})
	}
	return out, nil
}

func (f *fakeDNS) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries
}

// Keys are made once per test binary: RSA 2048 generation is slow.
var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	edKey    ed25519.PrivateKey
)

func testKeys(t testing.TB) (*rsa.PrivateKey, ed25519.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if _, edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
	return rsaKey, edKey
}

// keyRecord is the TXT record for a key, with extra tags appended.
func keyRecord(t testing.TB, key crypto.Signer, extra string) string {
	t.Helper()
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der) + extra
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub) + extra
	}
	t.Fatalf("unknown key %T", key)
	return ""
}

// testSigner is a DKIM signer for the tests, written apart from the
// verifier (its canonicalization is done with regular expressions) so
// that one mistake made twice does not pass unnoticed.
type testSigner struct {
	domain, selector string
	key              crypto.Signer
	canon            string   // "relaxed/relaxed" when empty
	headers          []string // h=; "from:to:subject:date" when nil
	algorithm        string   // a= override, e.g. to claim rsa-sha1
	length           int      // l= when > 0
	extra            string   // more tags, e.g. "; x=12345"
}

var (
	wspRun       = regexp.MustCompile(`[ \t]+`)
	emptyLinesAt = regexp.MustCompile(`(\r\n)+$`)
)

func testRelaxedHeader(f string) string {
	name, v, _ := strings.Cut(f, ":")
	v = strings.ReplaceAll(v, "\r\n", "")
	v = strings.TrimSpace(wspRun.ReplaceAllString(v, " "))
	return strings.ToLower(strings.TrimSpace(name)) + ":" + v
}

func testBody(body, canon string) string {
	if canon == "relaxed" {
		body = wspRun.ReplaceAllString(body, " ")
		body = strings.ReplaceAll(body, " \r\n", "\r\n")
		body = strings.TrimSuffix(body, " ")
	}
	if !strings.HasSuffix(body, "\r\n") {
		body += "\r\n"
	}
	body = emptyLinesAt.ReplaceAllString(body, "\r\n")
	if canon == "relaxed" && body == "\r\n" {
		return ""
	}
	return body
}

// sign returns msg (CRLF, header and body) with a DKIM-Signature field
// on top.
func (s testSigner) sign(t testing.TB, msg string) string {
	t.Helper()
	head, body, _ := strings.Cut(msg, "\r\n\r\n")
	canon := s.canon
	if canon == "" {
		canon = "relaxed/relaxed"
	}
	hc, bc, _ := strings.Cut(canon, "/")
	cb := testBody(body, bc)
	if s.length > 0 {
		cb = cb[:s.length]
	}
	bh := sha256.Sum256([]byte(cb))

	// The fields, unfolded into whole fields, bottom-up per name.
	var fields []string
	for _, line := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			fields[len(fields)-1] += "\r\n" + line
			continue
		}
		fields = append(fields, line)
	}
	names := s.headers
	if names == nil {
		names = []string{"from", "to", "subject", "date"}
	}
	used := map[int]bool{}
	var signed strings.Builder
	for _, n := range names {
		for i := len(fields) - 1; i >= 0; i-- {
			fn, _, _ := strings.Cut(fields[i], ":")
			if strings.EqualFold(strings.TrimSpace(fn), n) && !used[i] {
				used[i] = true
				if hc == "relaxed" {
					signed.WriteString(testRelaxedHeader(fields[i]))
				} else {
					signed.WriteString(fields[i])
				}
				signed.WriteString("\r\n")
				break
			}
		}
	}

	alg := s.algorithm
	if alg == "" {
		alg = "rsa-sha256"
		if _, ok := s.key.(ed25519.PrivateKey); ok {
			alg = "ed25519-sha256"
		}
	}
	sig := "DKIM-Signature: v=1; a=" + alg + "; c=" + canon + "; d=" + s.domain + "; s=" + s.selector +
		";\r\n  h=" + strings.Join(names, ":") + "; bh=" + base64.StdEncoding.EncodeToString(bh[:])
	if s.length > 0 {
		sig += "; l=" + strconv.Itoa(s.length)
	}
	sig += s.extra + ";\r\n  b="
	if hc == "relaxed" {
		signed.WriteString(testRelaxedHeader(sig))
	} else {
		signed.WriteString(sig)
	}
	digest := sha256.Sum256([]byte(signed.String()))
	var b []byte
	var err error
	switch k := s.key.(type) {
	case *rsa.PrivateKey:
		b, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
	case ed25519.PrivateKey:
		b = ed25519.Sign(k, digest[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString(b)
	// Fold the signature, as real signers do.
	var folded strings.Builder
	for len(enc) > 60 {
		folded.WriteString(enc[:60] + "\r\n   ")
		enc = enc[60:]
	}
	folded.WriteString(enc)
	return sig + folded.String() + "\r\n" + msg
}

const testMessage = "Received: from mail.example.com by mx.balie.test; Tue, 3 Mar 2026 10:00:00 +0000\r\n" +
	"From: Jan de Vries <jan@example.com>\r\n" +
	"To: support@balie.test\r\n" +
	"Subject:  Waar blijft\t mijn pakket?\r\n" +
	"Date: Tue, 3 Mar 2026 10:59:00 +0100\r\n" +
	"Message-ID: <1@example.com>\r\n" +
	"\r\n" +
	"Hallo,  \r\n" +
	"\r\n" +
	"mijn  pakket\tis er nog niet.\r\n" +
	"\r\n" +
	"\r\n"
