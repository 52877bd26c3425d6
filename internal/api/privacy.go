package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/privacy"
	"github.com/balie-dev/balie/internal/wire"
)

// GDPR: export and erase a customer, the erasure reports, retention
// policies and the personal-data access log. Export and erasure need the
// supervisor role (auth.ContactsErase); the access log and the policies
// the admin role.

type eraseIn struct {
	// Confirm must be the contact's email address or name (any case): the
	// second step that makes an erasure deliberate.
	Confirm string `json:"confirm"`
}

type residueJSON struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	Rows   int    `json:"rows"`
}

type erasureJSON struct {
	ID            int64          `json:"id"`
	ContactID     int64          `json:"contact_id"`
	AgentID       int64          `json:"agent_id"`
	Reason        string         `json:"reason"`
	Conversations int            `json:"conversations"`
	Messages      int            `json:"messages"`
	Removed       map[string]int `json:"removed"`
	Files         int            `json:"files"`
	FilesFailed   int            `json:"files_failed"`
	Residue       []residueJSON  `json:"residue"`
	Complete      bool           `json:"complete"`
	At            wire.Time      `json:"at"`
}

func erasureOut(r *desk.ErasureReport) erasureJSON {
	out := erasureJSON{ID: r.ID, ContactID: r.ContactID, AgentID: r.AgentID, Reason: r.Reason,
		Conversations: r.Conversations, Messages: r.Messages, Removed: r.Removed, Files: r.Files,
		FilesFailed: r.FilesFailed, Residue: []residueJSON{}, Complete: r.Complete, At: wire.Time{Time: r.At}}
	if out.Removed == nil {
		out.Removed = map[string]int{}
	}
	for _, x := range r.Residue {
		out.Residue = append(out.Residue, residueJSON(x))
	}
	return out
}

type accessJSON struct {
	ID             int64     `json:"id"`
	AgentID        int64     `json:"agent_id"`
	Action         string    `json:"action"`
	ContactID      int64     `json:"contact_id"`
	ConversationID int64     `json:"conversation_id"`
	At             wire.Time `json:"at"`
}

type policiesJSON struct {
	Policies []privacy.Policy `json:"policies"`
}

func (h *Handler) privacyRoutes(r func(method, path string, role desk.Role, summary string, fn func(http.ResponseWriter, *http.Request) error) Route) []Route {
	S, X := desk.RoleSupervisor, desk.RoleAdmin
	return []Route{
		r("GET", "/contacts/{id}/export", S, "Everything held about a customer, as a zip archive (GDPR access)", h.exportContact),
		r("POST", "/contacts/{id}/erase", S, "Erase a customer and everything held about them, with a verified report (GDPR erasure)", h.eraseContact).io(eraseIn{}, erasureJSON{}),
		r("GET", "/privacy/erasures", S, "Erasure reports, newest first", h.erasureReports).io(nil, list[erasureJSON]{}).query("limit"),
		r("GET", "/privacy/access", X, "Who viewed, exported or erased personal data, newest first", h.accessLog).io(nil, list[accessJSON]{}).
			query("agent_id", "contact_id", "action", "since", "until", "before_id", "limit"),
		r("GET", "/privacy/retention", X, "Retention policies per channel", h.retentionPolicies).io(nil, policiesJSON{}),
		r("PUT", "/privacy/retention", X, "Set the retention policies per channel", h.setRetentionPolicies).io(policiesJSON{}, policiesJSON{}),
	}
}

func (h *Handler) privacyOn() error {
	if h.Privacy == nil {
		return fmt.Errorf("privacy is not configured: %w", desk.ErrNotFound)
	}
	return nil
}

func callerID(r *http.Request) int64 {
	if p := principal(r); p != nil && p.Agent != nil {
		return p.Agent.ID
	}
	return 0
}

func (h *Handler) exportContact(w http.ResponseWriter, r *http.Request) error {
	if err := h.privacyOn(); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := h.Store.ContactByID(r.Context(), id); err != nil {
		return fmt.Errorf("contact %d: %w", id, err)
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="contact-`+strconv.FormatInt(id, 10)+`.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	// Once bytes are out an error can only cut the archive short; the
	// zip's missing directory makes it unreadable rather than wrong.
	if err := h.Privacy.Export(r.Context(), callerID(r), id, w); err != nil {
		if l := loggerFrom(r); l != nil {
			l.Error("export", "contact", id, "err", err)
		}
	}
	return nil
}

func (h *Handler) eraseContact(w http.ResponseWriter, r *http.Request) error {
	if err := h.privacyOn(); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in eraseIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := h.Store.ContactByID(r.Context(), id)
	if err != nil {
		return fmt.Errorf("contact %d: %w", id, err)
	}
	if !ConfirmsErasure(c, in.Confirm) {
		return desk.Invalid("confirm", "type the customer's email address or name to confirm")
	}
	rep, err := h.Privacy.Erase(r.Context(), callerID(r), id)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, erasureOut(rep))
}

// ConfirmsErasure reports whether typed names the contact: its email or
// its name, in any case, spaces around ignored. A contact with neither
// is confirmed by its id.
func ConfirmsErasure(c *desk.Contact, typed string) bool {
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

func (h *Handler) erasureReports(w http.ResponseWriter, r *http.Request) error {
	if err := h.privacyOn(); err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 50, 500)
	if err != nil {
		return err
	}
	rs, err := h.Privacy.Reports(r.Context(), limit)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(rs, func(x *desk.ErasureReport) erasureJSON { return erasureOut(x) }))
}

func (h *Handler) accessLog(w http.ResponseWriter, r *http.Request) error {
	if err := h.privacyOn(); err != nil {
		return err
	}
	var q desk.AccessQuery
	var err error
	if q.AgentID, err = queryID(r, "agent_id"); err != nil {
		return err
	}
	if q.ContactID, err = queryID(r, "contact_id"); err != nil {
		return err
	}
	if q.BeforeID, err = queryID(r, "before_id"); err != nil {
		return err
	}
	if q.Limit, err = queryInt(r, "limit", 100, 1000); err != nil {
		return err
	}
	q.Action = desk.AccessAction(r.URL.Query().Get("action"))
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if v := r.URL.Query().Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return desk.Invalid(name, "an RFC 3339 time")
			}
			*dst = t
		}
	}
	es, err := h.Privacy.Access(r.Context(), q)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(es, func(e *desk.AccessEntry) accessJSON {
		return accessJSON{ID: e.ID, AgentID: e.AgentID, Action: string(e.Action), ContactID: e.ContactID,
			ConversationID: e.ConversationID, At: wire.Time{Time: e.At}}
	}))
}

func (h *Handler) retentionPolicies(w http.ResponseWriter, r *http.Request) error {
	if err := h.privacyOn(); err != nil {
		return err
	}
	ps, err := h.Privacy.Policies(r.Context())
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []privacy.Policy{}
	}
	return write(w, http.StatusOK, policiesJSON{Policies: ps})
}

func (h *Handler) setRetentionPolicies(w http.ResponseWriter, r *http.Request) error {
	if err := h.privacyOn(); err != nil {
		return err
	}
	var in policiesJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := h.Privacy.SetPolicies(r.Context(), in.Policies); err != nil {
		return err
	}
	return h.retentionPolicies(w, r)
}

// logView records that the caller viewed a contact or conversation. A
// failure is logged, not returned: the audit log must not take the inbox
// down with it.
func (h *Handler) logView(r *http.Request, contactID, conversationID int64) {
	if h.Privacy == nil {
		return
	}
	if err := h.Privacy.LogView(r.Context(), callerID(r), contactID, conversationID); err != nil {
		if l := loggerFrom(r); l != nil {
			l.Error("access log", "err", err)
		}
	}
}
