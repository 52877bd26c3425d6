package outbound

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// signedFields are the header fields a signature covers when present, in
// this order. The ones listed in overSigned are named once more than they
// occur, so that a From, Subject or Reply-To added on the way fails
// verification (RFC 6376 8.15).
var signedFields = []string{"from", "reply-to", "to", "subject", "date", "message-id",
	"in-reply-to", "references", "auto-submitted", "mime-version", "content-type", "content-transfer-encoding"}

var overSigned = []string{"from", "reply-to", "subject"}

// dkimSigner signs mail for one domain and selector.
type dkimSigner struct {
	domain, selector string
	key              crypto.Signer
	algorithm        string // "rsa-sha256" or "ed25519-sha256"
}

// newDKIMSigner reads a PEM private key: PKCS #8 (RSA or Ed25519) or
// PKCS #1 RSA.
func newDKIMSigner(domain, selector, pemKey string) (*dkimSigner, error) {
	key, err := parseKey(pemKey)
	if err != nil {
		return nil, err
	}
	s := &dkimSigner{domain: domain, selector: selector, key: key}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 1024 {
			return nil, desk.Invalid(SettingDKIMKey, "an RSA key needs at least 1024 bits (2048 recommended)")
		}
		s.algorithm = "rsa-sha256"
	case ed25519.PrivateKey:
		s.algorithm = "ed25519-sha256"
	}
	return s, nil
}

func parseKey(pemKey string) (crypto.Signer, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemKey)))
	if block == nil {
		return nil, desk.Invalid(SettingDKIMKey, "not a PEM private key")
	}
	if block.Type == "RSA PRIVATE KEY" {
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, desk.Invalid(SettingDKIMKey, "unreadable RSA key")
		}
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, desk.Invalid(SettingDKIMKey, "unreadable private key (want PKCS #8 or PKCS #1)")
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, desk.Invalid(SettingDKIMKey, "the key must be RSA or Ed25519")
}

// GenerateKey returns a new private key for the dkim_private_key setting:
// "rsa" (2048 bits, understood by every verifier) or "ed25519" (RFC 8463,
// not yet checked by all; publish it next to an RSA key under another
// selector).
func GenerateKey(kind string) (string, error) {
	var key any
	var err error
	switch kind {
	case "rsa":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ed25519":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return "", fmt.Errorf("outbound: dkim key: %w", desk.Invalid("kind", "must be rsa or ed25519"))
	}
	if err != nil {
		return "", fmt.Errorf("outbound: dkim key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("outbound: dkim key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// DNSRecord returns the TXT record to publish at
// <selector>._domainkey.<domain> for a private key in the dkim_private_key
// format, e.g. "v=DKIM1; k=rsa; p=MIIB...".
func DNSRecord(pemKey string) (string, error) {
	key, err := parseKey(pemKey)
	if err != nil {
		return "", fmt.Errorf("outbound: dkim record: %w", err)
	}
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", fmt.Errorf("outbound: dkim record: %w", err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		// RFC 8463: the bare 32-byte key.
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub), nil
	}
	return "", fmt.Errorf("outbound: dkim record: %w", desk.Invalid(SettingDKIMKey, "unsupported key"))
}

// sign returns the DKIM-Signature field (folded, without the final CRLF)
// for a message of these header fields (as written, folded, without CRLF)
// and body.
func (s *dkimSigner) sign(fields []string, body []byte, now time.Time) (string, error) {
	bh := sha256.Sum256(relaxedBody(body))

	// Which fields are signed, bottom-up per name as RFC 6376 5.4.2 has it.
	byName := map[string][]string{}
	for _, f := range fields {
		name, _, _ := strings.Cut(f, ":")
		n := strings.ToLower(strings.TrimSpace(name))
		byName[n] = append(byName[n], f)
	}
	var names []string
	var signed strings.Builder
	for _, n := range signedFields {
		for i := len(byName[n]) - 1; i >= 0; i-- {
			names = append(names, n)
			signed.WriteString(relaxedHeader(byName[n][i]))
			signed.WriteString("\r\n")
		}
	}
	// A name listed once more than it occurs stands for an absent field
	// and adds nothing to the hash.
	names = append(names, overSigned...)

	sig := "DKIM-Signature: v=1; a=" + s.algorithm + "; c=relaxed/relaxed; d=" + s.domain +
		"; s=" + s.selector + "; t=" + strconv.FormatInt(now.Unix(), 10) + ";\r\n\th=" +
		foldList(names, ":") + ";\r\n\tbh=" + base64.StdEncoding.EncodeToString(bh[:]) + ";\r\n\tb="
	signed.WriteString(relaxedHeader(sig))
	digest := sha256.Sum256([]byte(signed.String()))

	var b []byte
	var err error
	switch k := s.key.(type) {
	case *rsa.PrivateKey:
		b, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
	case ed25519.PrivateKey:
		// RFC 8463: PureEdDSA over the SHA-256 hash.
		b = ed25519.Sign(k, digest[:])
	}
	if err != nil {
		return "", fmt.Errorf("dkim: sign: %w", err)
	}
	enc := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	out.WriteString(sig)
	for len(enc) > 72 {
		out.WriteString(enc[:72])
		out.WriteString("\r\n\t")
		enc = enc[72:]
	}
	out.WriteString(enc)
	return out.String(), nil
}

// foldList joins items with sep, breaking lines now and then.
func foldList(items []string, sep string) string {
	var b strings.Builder
	line := 0
	for i, it := range items {
		if i > 0 {
			b.WriteString(sep)
			line += len(sep)
			if line+len(it) > 64 {
				b.WriteString("\r\n\t ")
				line = 0
			}
		}
		b.WriteString(it)
		line += len(it)
	}
	return b.String()
}

// relaxedHeader canonicalises one header field (RFC 6376 3.4.2): name in
// lower case, line folds removed, runs of whitespace made one space, none
// around the colon or at the end. No CRLF.
func relaxedHeader(field string) string {
	name, value, _ := strings.Cut(field, ":")
	value = strings.ReplaceAll(value, "\r\n", "")
	return strings.ToLower(strings.TrimRight(name, " \t")) + ":" + collapseWSP(strings.Trim(value, " \t"))
}

// relaxedBody canonicalises a body (RFC 6376 3.4.4): whitespace at line
// ends removed, other runs made one space, empty lines at the end removed.
func relaxedBody(body []byte) []byte {
	lines := strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(collapseWSP(l), " ")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

func collapseWSP(s string) string {
	if !strings.ContainsAny(s, "\t") && !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
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
