package web

import (
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// authView is an inbound mail's sender authentication as the thread shows
// it: each verdict, who checked, and whether to warn the agent.
type authView struct {
	Items   []authItem
	Checker string
	// Warn is set when the mail fails DMARC, or fails SPF without DMARC
	// to say otherwise: the From address may be forged, so the agent
	// should not act on it (a refund, an address change) unverified.
	Warn bool
}

type authItem struct{ Name, Result string }

// mailAuth reads desk.MetaEmailAuth ("spf=pass dkim=none dmarc=fail;
// checker"); nil when the message has none.
func mailAuth(m desk.Message) *authView {
	raw := m.Meta[desk.MetaEmailAuth]
	if raw == "" {
		return nil
	}
	results, checker, _ := strings.Cut(raw, ";")
	v := &authView{Checker: strings.TrimSpace(checker)}
	got := map[string]string{}
	for _, f := range strings.Fields(results) {
		name, res, ok := strings.Cut(f, "=")
		if !ok || got[name] != "" {
			continue
		}
		got[name] = res
		v.Items = append(v.Items, authItem{Name: strings.ToUpper(name), Result: res})
	}
	switch dmarc := got["dmarc"]; {
	case dmarc == "fail":
		v.Warn = true
	case dmarc == "pass":
	default:
		v.Warn = got["spf"] == "fail"
	}
	return v
}
