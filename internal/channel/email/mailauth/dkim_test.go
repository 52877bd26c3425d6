package mailauth

import (
	"context"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)

func TestDKIM(t *testing.T) {
	rsaK, edK := testKeys(t)
	dns := func() *fakeDNS {
		return &fakeDNS{txt: map[string][]string{
			"rsa._domainkey.example.com":     {keyRecord(t, rsaK, "")},
			"ed._domainkey.example.com":      {keyRecord(t, edK, "")},
			"strict._domainkey.example.com":  {keyRecord(t, rsaK, "; t=s")},
			"revoked._domainkey.example.com": {"v=DKIM1; k=rsa; p="},
			"web._domainkey.example.com":     {keyRecord(t, rsaK, "; s=web")},
			"sha1._domainkey.example.com":    {keyRecord(t, rsaK, "; h=sha1")},
			"spaces._domainkey.example.com":  {"some other record", "v=DKIM1;k=rsa; p=" + strings.Join(splitEvery(keyRecord(t, rsaK, "")[len("v=DKIM1; k=rsa; p="):], 50), " ")},
			"junk._domainkey.example.com":    {"v=DKIM1; k=rsa; p=!!notbase64!!"},
		}, fail: map[string]bool{"down._domainkey.example.com": true}}
	}
	rsaSigner := testSigner{domain: "example.com", selector: "rsa", key: rsaK}
	edSigner := testSigner{domain: "example.com", selector: "ed", key: edK}
	with := func(s testSigner, change func(*testSigner)) testSigner { change(&s); return s }

	for _, tc := range []struct {
		name   string
		msg    func() string
		want   string
		reason string // a part of the reason, when it matters
	}{
		{"rsa relaxed/relaxed", func() string { return rsaSigner.sign(t, testMessage) }, Pass, "valid signature by example.com"},
		{"rsa simple/simple", func() string {
			return with(rsaSigner, func(s *testSigner) { s.canon = "simple/simple" }).sign(t, testMessage)
		}, Pass, ""},
		{"simple/relaxed", func() string {
			return with(rsaSigner, func(s *testSigner) { s.canon = "simple/relaxed" }).sign(t, testMessage)
		}, Pass, ""},
		{"relaxed/simple", func() string {
			return with(rsaSigner, func(s *testSigner) { s.canon = "relaxed/simple" }).sign(t, testMessage)
		}, Pass, ""},
		{"ed25519", func() string { return edSigner.sign(t, testMessage) }, Pass, ""},
		{"ed25519 simple/simple", func() string {
			return with(edSigner, func(s *testSigner) { s.canon = "simple/simple" }).sign(t, testMessage)
		}, Pass, ""},
		{"folded key record with other TXT records", func() string {
			return with(rsaSigner, func(s *testSigner) { s.selector = "spaces" }).sign(t, testMessage)
		}, Pass, ""},
		{"empty body", func() string {
			return rsaSigner.sign(t, strings.SplitAfter(testMessage, "\r\n\r\n")[0])
		}, Pass, ""},
		{"empty body simple", func() string {
			return with(rsaSigner, func(s *testSigner) { s.canon = "simple/simple" }).sign(t, strings.SplitAfter(testMessage, "\r\n\r\n")[0])
		}, Pass, ""},
		{"body changed", func() string {
			return strings.Replace(rsaSigner.sign(t, testMessage), "niet", "wel", 1)
		}, Fail, "body was changed"},
		{"body whitespace changed, relaxed", func() string {
			return strings.Replace(rsaSigner.sign(t, testMessage), "mijn  pakket", "mijn \t pakket", 1) + "\r\n"
		}, Pass, ""},
		{"body whitespace changed, simple", func() string {
			return strings.Replace(with(rsaSigner, func(s *testSigner) { s.canon = "simple/simple" }).sign(t, testMessage), "mijn  pakket", "mijn \t pakket", 1)
		}, Fail, "body was changed"},
		{"trailing empty lines added, simple", func() string {
			return with(rsaSigner, func(s *testSigner) { s.canon = "simple/simple" }).sign(t, testMessage) + "\r\n\r\n"
		}, Pass, ""},
		{"signed header changed", func() string {
			return strings.Replace(rsaSigner.sign(t, testMessage), "Waar blijft", "Waar is", 1)
		}, Fail, "does not match the signed header fields"},
		{"signed header refolded, relaxed", func() string {
			return strings.Replace(rsaSigner.sign(t, testMessage), "Subject:  Waar blijft", "Subject: Waar\r\n blijft", 1)
		}, Pass, ""},
		{"signed header refolded, simple", func() string {
			return strings.Replace(with(rsaSigner, func(s *testSigner) { s.canon = "simple/simple" }).sign(t, testMessage), "Subject:  Waar blijft", "Subject: Waar\r\n blijft", 1)
		}, Fail, ""},
		{"unsigned header added", func() string {
			return "X-Spam-Score: 0.1\r\n" + strings.Replace(rsaSigner.sign(t, testMessage), "Message-ID:", "Cc: someone@example.org\r\nMessage-ID:", 1)
		}, Pass, ""},
		{"second subject added below, not over-signed", func() string {
			return strings.Replace(rsaSigner.sign(t, testMessage), "\r\n\r\nHallo", "\r\nSubject: Gewijzigd\r\n\r\nHallo", 1)
		}, Fail, ""},
		{"from added, over-signed", func() string {
			s := with(rsaSigner, func(s *testSigner) { s.headers = []string{"from", "to", "subject", "from"} })
			return "From: mallory@evil.example\r\n" + s.sign(t, testMessage)
		}, Fail, ""},
		{"over-signed names that are absent still verify", func() string {
			return with(rsaSigner, func(s *testSigner) { s.headers = []string{"from", "to", "subject", "from", "reply-to", "subject"} }).sign(t, testMessage)
		}, Pass, ""},
		{"l= honoured, text appended", func() string {
			body := testBody(strings.SplitN(testMessage, "\r\n\r\n", 2)[1], "relaxed")
			s := with(rsaSigner, func(s *testSigner) { s.length = len(body) })
			return s.sign(t, testMessage) + "Koop nu!\r\n"
		}, Pass, ""},
		{"l= longer than the body", func() string {
			s := with(rsaSigner, func(s *testSigner) { s.length = 10 })
			msg := s.sign(t, testMessage)
			return strings.Replace(msg, "l=10", "l=100000", 1)
		}, Fail, "shorter"},
		{"expired", func() string {
			return with(rsaSigner, func(s *testSigner) { s.extra = "; t=1700000000; x=1700086400" }).sign(t, testMessage)
		}, Fail, "expired"},
		{"not yet expired", func() string {
			return with(rsaSigner, func(s *testSigner) { s.extra = "; t=1772528000; x=1900000000" }).sign(t, testMessage)
		}, Pass, ""},
		{"x= before t=", func() string {
			return with(rsaSigner, func(s *testSigner) { s.extra = "; t=1900000000; x=1800000000" }).sign(t, testMessage)
		}, PermError, "x= is before t="},
		{"unknown algorithm", func() string {
			return with(rsaSigner, func(s *testSigner) { s.algorithm = "rsa-sha512" }).sign(t, testMessage)
		}, PermError, "unknown algorithm"},
		{"rsa-sha1 refused", func() string {
			return with(rsaSigner, func(s *testSigner) { s.algorithm = "rsa-sha1" }).sign(t, testMessage)
		}, PermError, "too weak"},
		{"key type does not match", func() string {
			return with(edSigner, func(s *testSigner) { s.selector = "rsa" }).sign(t, testMessage)
		}, PermError, "unusable"},
		{"key for another service", func() string {
			return with(rsaSigner, func(s *testSigner) { s.selector = "web" }).sign(t, testMessage)
		}, PermError, "not for email"},
		{"key allows only sha1", func() string {
			return with(rsaSigner, func(s *testSigner) { s.selector = "sha1" }).sign(t, testMessage)
		}, PermError, "sha256"},
		{"key not base64", func() string {
			return with(rsaSigner, func(s *testSigner) { s.selector = "junk" }).sign(t, testMessage)
		}, PermError, "base64"},
		{"no key", func() string {
			return with(rsaSigner, func(s *testSigner) { s.selector = "missing" }).sign(t, testMessage)
		}, PermError, "no key published at missing._domainkey.example.com"},
		{"revoked key", func() string {
			return with(rsaSigner, func(s *testSigner) { s.selector = "revoked" }).sign(t, testMessage)
		}, PermError, "revoked"},
		{"DNS down", func() string {
			return with(rsaSigner, func(s *testSigner) { s.selector = "down" }).sign(t, testMessage)
		}, TempError, "DNS error"},
		{"strict key, i= subdomain", func() string {
			return with(rsaSigner, func(s *testSigner) { s.selector = "strict"; s.extra = "; i=@news.example.com" }).sign(t, testMessage)
		}, PermError, "i= subdomains"},
		{"strict key, i= same domain", func() string {
			return with(rsaSigner, func(s *testSigner) { s.selector = "strict"; s.extra = "; i=jan@example.com" }).sign(t, testMessage)
		}, Pass, ""},
		{"i= outside d=", func() string {
			return with(rsaSigner, func(s *testSigner) { s.extra = "; i=@example.org" }).sign(t, testMessage)
		}, PermError, "i= is not in the d= domain"},
		{"From not signed", func() string {
			return with(rsaSigner, func(s *testSigner) { s.headers = []string{"to", "subject"} }).sign(t, testMessage)
		}, PermError, "From header is not signed"},
		{"garbage b=", func() string {
			msg := rsaSigner.sign(t, testMessage)
			i, end := strings.Index(msg, "  b="), strings.Index(msg, "\r\nReceived:")
			return msg[:i+4] + "%%%%" + msg[end:]
		}, PermError, "bad b="},
		{"duplicate tag", func() string {
			return with(rsaSigner, func(s *testSigner) { s.extra = "; d=example.org" }).sign(t, testMessage)
		}, PermError, "malformed tag list"},
		{"unknown tags ignored", func() string {
			return with(rsaSigner, func(s *testSigner) { s.extra = "; z=From:x@y; foo_2=bar" }).sign(t, testMessage)
		}, Pass, ""},
		{"not signed", func() string { return testMessage }, None, "not signed"},
		{"bare LF line ends", func() string {
			return strings.ReplaceAll(rsaSigner.sign(t, testMessage), "\r\n", "\n")
		}, Pass, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Verify(context.Background(), dns(), Input{Message: []byte(tc.msg()), Now: testNow})
			if res.DKIM != tc.want {
				t.Errorf("DKIM = %s, want %s (reason %q)", res.DKIM, tc.want, res.Reason)
			}
			if !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("reason = %q, want it to mention %q", res.Reason, tc.reason)
			}
			if (tc.want == Pass || tc.want == Fail) && res.DKIMDomain != "example.com" {
				t.Errorf("DKIMDomain = %q, want example.com", res.DKIMDomain)
			}
		})
	}
}

func splitEvery(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

func TestDKIMSeveralSignatures(t *testing.T) {
	rsaK, edK := testKeys(t)
	dns := &fakeDNS{txt: map[string][]string{
		"rsa._domainkey.example.com":   {keyRecord(t, rsaK, "")},
		"ed._domainkey.esp.example":    {keyRecord(t, edK, "")},
		"bad._domainkey.example.com":   {keyRecord(t, edK, "")},
		"rsa._domainkey.other.example": {keyRecord(t, rsaK, "")},
	}}
	esp := testSigner{domain: "esp.example", selector: "ed", key: edK}
	own := testSigner{domain: "example.com", selector: "rsa", key: rsaK}
	other := testSigner{domain: "other.example", selector: "rsa", key: rsaK}
	broken := testSigner{domain: "example.com", selector: "bad", key: rsaK} // key record is Ed25519

	for _, tc := range []struct {
		name       string
		msg        string
		want       string
		wantDomain string
	}{
		// The ESP signs last (on top); the From domain's signature is
		// preferred in the report.
		{"aligned one preferred", esp.sign(t, own.sign(t, testMessage)), Pass, "example.com"},
		{"only unaligned passes", other.sign(t, testMessage), Pass, "other.example"},
		{"one broken, one good", broken.sign(t, esp.sign(t, testMessage)), Pass, "esp.example"},
		{"fail reported over permerror", broken.sign(t, strings.Replace(own.sign(t, testMessage), "niet", "wel", 1)), Fail, "example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Verify(context.Background(), dns, Input{Message: []byte(tc.msg), Now: testNow})
			if res.DKIM != tc.want || res.DKIMDomain != tc.wantDomain {
				t.Errorf("DKIM = %s for %q, want %s for %q (%s)", res.DKIM, res.DKIMDomain, tc.want, tc.wantDomain, res.Reason)
			}
		})
	}
}

func TestDKIMSignatureLimit(t *testing.T) {
	_, edK := testKeys(t)
	dns := &fakeDNS{txt: map[string][]string{}}
	// Eight signatures whose keys are all missing, and a good one at the
	// bottom: only the top five are looked at.
	good := testSigner{domain: "example.com", selector: "ed", key: edK}
	dns.txt["ed._domainkey.example.com"] = []string{keyRecord(t, edK, "")}
	msg := good.sign(t, testMessage)
	for i := range 8 {
		s := testSigner{domain: "example.com", selector: "gone" + string(rune('a'+i)), key: edK}
		msg = s.sign(t, msg)
	}
	res := Verify(context.Background(), dns, Input{Message: []byte(msg), Now: testNow})
	if res.DKIM != PermError {
		t.Errorf("DKIM = %s, want permerror: the good signature is the 9th", res.DKIM)
	}
	if !strings.Contains(res.Reason, "4 more signatures ignored") {
		t.Errorf("reason = %q, want it to say 4 more signatures were ignored", res.Reason)
	}
	// 5 key lookups, plus DMARC's 2 (none for SPF: no client address).
	if got := dns.count(); got > 7 {
		t.Errorf("%d DNS queries, want at most 7", got)
	}
}

func TestCanonBody(t *testing.T) {
	for _, tc := range []struct {
		name, body, simple, relaxed string
	}{
		{"empty", "", "\r\n", ""},
		{"only line ends", "\r\n\r\n\r\n", "\r\n", ""},
		{"no final line end", "a  b", "a  b\r\n", "a b\r\n"},
		{"trailing whitespace", "a \t\r\n b\t\r\n", "a \t\r\n b\t\r\n", "a\r\n b\r\n"},
		{"whitespace-only last lines", "a\r\n \r\n\t\r\n", "a\r\n \r\n\t\r\n", "a\r\n"},
		{"bare LF", "a\nb\n\n", "a\r\nb\r\n", "a\r\nb\r\n"},
		{"inner empty lines kept", "a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(canonBody([]byte(tc.body), false)); got != tc.simple {
				t.Errorf("simple = %q, want %q", got, tc.simple)
			}
			if got := string(canonBody([]byte(tc.body), true)); got != tc.relaxed {
				t.Errorf("relaxed = %q, want %q", got, tc.relaxed)
			}
			// The test signer's canonicalization must agree.
			if got := testBody(strings.ReplaceAll(strings.ReplaceAll(tc.body, "\r\n", "\n"), "\n", "\r\n"), "relaxed"); got != tc.relaxed {
				t.Errorf("test signer relaxed = %q, want %q", got, tc.relaxed)
			}
		})
	}
}

func TestCanonRelaxedHeader(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Subject:  Hello \t world  ", "subject:Hello world"},
		{"SUBJECT \t: folded\r\n\t line", "subject:folded line"},
		{"X-Empty:", "x-empty:"},
		{"To: a@b\r\n ,\r\n c@d", "to:a@b , c@d"},
	} {
		if got := canonRelaxed(tc.in); got != tc.want {
			t.Errorf("canonRelaxed(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := testRelaxedHeader(tc.in); got != tc.want {
			t.Errorf("testRelaxedHeader(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWithoutB(t *testing.T) {
	in := "DKIM-Signature: v=1; bh=abc=;\r\n b=xy\r\n  z== ; d=example.com"
	want := "DKIM-Signature: v=1; bh=abc=;\r\n b=; d=example.com"
	if got := withoutB(in); got != want {
		t.Errorf("withoutB = %q, want %q", got, want)
	}
}

func TestHostileMessage(t *testing.T) {
	var b strings.Builder
	for range 5000 {
		b.WriteString("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=k; h=" + strings.Repeat("from:", 200) + "from; bh=; b=\r\n")
	}
	b.WriteString("X-Long: " + strings.Repeat("a \t", 300000) + "\r\n")
	b.WriteString(testMessage)
	dns := &fakeDNS{}
	res := Verify(context.Background(), dns, Input{Message: []byte(b.String()), Now: testNow})
	if res.DKIM != PermError || !strings.Contains(res.Reason, "4995 more signatures ignored") {
		t.Errorf("DKIM = %s (%s), want permerror with 4995 signatures ignored", res.DKIM, res.Reason)
	}
	if n := dns.count(); n > 2 {
		t.Errorf("%d DNS queries, want only DMARC's 2: no signature got as far as its key", n)
	}
}
