package mailauth

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

func TestSPF(t *testing.T) {
	base := map[string][]string{
		"ip4.example":       {"v=spf1 ip4:192.0.2.0/24 -all"},
		"ip6.example":       {"v=spf1 ip6:2001:db8:1::/48 ~all"},
		"a.example":         {"v=spf1 a/24 a:mail.a.example//64 -all"},
		"mx.example":        {"v=spf1 mx -all"},
		"bigmx.example":     {"v=spf1 mx -all"},
		"inc.example":       {"v=spf1 include:ip4.example ?all"},
		"incnone.example":   {"v=spf1 include:nothing.example -all"},
		"incdown.example":   {"v=spf1 include:down.example -all"},
		"loop1.example":     {"v=spf1 include:loop2.example -all"},
		"loop2.example":     {"v=spf1 include:loop1.example -all"},
		"redir.example":     {"v=spf1 redirect=ip4.example"},
		"redirnone.example": {"v=spf1 redirect=nothing.example"},
		"redirall.example":  {"v=spf1 -all redirect=ip4.example"},
		"two.example":       {"v=spf1 -all", "v=spf1 +all"},
		"other.example":     {"google-site-verification=abc", "v=spf10 +all", "v=spf1 ip4:192.0.2.1 -all"},
		"syntax.example":    {"v=spf1 ip4:192.0.2.1 foo:bar -all"},
		"badcidr.example":   {"v=spf1 ip4:192.0.2.1/33 -all"},
		"badip.example":     {"v=spf1 ip4:2001:db8::1 -all"},
		"mods.example":      {"v=spf1 exp=explain.%{d} foo=bar ip4:192.0.2.1 -all"},
		"twoexp.example":    {"v=spf1 exp=a.example exp=b.example -all"},
		"neutral.example":   {"v=spf1 ip4:198.51.100.1"},
		"softfail.example":  {"V=SPF1 ~ALL"},
		"void.example":      {"v=spf1 a:n1.example a:n2.example a:n3.example -all"},
		"void2.example":     {"v=spf1 a:n1.example a:n2.example ip4:192.0.2.1 -all"},
		"exists.example":    {"v=spf1 exists:%{ir}.%{l1r-}.%{d}.list.example -all"},
		"badmacro.example":  {"v=spf1 exists:%{x}.example -all"},
		"exp-macro.example": {"v=spf1 exists:%{c}.example -all"},
		"helo.example":      {"v=spf1 ip4:192.0.2.1 -all"},
		"ptr.example":       {"v=spf1 ptr -all"},
		"case.example":      {"v=spf1 IP4:192.0.2.1 -ALL"},
	}
	// 11 includes in a chain: the 11th lookup is one too many.
	for i := range 12 {
		base["chain"+strconv.Itoa(i)+".example"] = []string{"v=spf1 include:chain" + strconv.Itoa(i+1) + ".example -all"}
	}
	base["chain12.example"] = []string{"v=spf1 +all"}
	for i := range 3 {
		base["short"+strconv.Itoa(i)+".example"] = []string{"v=spf1 include:short" + strconv.Itoa(i+1) + ".example -all"}
	}
	base["short3.example"] = []string{"v=spf1 +all"}

	dns := func() *fakeDNS {
		return &fakeDNS{
			txt: base,
			ip: map[string][]string{
				"a.example":      {"192.0.2.200", "2001:db8::1"},
				"mail.a.example": {"2001:db8:5:6::1"},
				"mx1.mx.example": {"198.51.100.7"},
				"mx2.mx.example": {"203.0.113.9"},
				"1.2.0.192.jan.exists.example.list.example": {"127.0.0.2"},
			},
			mx: map[string][]string{
				"mx.example":    {"mx1.mx.example", "gone.mx.example", "mx2.mx.example"},
				"bigmx.example": strings.Split("a b c d e f g h i j k", " "),
			},
			fail: map[string]bool{"down.example": true, "slow.example": true},
		}
	}

	for _, tc := range []struct {
		name    string
		ip      string
		from    string
		helo    string
		want    string
		wantWhy string
	}{
		{"ip4 pass", "192.0.2.77", "jan@ip4.example", "", Pass, "allows 192.0.2.77"},
		{"ip4 fail", "198.51.100.1", "jan@ip4.example", "", Fail, "does not allow"},
		{"ip4 client against ip6 only", "192.0.2.1", "jan@ip6.example", "", SoftFail, ""},
		{"ip6 cidr pass", "2001:db8:1:ffff::5", "jan@ip6.example", "", Pass, ""},
		{"ip6 cidr outside", "2001:db8:2::5", "jan@ip6.example", "", SoftFail, ""},
		{"ipv4-mapped client", "::ffff:192.0.2.9", "jan@ip4.example", "", Pass, ""},
		{"a with /24", "192.0.2.9", "jan@a.example", "", Pass, ""},
		{"a outside /24", "192.0.3.9", "jan@a.example", "", Fail, ""},
		{"a ipv6 exact", "2001:db8::1", "jan@a.example", "", Pass, ""},
		{"a:domain //64", "2001:db8:5:6::abcd", "jan@a.example", "", Pass, ""},
		{"mx pass on second exchange", "203.0.113.9", "jan@mx.example", "", Pass, ""},
		{"mx fail", "203.0.113.10", "jan@mx.example", "", Fail, ""},
		{"more than 10 MX", "203.0.113.10", "jan@bigmx.example", "", PermError, "more than 10 MX"},
		{"include pass", "192.0.2.5", "jan@inc.example", "", Pass, ""},
		{"include no match", "198.51.100.5", "jan@inc.example", "", Neutral, ""},
		{"include without record", "192.0.2.5", "jan@incnone.example", "", PermError, "include:nothing.example has no SPF record"},
		{"include DNS down", "192.0.2.5", "jan@incdown.example", "", TempError, "DNS error"},
		{"include loop", "192.0.2.5", "jan@loop1.example", "", PermError, "more than 10 DNS lookups"},
		{"lookup limit", "192.0.2.5", "jan@chain0.example", "", PermError, "more than 10 DNS lookups"},
		{"within lookup limit", "192.0.2.5", "jan@short0.example", "", Pass, ""},
		{"redirect", "192.0.2.5", "jan@redir.example", "", Pass, ""},
		{"redirect fail", "198.51.100.5", "jan@redir.example", "", Fail, ""},
		{"redirect without record", "192.0.2.5", "jan@redirnone.example", "", PermError, "redirect=nothing.example"},
		{"all before redirect wins", "192.0.2.5", "jan@redirall.example", "", Fail, ""},
		{"two records", "192.0.2.5", "jan@two.example", "", PermError, "more than one SPF record"},
		{"other TXT records ignored", "192.0.2.1", "jan@other.example", "", Pass, ""},
		{"unknown mechanism", "192.0.2.1", "jan@syntax.example", "", PermError, "unknown mechanism"},
		{"cidr too long", "192.0.2.1", "jan@badcidr.example", "", PermError, "malformed"},
		{"ip6 address in ip4", "192.0.2.1", "jan@badip.example", "", PermError, "malformed"},
		{"exp and unknown modifiers ignored", "192.0.2.1", "jan@mods.example", "", Pass, ""},
		{"exp twice", "192.0.2.1", "jan@twoexp.example", "", PermError, "malformed"},
		{"nothing matched", "192.0.2.1", "jan@neutral.example", "", Neutral, "says nothing about"},
		{"case-insensitive", "192.0.2.1", "jan@softfail.example", "", SoftFail, ""},
		{"case-insensitive terms", "192.0.2.1", "jan@case.example", "", Pass, ""},
		{"no record", "192.0.2.1", "jan@nothing.example", "", None, "publishes no SPF record"},
		{"DNS down", "192.0.2.1", "jan@slow.example", "", TempError, "DNS error"},
		{"void lookup limit", "192.0.2.1", "jan@void.example", "", PermError, "more than 2"},
		{"two void lookups allowed", "192.0.2.1", "jan@void2.example", "", Pass, ""},
		{"exists with macros", "192.0.2.1", "piet-jan@exists.example", "", Fail, ""},
		{"exists with macros match", "192.0.2.1", "jan-piet@exists.example", "", Pass, ""},
		{"unknown macro", "192.0.2.1", "jan@badmacro.example", "", PermError, "bad macro"},
		{"exp-only macro", "192.0.2.1", "jan@exp-macro.example", "", PermError, "bad macro"},
		{"ptr never matches", "192.0.2.1", "jan@ptr.example", "", Fail, ""},
		{"null sender checks HELO", "192.0.2.1", "", "helo.example", Pass, ""},
		{"null sender HELO fail", "192.0.2.2", "", "helo.example", Fail, ""},
		{"null sender, HELO an address literal", "192.0.2.2", "", "[192.0.2.2]", None, "not a domain name"},
		{"sender in angle brackets", "192.0.2.77", "<jan@IP4.example>", "", Pass, ""},
		{"no client address", "", "jan@ip4.example", "", None, "unknown"},
		{"single-label domain", "192.0.2.1", "jan@localhost", "", None, "not a domain name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{RemoteIP: net.ParseIP(tc.ip), MailFrom: tc.from, Helo: tc.helo}
			got := checkSPF(context.Background(), dns(), in)
			if got.result != tc.want {
				t.Errorf("SPF = %s, want %s (%s)", got.result, tc.want, got.reason)
			}
			if !strings.Contains(got.reason, tc.wantWhy) {
				t.Errorf("reason = %q, want it to mention %q", got.reason, tc.wantWhy)
			}
		})
	}
}

func TestSPFScope(t *testing.T) {
	dns := &fakeDNS{txt: map[string][]string{"helo.example": {"v=spf1 +all"}}}
	res := Verify(context.Background(), dns, Input{RemoteIP: net.ParseIP("192.0.2.1"), Helo: "HELO.example.", Message: []byte(testMessage)})
	if res.SPF != Pass || res.SPFDomain != "helo.example" || res.SPFScope != "helo" {
		t.Errorf("got SPF %s for %q (%s), want pass for helo.example (helo)", res.SPF, res.SPFDomain, res.SPFScope)
	}
}

// The examples of RFC 7208 7.4.
func TestSPFMacros(t *testing.T) {
	for _, tc := range []struct {
		ip, spec, want string
	}{
		{"192.0.2.3", "%{s}", "strong-bad@email.example.com"},
		{"192.0.2.3", "%{o}", "email.example.com"},
		{"192.0.2.3", "%{d}", "email.example.com"},
		{"192.0.2.3", "%{d4}", "email.example.com"},
		{"192.0.2.3", "%{d3}", "email.example.com"},
		{"192.0.2.3", "%{d2}", "example.com"},
		{"192.0.2.3", "%{dr}", "com.example.email"},
		{"192.0.2.3", "%{d2r}", "example.email"},
		{"192.0.2.3", "%{l}.x.example", "strong-bad.x.example"},
		{"192.0.2.3", "%{l-}.x.example", "strong.bad.x.example"},
		{"192.0.2.3", "%{lr-}.x.example", "bad.strong.x.example"},
		{"192.0.2.3", "%{l1r-}.x.example", "strong.x.example"},
		{"192.0.2.3", "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
		{"192.0.2.3", "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
		{"192.0.2.3", "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
		{"192.0.2.3", "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
		{"192.0.2.3", "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
		{"2001:db8::cb01", "%{ir}.%{v}._spf.%{d2}", "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"},
		{"192.0.2.3", "%{h}.%%.%{p}", "mx.example.org.%.unknown"},
	} {
		e := &spfEval{ip: netip.MustParseAddr(tc.ip), sender: "strong-bad@email.example.com", local: "strong-bad",
			senderDomain: "email.example.com", helo: "mx.example.org"}
		got, err := e.expand(tc.spec, "email.example.com")
		if err != nil || got != tc.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tc.spec, got, err, tc.want)
		}
	}
	e := &spfEval{ip: netip.MustParseAddr("192.0.2.3"), sender: strings.Repeat("x", 300) + "@e.example", local: strings.Repeat("x", 300), senderDomain: "e.example"}
	for _, spec := range []string{"%{x}", "%{", "%", "%{l0}", "%{d}\x01", "%{l}.example", "%{lz}"} {
		if got, err := e.expand(spec, "e.example"); err == nil {
			t.Errorf("expand(%q) = %q, want an error", spec, got)
		}
	}
	// Too long: shortened from the left to 253 characters.
	e.local = strings.Repeat("abcdefgh.", 40)
	got, err := e.expand("%{l}.e.example", "e.example")
	if err != nil || len(got) > 253 || !strings.HasSuffix(got, ".e.example") {
		t.Errorf("long expansion = %q (%d), %v; want at most 253 characters ending in .e.example", got, len(got), err)
	}
}
