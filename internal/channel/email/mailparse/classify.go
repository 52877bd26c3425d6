package mailparse

import (
	"bytes"
	"regexp"
	"strings"
)

// autoSubject matches subjects of out-of-office and auto-responder mail in
// English, Dutch, German and French.
var autoSubject = regexp.MustCompile(`(?i)^(auto(matic|matische?)?[ -]?(reply|response|antwoord|antwort|answer)\b|autoreply\b|auto:|out of (the )?office|ooo\b|afwezig|niet aanwezig|buiten kantoor|automatisch antwoord|abwesenheit|réponse automatique|absence)`)

// isAutoReply reports mail that must not get an automatic answer (RFC 3834
// and the de-facto headers of Exchange, Gmail and list software).
func isAutoReply(h header, subject string) bool {
	if v := strings.ToLower(strings.TrimSpace(h.get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return true
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"} {
		if h.has(k) {
			return true
		}
	}
	switch strings.ToLower(strings.TrimSpace(h.get("Precedence"))) {
	case "bulk", "junk", "list", "auto_reply":
		return true
	}
	if strings.Contains(strings.ToLower(h.get("X-Auto-Response-Suppress")), "oof") && h.has("X-Ms-Exchange-Inbox-Rules-Loop") {
		return true
	}
	if h.has("List-Id") || h.has("List-Unsubscribe") {
		return true
	}
	return autoSubject.MatchString(strings.TrimSpace(subject))
}

var (
	bounceFrom    = regexp.MustCompile(`(?i)^(mailer-daemon|postmaster|mail-daemon|mailer|mdaemon)@`)
	bounceSubject = regexp.MustCompile(`(?i)(undeliver|undelivered|delivery (status notification|failure|has failed)|returned mail|mail delivery (failed|failure|subsystem)|failure notice|onbestelbaar|niet bezorgd|kan niet worden bezorgd|unzustellbar|non remis)`)
	statusCode    = regexp.MustCompile(`\b([245]\.\d{1,3}\.\d{1,3})\b`)
	reBlankLines  = regexp.MustCompile(`\n\s*\n`)
	failedAddr    = regexp.MustCompile(`<?([A-Za-z0-9._%+\-=]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})>?`)
)

// detectBounce reads a DSN when the mail has one and otherwise recognises
// the common non-standard bounces by sender and subject.
func detectBounce(h header, m *Message, wk *walker) *Bounce {
	if wk.dsn != nil && (wk.reportType == "" || strings.Contains(wk.reportType, "delivery-status")) {
		b := &Bounce{DSN: true, Recipients: parseDSN(wk.dsn)}
		return b
	}
	isBounce := bounceFrom.MatchString(m.From.Addr) && bounceSubject.MatchString(m.Subject) ||
		h.has("X-Failed-Recipients")
	if !isBounce {
		return nil
	}
	b := &Bounce{}
	status := ""
	if s := statusCode.FindString(m.Text); s != "" {
		status = s
	}
	var addrs []string
	for _, v := range h.values("X-Failed-Recipients") {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				addrs = append(addrs, a)
			}
		}
	}
	if len(addrs) == 0 {
		// The first address in the text that is not the bouncer's own.
		for _, mm := range failedAddr.FindAllStringSubmatch(m.Text, 20) {
			a := mm[1]
			if !strings.EqualFold(a, m.From.Addr) && !bounceFrom.MatchString(a) {
				addrs = append(addrs, a)
				break
			}
		}
	}
	for _, a := range addrs {
		b.Recipients = append(b.Recipients, BounceRecipient{Addr: a, Action: "failed", Status: status})
	}
	return b
}

// parseDSN reads the per-recipient blocks of a message/delivery-status
// body (RFC 3464).
func parseDSN(body []byte) []BounceRecipient {
	body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	var out []BounceRecipient
	for _, block := range reBlankLines.Split(string(body), -1) {
		h, _ := splitHeader([]byte(strings.TrimSpace(block)+"\n\n"), &warnings{})
		addr := typedValue(h.get("Final-Recipient"))
		if addr == "" {
			addr = typedValue(h.get("Original-Recipient"))
		}
		if addr == "" {
			continue
		}
		st := strings.TrimSpace(h.get("Status"))
		if f := strings.Fields(st); len(f) > 0 {
			st = f[0]
		}
		out = append(out, BounceRecipient{
			Addr:       strings.Trim(addr, "<>"),
			Action:     strings.ToLower(strings.TrimSpace(h.get("Action"))),
			Status:     st,
			Diagnostic: decodeText(typedValue(h.get("Diagnostic-Code"))),
		})
	}
	return out
}

// typedValue strips the address-type of "rfc822; user@example.org".
func typedValue(v string) string {
	if _, after, ok := strings.Cut(v, ";"); ok {
		return strings.TrimSpace(after)
	}
	return strings.TrimSpace(v)
}

var authResult = regexp.MustCompile(`(?i)\b(spf|dkim|dmarc)\s*=\s*([a-z]+)`)

// parseAuthResults reads the first (topmost) Authentication-Results
// header: the one the nearest receiving server added.
func parseAuthResults(values []string) AuthResults {
	if len(values) == 0 {
		return AuthResults{}
	}
	v := values[0]
	var r AuthResults
	servID, rest, _ := strings.Cut(v, ";")
	r.ServID = strings.TrimSpace(strings.Fields(servID + " x")[0])
	for _, m := range authResult.FindAllStringSubmatch(rest, -1) {
		res := strings.ToLower(m[2])
		switch strings.ToLower(m[1]) {
		case "spf":
			if r.SPF == "" {
				r.SPF = res
			}
		case "dkim":
			// Several signatures: one pass is enough for DKIM alignment
			// reporting; DMARC says whether it aligned.
			if r.DKIM == "" || res == "pass" {
				r.DKIM = res
			}
		case "dmarc":
			if r.DMARC == "" {
				r.DMARC = res
			}
		}
	}
	return r
}
