package outbound

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The verifier below canonicalises on its own (with regular expressions,
// not the signer's functions), so that a mistake in the signer's
// canonicalisation cannot cancel out.

var (
	reWSP         = regexp.MustCompile(`[ \t]+`)
	reTrailingWSP = regexp.MustCompile(`[ \t]+\r\n`)
	reTrailingCR  = regexp.MustCompile(`(\r\n)+$`)
	reFold        = regexp.MustCompile(`\r\n([ \t])`)
	reBTag        = regexp.MustCompile(`(;[ \t\r\n]*b=)[^;]*`)
	reAllWSP      = regexp.MustCompile(`[ \t\r\n]+`)
)

func canonBodyRE(body string) string {
	body = reTrailingWSP.ReplaceAllString(body, "\r\n")
	body = reWSP.ReplaceAllString(body, " ")
	body = reTrailingCR.ReplaceAllString(body, "")
	if body == "" {
		return ""
	}
	return body + "\r\n"
}

func canonHeaderRE(field string) string {
	field = reFold.ReplaceAllString(field, "$1")
	i := strings.IndexByte(field, ':')
	name := strings.ToLower(strings.TrimRight(field[:i], " \t"))
	value := strings.Trim(reWSP.ReplaceAllString(field[i+1:], " "), " ")
	return name + ":" + value
}

// headerFields splits a raw header block into fields as written (folds
// kept, CRLF at the end removed).
func headerFields(head string) []string {
	var out []string
	for _, line := range strings.Split(head, "\r\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(out) > 0 {
			out[len(out)-1] += "\r\n" + line
			continue
		}
		out = append(out, line)
	}
	return out
}

func tags(value string) map[string]string {
	m := map[string]string{}
	for _, t := range strings.Split(value, ";") {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		m[strings.TrimSpace(k)] = reAllWSP.ReplaceAllString(v, "")
	}
	return m
}

// verifyDKIM checks the first DKIM-Signature of raw against a public key
// published as record (the TXT record's text).
func verifyDKIM(raw []byte, record string) error {
	head, body, ok := strings.Cut(string(raw), "\r\n\r\n")
	if !ok {
		return errors.New("no end of header")
	}
	fields := headerFields(head)
	var sigField string
	for _, f := range fields {
		if strings.HasPrefix(strings.ToLower(f), "dkim-signature:") {
			sigField = f
			break
		}
	}
	if sigField == "" {
		return errors.New("no DKIM-Signature")
	}
	tg := tags(sigField[len("dkim-signature:"):])
	if tg["v"] != "1" || tg["c"] != "relaxed/relaxed" {
		return fmt.Errorf("unexpected v=%q c=%q", tg["v"], tg["c"])
	}
	bh := sha256.Sum256([]byte(canonBodyRE(body)))
	if got := base64.StdEncoding.EncodeToString(bh[:]); got != tg["bh"] {
		return fmt.Errorf("body hash %s, signature says %s", got, tg["bh"])
	}
	used := map[string]int{}
	var data strings.Builder
	for _, name := range strings.Split(tg["h"], ":") {
		name = strings.ToLower(name)
		// Bottom-up: the n-th use of a name takes the n-th field from the
		// end; none left means an absent field, which adds nothing.
		seen := 0
		for i := len(fields) - 1; i >= 0; i-- {
			fn, _, _ := strings.Cut(fields[i], ":")
			if strings.ToLower(strings.TrimSpace(fn)) != name {
				continue
			}
			if seen == used[name] {
				data.WriteString(canonHeaderRE(fields[i]) + "\r\n")
				break
			}
			seen++
		}
		used[name]++
	}
	data.WriteString(canonHeaderRE(reBTag.ReplaceAllString(sigField, "$1")))
	digest := sha256.Sum256([]byte(data.String()))
	sig, err := base64.StdEncoding.DecodeString(tg["b"])
	if err != nil {
		return fmt.Errorf("b=: %v", err)
	}
	rt := tags(record)
	pub, err := base64.StdEncoding.DecodeString(rt["p"])
	if err != nil {
		return fmt.Errorf("p=: %v", err)
	}
	switch {
	case tg["a"] == "rsa-sha256" && rt["k"] == "rsa":
		k, err := x509.ParsePKIXPublicKey(pub)
		if err != nil {
			return err
		}
		return rsa.VerifyPKCS1v15(k.(*rsa.PublicKey), crypto.SHA256, digest[:], sig)
	case tg["a"] == "ed25519-sha256" && rt["k"] == "ed25519":
		if !ed25519.Verify(ed25519.PublicKey(pub), digest[:], sig) {
			return errors.New("ed25519 signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("algorithm %q with key type %q", tg["a"], rt["k"])
}

func rsaPEM(t testing.TB) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func ed25519PEM(t testing.TB) string {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// TestCanonicalisationExample is the example of RFC 6376 3.4.5, through
// the signer's and the verifier's canonicalisation.
func TestCanonicalisationExample(t *testing.T) {
	fields := []string{"A: X", "B : Y\t\r\n\tZ  "}
	wantHead := []string{"a:X", "b:Y Z"}
	body := " C \r\nD \t E\r\n\r\n\r\n"
	const wantBody = " C\r\nD E\r\n"
	for i, f := range fields {
		if got := relaxedHeader(f); got != wantHead[i] {
			t.Errorf("relaxedHeader(%q) = %q, want %q", f, got, wantHead[i])
		}
		if got := canonHeaderRE(f); got != wantHead[i] {
			t.Errorf("canonHeaderRE(%q) = %q, want %q", f, got, wantHead[i])
		}
	}
	if got := string(relaxedBody([]byte(body))); got != wantBody {
		t.Errorf("relaxedBody = %q, want %q", got, wantBody)
	}
	if got := canonBodyRE(body); got != wantBody {
		t.Errorf("canonBodyRE = %q, want %q", got, wantBody)
	}
	for _, empty := range []string{"", "\r\n", "\r\n\r\n"} {
		if got := relaxedBody([]byte(empty)); len(got) != 0 {
			t.Errorf("relaxedBody(%q) = %q, want empty", empty, got)
		}
	}
}

func TestDKIMSignAndVerify(t *testing.T) {
	fields := []string{
		"From: Acme <support@example.nl>",
		"To: jan@customer.example",
		"Subject: =?utf-8?q?Caf=C3=A9?= and a long subject that is\r\n folded here",
		"Date: Tue, 03 Mar 2026 10:00:00 +0100",
		"X-Unsigned: whatever",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
	}
	body := []byte("Hallo  Jan, \r\n\r\nTot  morgen.\r\n\r\n")
	for _, tc := range []struct {
		name string
		key  string
		algo string
	}{
		{"rsa", rsaPEM(t), "rsa-sha256"},
		{"ed25519", ed25519PEM(t), "ed25519-sha256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newDKIMSigner("example.nl", "sel1", tc.key)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := s.sign(fields, body, time.Unix(1772528400, 0))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(sig, "a="+tc.algo) {
				t.Errorf("signature %q does not name %s", sig, tc.algo)
			}
			raw := []byte(sig + "\r\n" + strings.Join(fields, "\r\n") + "\r\n\r\n" + string(body))
			record, err := DNSRecord(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if err := verifyDKIM(raw, record); err != nil {
				t.Fatalf("verify: %v\n%s", err, raw)
			}
			// Whitespace changes that relaxed canonicalisation forgives
			// keep the signature valid...
			relaxed := bytes.Replace(raw, []byte("Tot  morgen."), []byte("Tot morgen.  "), 1)
			relaxed = bytes.Replace(relaxed, []byte("To: jan"), []byte("to:   jan"), 1)
			if err := verifyDKIM(relaxed, record); err != nil {
				t.Errorf("verify after whitespace changes: %v", err)
			}
			// ...but changed words, or an added From, do not.
			for name, bad := range map[string][]byte{
				"body":       bytes.Replace(raw, []byte("morgen"), []byte("vandaag"), 1),
				"subject":    bytes.Replace(raw, []byte("folded here"), []byte("folded there"), 1),
				"added from": bytes.Replace(raw, []byte("MIME-Version"), []byte("From: evil@example.com\r\nMIME-Version"), 1),
			} {
				if err := verifyDKIM(bad, record); err == nil {
					t.Errorf("tampered %s: signature still verifies", name)
				}
			}
		})
	}
}

func TestDKIMKeyErrors(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	for _, tc := range []struct{ name, key string }{
		{"not pem", "hello"},
		{"garbage pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
		{"ecdsa", string(ecPEM)},
		{"rsa pkcs1 garbage", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := newDKIMSigner("example.nl", "s", tc.key); err == nil {
				t.Errorf("newDKIMSigner accepted %s", tc.name)
			}
		})
	}
}

func TestGenerateKey(t *testing.T) {
	for _, tc := range []struct{ kind, wantRecord string }{
		{"rsa", "v=DKIM1; k=rsa; p=MII"},
		{"ed25519", "v=DKIM1; k=ed25519; p="},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			key, err := GenerateKey(tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := newDKIMSigner("example.nl", "s", key); err != nil {
				t.Errorf("generated key not usable: %v", err)
			}
			rec, err := DNSRecord(key)
			if err != nil || !strings.HasPrefix(rec, tc.wantRecord) {
				t.Errorf("DNSRecord = %q, %v; want prefix %q", rec, err, tc.wantRecord)
			}
		})
	}
	if _, err := GenerateKey("dsa"); err == nil {
		t.Error("GenerateKey(dsa) succeeded")
	}
}
