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

// unverifiedSender says why a customer message's sender is unproven:
// desk.SenderFromForm for a help-center form (anyone can type a customer's
// address there), "other" for a mark balie does not know yet, "" when
// nothing says so. Agents get a warning on the message.
func unverifiedSender(m desk.Message) string {
	switch src, ok := m.Meta[desk.MetaSenderUnverified]; {
	case !ok || m.Sender != desk.SenderContact:
		return ""
	case src == desk.SenderFromForm:
		return desk.SenderFromForm
	default:
		return "other"
	}
}

// SenderWarning says whether the order actions get a warning because a
// customer message in the thread comes from a sender who may not be who
// they say: unverifiedSender's answer for a typed-in address, "mail" for
// mail that fails its authentication, "" when none does. An agent's
// order action needs no approval, so it should not rest on an unproven
// request.
func (d conversationData) SenderWarning() string {
	warn := ""
	for _, m := range d.Messages {
		if m.Kind != desk.KindMessage || m.Sender != desk.SenderContact {
			continue
		}
		if src := unverifiedSender(m); src != "" {
			return src
		}
		if a := mailAuth(m); a != nil && a.Warn {
			warn = "mail"
		}
	}
	return warn
}
