package mailauth

import (
	"context"
	"net"
	"strings"
	"testing"
)

func TestDMARC(t *testing.T) {
	rsaK, _ := testKeys(t)
	txt := map[string][]string{
		// Keys for every signing domain used below.
		"k._domainkey.example.com":       {keyRecord(t, rsaK, "")},
		"k._domainkey.news.example.com":  {keyRecord(t, rsaK, "")},
		"k._domainkey.esp.example":       {keyRecord(t, rsaK, "")},
		"k._domainkey.example.co.uk":     {keyRecord(t, rsaK, "")},
		"k._domainkey.other.co.uk":       {keyRecord(t, rsaK, "")},
		"k._domainkey.strict.example":    {keyRecord(t, rsaK, "")},
		"k._domainkey.mx.strict.example": {keyRecord(t, rsaK, "")},
		// SPF: 192.0.2.1 may send for these.
		"example.com":        {"v=spf1 ip4:192.0.2.1 -all"},
		"bounce.example.com": {"v=spf1 ip4:192.0.2.1 -all"},
		"esp.example":        {"v=spf1 ip4:192.0.2.1 -all"},
		"strict.example":     {"v=spf1 ip4:192.0.2.1 -all"},
		"mx.strict.example":  {"v=spf1 ip4:192.0.2.1 -all"},
		// DMARC.
		"_dmarc.example.com":      {"v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com"},
		"_dmarc.example.co.uk":    {"v=DMARC1; p=quarantine"},
		"_dmarc.strict.example":   {"v=DMARC1; p=reject; adkim=s; aspf=s"},
		"_dmarc.own.example.com":  {"v=DMARC1; p=none"},
		"_dmarc.two.example":      {"v=DMARC1; p=none", "v=DMARC1; p=reject"},
		"_dmarc.rua.example":      {"v=DMARC1; rua=mailto:x@rua.example"},
		"_dmarc.junk.example":     {"v=DMARC1; p=maybe"},
		"_dmarc.notfirst.example": {"p=reject; v=DMARC1"},
	}
	dns := &fakeDNS{txt: txt, fail: map[string]bool{"_dmarc.down.example": true}}
	signed := func(d, msg string) string {
		return testSigner{domain: d, selector: "k", key: rsaK}.sign(t, msg)
	}
	from := func(addr string) string {
		return strings.Replace(testMessage, "From: Jan de Vries <jan@example.com>", "From: "+addr, 1)
	}

	for _, tc := range []struct {
		name       string
		ip         string
		mailFrom   string
		msg        string
		want       string
		wantPolicy string
		wantWhy    string
	}{
		{"aligned DKIM only", "198.51.100.1", "jan@elsewhere.example", signed("example.com", testMessage), Pass, "reject", "DKIM signature by example.com"},
		{"aligned SPF only", "192.0.2.1", "bounce@bounce.example.com", testMessage, Pass, "reject", "SPF passed for bounce.example.com"},
		{"both unaligned", "192.0.2.1", "bounce@esp.example", signed("esp.example", testMessage), Fail, "reject", "another domain"},
		{"nothing passes", "198.51.100.1", "jan@example.com", testMessage, Fail, "reject", "neither"},
		{"DKIM fails, SPF unaligned", "192.0.2.1", "x@esp.example", strings.Replace(signed("example.com", testMessage), "niet", "wel", 1), Fail, "reject", ""},
		{"subdomain From, relaxed, sp applies", "198.51.100.1", "", signed("example.com", from("jan@news.example.com")), Pass, "quarantine", ""},
		{"subdomain signer, relaxed", "198.51.100.1", "", signed("news.example.com", testMessage), Pass, "reject", ""},
		{"subdomain From, sp on failure", "198.51.100.1", "", from("jan@shop.example.com"), Fail, "quarantine", ""},
		{"own record on a subdomain", "198.51.100.1", "", from("jan@own.example.com"), Fail, "none", ""},
		{"strict DKIM: subdomain signer does not align", "198.51.100.1", "", signed("mx.strict.example", from("jan@strict.example")), Fail, "reject", ""},
		{"strict DKIM: same domain aligns", "198.51.100.1", "", signed("strict.example", from("jan@strict.example")), Pass, "reject", ""},
		{"strict SPF: subdomain sender does not align", "192.0.2.1", "b@mx.strict.example", from("jan@strict.example"), Fail, "reject", ""},
		{"strict SPF: same domain aligns", "192.0.2.1", "b@strict.example", from("jan@strict.example"), Pass, "reject", ""},
		{"co.uk org domain", "198.51.100.1", "", signed("example.co.uk", from("jan@shop.example.co.uk")), Pass, "quarantine", ""},
		{"co.uk is not one organisation", "198.51.100.1", "", signed("other.co.uk", from("jan@example.co.uk")), Fail, "quarantine", ""},
		{"no record", "192.0.2.1", "b@esp.example", signed("esp.example", from("jan@esp.example")), None, "", "publishes no DMARC record"},
		{"two records", "198.51.100.1", "", from("jan@two.example"), None, "", "more than one"},
		{"rua without p", "198.51.100.1", "", from("jan@rua.example"), Fail, "none", ""},
		{"bad p without rua", "198.51.100.1", "", from("jan@junk.example"), None, "", ""},
		{"v not first", "198.51.100.1", "", from("jan@notfirst.example"), None, "", ""},
		{"DNS down", "198.51.100.1", "", from("jan@down.example"), TempError, "", "DNS error"},
		{"two From fields", "192.0.2.1", "b@example.com", "From: x@example.com\r\n" + testMessage, PermError, "", "more than one From"},
		{"no From", "192.0.2.1", "b@example.com", strings.Replace(testMessage, "From:", "Sender:", 1), PermError, "", "no From"},
		{"From with two domains", "192.0.2.1", "b@example.com", from("jan@example.com, piet@esp.example"), PermError, "", "more than one domain"},
		{"From net/mail refuses", "192.0.2.1", "b@example.com", from("Jan de Vries, Sales <jan@example.com>"), Pass, "reject", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Verify(context.Background(), dns, Input{RemoteIP: net.ParseIP(tc.ip), MailFrom: tc.mailFrom, Helo: "nohelo.example", Message: []byte(tc.msg), Now: testNow})
			if res.DMARC != tc.want || res.DMARCPolicy != tc.wantPolicy {
				t.Errorf("DMARC = %s, policy %q; want %s, %q (%s)", res.DMARC, res.DMARCPolicy, tc.want, tc.wantPolicy, res.Reason)
			}
			if !strings.Contains(res.Reason, tc.wantWhy) {
				t.Errorf("reason = %q, want it to mention %q", res.Reason, tc.wantWhy)
			}
		})
	}
}

func TestOrgDomain(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":         "example.com",
		"a.b.example.com":     "example.com",
		"com":                 "com",
		"shop.example.co.uk":  "example.co.uk",
		"example.co.uk":       "example.co.uk",
		"co.uk":               "co.uk",
		"mail.bedrijf.com.au": "bedrijf.com.au",
		"support.klant.nl":    "klant.nl",
	} {
		if got := orgDomain(in); got != want {
			t.Errorf("orgDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Result
		id   string
		want string
	}{
		{"all pass", Result{SPF: Pass, SPFDomain: "example.com", SPFScope: "mailfrom", DKIM: Pass, DKIMDomain: "example.com", DMARC: Pass, DMARCPolicy: "reject", FromDomain: "example.com"},
			"mx.balie.test", "mx.balie.test; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=pass (p=reject) header.from=example.com"},
		{"helo, nothing else", Result{SPF: SoftFail, SPFDomain: "mail.example", SPFScope: "helo", DKIM: None, DMARC: None},
			"mx", "mx; spf=softfail smtp.helo=mail.example; dkim=none; dmarc=none"},
		{"zero result", Result{}, "", "localhost; spf=none; dkim=none; dmarc=none"},
		{"hostile values", Result{SPF: "pass\r\nX-Evil: 1", SPFDomain: "a\"b\r\n.example", DKIM: Fail, DKIMDomain: "x y", DMARC: Fail, DMARCPolicy: "reject) (", FromDomain: "ok.example"},
			"mx;\r\nevil", "mxevil; spf=none smtp.mailfrom=\"a\\\"b.example\"; dkim=fail header.d=\"x y\"; dmarc=fail (p=none) header.from=ok.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Header(tc.id); got != tc.want {
				t.Errorf("Header =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
