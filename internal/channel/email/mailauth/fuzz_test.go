package mailauth

import (
	"context"
	"net"
	"strings"
	"testing"
)

// FuzzVerifyMessage feeds arbitrary messages through header splitting,
// signature parsing and canonicalization. A key is published for the
// selectors the seeds use, so that verification gets as far as hashing.
func FuzzVerifyMessage(f *testing.F) {
	rsaK, edK := testKeys(f)
	dns := &fakeDNS{txt: map[string][]string{
		"rsa._domainkey.example.com": {keyRecord(f, rsaK, "")},
		"ed._domainkey.example.com":  {keyRecord(f, edK, "")},
		"_dmarc.example.com":         {"v=DMARC1; p=reject"},
	}}
	f.Add([]byte(testSigner{domain: "example.com", selector: "rsa", key: rsaK}.sign(f, testMessage)))
	f.Add([]byte(testSigner{domain: "example.com", selector: "ed", key: edK, canon: "simple/simple", length: 5}.sign(f, testMessage)))
	f.Add([]byte("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa; h=from:from:from; bh=; b=;;\r\nFrom: a@example.com\r\n\r\n"))
	f.Add([]byte("DKIM-Signature:\r\n \r\nFrom:\r\n\r\n\r\n"))
	f.Add([]byte(strings.Repeat("DKIM-Signature: x=y; v=1\n", 20) + "From: \"x\" <@>\n\nbody"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		res := Verify(context.Background(), dns, Input{RemoteIP: net.IPv4(192, 0, 2, 1), MailFrom: "a@example.com", Message: msg, Now: testNow})
		for _, w := range []string{res.SPF, res.DKIM, res.DMARC} {
			if word(w) != w {
				t.Errorf("result %q is not a result word", w)
			}
		}
		if h := res.Header("mx"); strings.ContainsAny(h, "\r\n") {
			t.Errorf("header %q has a line break", h)
		}
		fields, _ := splitMessage(msg)
		if len(fields) > 0 {
			// Canonicalizing any field must not panic, nor keep a line break.
			for _, f := range fields {
				if c := canonRelaxed(f.raw); strings.Contains(c, "\r\n") {
					t.Errorf("relaxed %q keeps a line break", c)
				}
				_ = withoutB(f.raw)
				_, _ = parseSignature(f.value())
			}
		}
	})
}

// FuzzSPFRecord evaluates arbitrary SPF records, which arrive from DNS
// and are as untrusted as the mail.
func FuzzSPFRecord(f *testing.F) {
	for _, s := range []string{
		"v=spf1 ip4:192.0.2.0/24 -all",
		"v=spf1 a/24//64 mx:%{d2} include:%{ir}.%{v}.%{l1r-}.example ~all",
		"v=spf1 redirect=%{o}",
		"v=spf1 exists:%{i}.%{h}.%{s}._spf.example ptr:x.example ?all exp=%{c}",
		"v=spf1 ip6:2001:db8::/0 include:self.example",
		"v=spf1 %{",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rec string) {
		dns := &fakeDNS{
			txt: map[string][]string{"self.example": {rec}, "other.example": {"v=spf1 include:self.example"}},
			ip:  map[string][]string{"self.example": {"192.0.2.1"}},
			mx:  map[string][]string{"self.example": {"self.example"}},
		}
		got := checkSPF(context.Background(), dns, Input{RemoteIP: net.ParseIP("2001:db8::1"), MailFrom: "x.y-z@self.example", Helo: "h.example"})
		if word(got.result) != got.result || got.result == "" {
			t.Errorf("result %q is not a result word", got.result)
		}
		// 10 lookups, each at most 1 + 10 MX address queries, plus the
		// record itself.
		if n := dns.count(); n > 1+10*11 {
			t.Errorf("%d DNS queries for one check", n)
		}
	})
}
