package mailauth

import (
	"context"
	"strings"
)

// dmarcResult is the outcome of the DMARC check for the Result.
type dmarcResult struct {
	result, policy, reason string
}

// dmarcRecord is the part of a DMARC record (RFC 7489 6.3) that decides
// the result and what to report.
type dmarcRecord struct {
	policy     string // p=
	subPolicy  string // sp=, or p= when absent
	strictDKIM bool   // adkim=s
	strictSPF  bool   // aspf=s
}

// checkDMARC evaluates the From domain's policy against the SPF and DKIM
// outcomes (RFC 7489 6.6).
func checkDMARC(ctx context.Context, r Resolver, from string, spf spfResult, sigs []sigResult) dmarcResult {
	rec, res, why := lookupDMARC(ctx, r, from)
	if res != "" {
		return dmarcResult{result: res, reason: why}
	}
	out := dmarcResult{policy: rec.policy}
	if spf.result == Pass && spf.domain != "" && aligned(spf.domain, from, rec.strictSPF) {
		out.result, out.reason = Pass, "SPF passed for "+spf.domain+", aligned with From "+from
		return out
	}
	for _, s := range sigs {
		if s.result == Pass && aligned(s.domain, from, rec.strictDKIM) {
			out.result, out.reason = Pass, "DKIM signature by "+s.domain+", aligned with From "+from
			return out
		}
	}
	out.result = Fail
	out.reason = "neither a passing SPF nor a valid DKIM signature belongs to From " + from
	if spf.result == Pass || anyPass(sigs) {
		out.reason = "SPF or DKIM passed, but for another domain than From " + from
	}
	out.reason += "; its policy is " + rec.policy
	return out
}

func anyPass(sigs []sigResult) bool {
	for _, s := range sigs {
		if s.result == Pass {
			return true
		}
	}
	return false
}

// lookupDMARC finds the record at _dmarc.<from>, else at the
// organisational domain. A non-empty result is none or temperror.
func lookupDMARC(ctx context.Context, r Resolver, from string) (rec dmarcRecord, result, reason string) {
	org := orgDomain(from)
	names := []string{from}
	if org != from {
		names = append(names, org)
	}
	for _, d := range names {
		txts, err := r.LookupTXT(ctx, fqdn("_dmarc."+d))
		if classify(err) == failed {
			return rec, TempError, "DNS error looking up the DMARC record of " + d
		}
		var recs []dmarcRecord
		for _, t := range txts {
			if rec, ok := parseDMARC(t); ok {
				recs = append(recs, rec)
			}
		}
		switch len(recs) {
		case 0:
			continue
		case 1:
		default:
			// RFC 7489 6.6.3: more than one record means no DMARC.
			return rec, None, d + " publishes more than one DMARC record"
		}
		rec = recs[0]
		if d != from {
			// Found at the organisational domain: From is a subdomain.
			rec.policy = rec.subPolicy
		}
		return rec, "", ""
	}
	return rec, None, from + " publishes no DMARC record"
}

// parseDMARC reads one TXT record; ok is false when it is not a usable
// DMARC record.
func parseDMARC(t string) (dmarcRecord, bool) {
	var rec dmarcRecord
	if !strings.HasPrefix(strings.ToLower(strings.TrimLeft(t, " \t")), "v=dmarc1") {
		return rec, false
	}
	tags, order, err := parseTags(t)
	if err != nil || len(order) == 0 || order[0] != "v" || !strings.EqualFold(tags["v"], "DMARC1") {
		return rec, false
	}
	lower := map[string]string{}
	for k, v := range tags {
		lower[strings.ToLower(k)] = strings.ToLower(v)
	}
	p := lower["p"]
	if !isPolicy(p) {
		// 6.6.3: a record with rua= but no valid p= is treated as p=none.
		if _, ok := lower["rua"]; !ok {
			return rec, false
		}
		p = "none"
	}
	rec.policy = p
	rec.subPolicy = p
	if sp := lower["sp"]; isPolicy(sp) {
		rec.subPolicy = sp
	}
	rec.strictDKIM = lower["adkim"] == "s"
	rec.strictSPF = lower["aspf"] == "s"
	return rec, true
}

func isPolicy(p string) bool { return p == "none" || p == "quarantine" || p == "reject" }

// aligned says whether a domain that SPF or DKIM vouched for stands for
// the From domain: the same domain when strict, the same organisational
// domain when relaxed (RFC 7489 3.1).
func aligned(d, from string, strict bool) bool {
	d, from = normalizeDomain(d), normalizeDomain(from)
	if strict {
		return d == from
	}
	return orgDomain(d) == orgDomain(from)
}

// orgDomain returns the organisational domain (RFC 7489 3.2): the public
// suffix and one label more. Without the Public Suffix List this knows
// only the suffixes of two labels in multiLabelSuffix and takes the last
// two labels otherwise.
func orgDomain(d string) string {
	labels := strings.Split(d, ".")
	n := len(labels)
	if n <= 2 {
		return d
	}
	if multiLabelSuffix(labels[n-2] + "." + labels[n-1]) {
		return strings.Join(labels[n-3:], ".")
	}
	return labels[n-2] + "." + labels[n-1]
}

// multiLabelSuffix lists common public suffixes of two labels under which
// companies register their domains. Keep it short; it is no replacement
// for the Public Suffix List.
func multiLabelSuffix(s string) bool {
	switch s {
	case "co.uk", "org.uk", "me.uk", "ltd.uk", "plc.uk", "ac.uk", "gov.uk", "net.uk",
		"com.au", "net.au", "org.au", "edu.au", "gov.au",
		"co.nz", "net.nz", "org.nz",
		"co.jp", "ne.jp", "or.jp",
		"co.za", "co.in", "co.kr", "co.il",
		"com.br", "com.cn", "com.mx", "com.tr", "com.sg", "com.hk", "com.ar", "com.tw":
		return true
	}
	return false
}
