package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/privacy"
)

// GDPR pages: a customer's privacy page (export, erasure with a typed
// confirmation, then the erasure report) for agents with contacts.erase,
// and the admins' privacy page: retention per channel, the access log with
// filters, the erasure reports.

func (h *Handler) privacyRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /app/contacts/{id}/privacy", h.privacyGuard(auth.ContactsErase, h.contactPrivacy))
	mux.HandleFunc("GET /app/contacts/{id}/export", h.privacyGuard(auth.ContactsErase, h.contactExport))
	mux.HandleFunc("POST /app/contacts/{id}/erase", h.privacyGuard(auth.ContactsErase, h.contactErase))
	mux.HandleFunc("GET /admin/privacy", h.privacyGuard(auth.SettingsManage, h.adminPrivacy))
	mux.HandleFunc("POST /admin/privacy/retention", h.privacyGuard(auth.SettingsManage, h.adminRetention))
}

// privacyGuard lets in agents holding p, when privacy is wired (404
// otherwise).
func (h *Handler) privacyGuard(p auth.Permission, fn func(*req)) http.HandlerFunc {
	return h.guard(func(r desk.Role) bool { return auth.Allowed(r, p) }, maxForm, func(q *req) {
		if h.d.Privacy == nil {
			h.errorPage(q.w, q.r, q.locale, q, http.StatusNotFound)
			return
		}
		fn(q)
	})
}

// logView records that the agent opened a contact or conversation page;
// a failure is logged, the page is shown anyway.
func (h *Handler) logView(q *req, contactID, conversationID int64) {
	if h.d.Privacy == nil || q.agent == nil {
		return
	}
	if err := h.d.Privacy.LogView(q.r.Context(), q.agent.ID, contactID, conversationID); err != nil {
		h.log.Error("web: access log", "err", err)
	}
}

type contactPrivacyData struct {
	Contact *desk.Contact
	Name    string
	// Report is the erasure just done; the page then shows it instead of
	// the forms.
	Report *desk.ErasureReport
	// Wrong is set when the typed confirmation did not match.
	Wrong bool
}

func (h *Handler) contactPrivacy(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	c, err := h.d.Store.ContactByID(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "privacy_contact", "search", contactPrivacyData{Contact: c, Name: contactName(c)})
}

func (h *Handler) contactExport(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	if _, err := h.d.Store.ContactByID(q.r.Context(), id); err != nil {
		h.fail(q, err)
		return
	}
	q.w.Header().Set("Content-Type", "application/zip")
	q.w.Header().Set("Content-Disposition", `attachment; filename="contact-`+strconv.FormatInt(id, 10)+`.zip"`)
	q.w.Header().Set("Cache-Control", "no-store")
	if err := h.d.Privacy.Export(q.r.Context(), q.agent.ID, id, q.w); err != nil {
		// Bytes may be out already: the archive is cut short, and unreadable.
		h.log.Error("web: export", "contact", id, "err", err)
	}
}

func (h *Handler) contactErase(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	c, err := h.d.Store.ContactByID(q.r.Context(), id)
	if err != nil {
		h.fail(q, err)
		return
	}
	d := contactPrivacyData{Contact: c, Name: contactName(c)}
	if !confirmsErasure(c, q.r.PostForm.Get("confirm")) || q.r.PostForm.Get("understood") != "1" {
		d.Wrong = true
		h.render(q.w, q, http.StatusUnprocessableEntity, "privacy_contact", "search", d)
		return
	}
	rep, err := h.d.Privacy.Erase(q.r.Context(), q.agent.ID, id)
	if err != nil {
		h.failed(q, "/app/contacts/"+strconv.FormatInt(id, 10)+"/privacy", err)
		return
	}
	d.Report = rep
	h.render(q.w, q, http.StatusOK, "privacy_contact", "search", d)
}

// confirmsErasure reports whether typed is the contact's email or name (any
// case), or its id when it has neither.
func confirmsErasure(c *desk.Contact, typed string) bool {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return false
	}
	for _, want := range []string{c.Email, c.Name} {
		if want != "" && strings.EqualFold(typed, strings.TrimSpace(want)) {
			return true
		}
	}
	return c.Email == "" && c.Name == "" && typed == strconv.FormatInt(c.ID, 10)
}

type adminPrivacyData struct {
	Policies []policyRow
	Access   []accessRow
	Reports  []desk.ErasureReport
	Filter   accessFilter
	Actions  []desk.AccessAction
}

type policyRow struct {
	Channel desk.ChannelKind
	Days    int
	Mode    privacy.Mode
}

type accessRow struct {
	desk.AccessEntry
	Agent string
}

type accessFilter struct {
	AgentID, ContactID int64
	Action             string
}

// retentionChannels are the channels the retention form offers, in order.
var retentionChannels = []desk.ChannelKind{desk.ChannelEmail, desk.ChannelWebChat, desk.ChannelWhatsApp,
	desk.ChannelMessenger, desk.ChannelInstagram, desk.ChannelTelegram, desk.ChannelAPI, desk.ChannelPhone}

func (h *Handler) adminPrivacy(q *req) {
	ctx := q.r.Context()
	ps, err := h.d.Privacy.Policies(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	d := adminPrivacyData{Actions: []desk.AccessAction{desk.AccessViewContact, desk.AccessViewConversation,
		desk.AccessExport, desk.AccessExportSelf, desk.AccessErase}}
	for _, ch := range retentionChannels {
		row := policyRow{Channel: ch, Mode: privacy.ModeDelete}
		for _, p := range ps {
			if p.Channel == ch {
				row.Days, row.Mode = p.Days, p.Mode
			}
		}
		d.Policies = append(d.Policies, row)
	}
	f := q.r.URL.Query()
	d.Filter.AgentID, _ = strconv.ParseInt(f.Get("agent"), 10, 64)
	d.Filter.ContactID, _ = strconv.ParseInt(f.Get("contact"), 10, 64)
	d.Filter.Action = f.Get("action")
	entries, err := h.d.Privacy.Access(ctx, desk.AccessQuery{AgentID: d.Filter.AgentID, ContactID: d.Filter.ContactID,
		Action: desk.AccessAction(d.Filter.Action), Limit: 200})
	if err != nil {
		h.fail(q, err)
		return
	}
	n, err := h.names(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	for _, e := range entries {
		name := n.agents[e.AgentID]
		switch {
		case e.Action == desk.AccessExportSelf:
			name = h.cats[q.locale].T("privacy.by_customer")
		case e.AgentID == 0:
			name = "balie"
		}
		d.Access = append(d.Access, accessRow{AccessEntry: e, Agent: name})
	}
	if d.Reports, err = h.d.Privacy.Reports(ctx, 50); err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "admin_privacy", "admin/privacy", d)
}

func (h *Handler) adminRetention(q *req) {
	var ps []privacy.Policy
	for _, ch := range retentionChannels {
		days := strings.TrimSpace(q.r.PostForm.Get("days_" + string(ch)))
		if days == "" || days == "0" {
			continue
		}
		n, err := strconv.Atoi(days)
		if err != nil {
			h.failed(q, "/admin/privacy", desk.Invalid("days", "a whole number of days"))
			return
		}
		ps = append(ps, privacy.Policy{Channel: ch, Days: n, Mode: privacy.Mode(q.r.PostForm.Get("mode_" + string(ch)))})
	}
	if err := h.d.Privacy.SetPolicies(q.r.Context(), ps); err != nil {
		h.failed(q, "/admin/privacy", err)
		return
	}
	h.back(q, "/admin/privacy", flash{Kind: "ok", Key: "flash.saved"})
}
