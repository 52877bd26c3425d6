package web

import (
	"maps"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/inboxcfg"
)

// mailView is what an email inbox's page says about receiving mail and
// DKIM: where MX or forwarding points, and the DNS record to publish.
type mailView struct {
	Address string
	Domain  string // of the address
	MXHost  string // balie's SMTP server; "" when it takes in no mail
	// DKIM: the record's name and value, when a key is stored and can be
	// read; KeySet when a key is stored at all; CanGenerate offers the
	// button.
	RecordName  string
	Record      string
	KeySet      bool
	Selector    string
	CanGenerate bool
}

func (h *Handler) mailViewOf(in *desk.Inbox) *mailView {
	s := in.Settings
	v := &mailView{Address: s["address"], KeySet: s["dkim_private_key"] != "", Selector: s["dkim_selector"],
		CanGenerate: h.d.Mail != nil}
	_, v.Domain, _ = strings.Cut(v.Address, "@")
	if h.d.Mail == nil {
		return v
	}
	v.MXHost = h.d.Mail.MXHost()
	if v.KeySet && v.Selector != "" {
		domain := s["dkim_domain"]
		if domain == "" {
			domain = v.Domain
		}
		rec, err := h.d.Mail.DKIMRecord(s["dkim_private_key"])
		if err != nil {
			// A stored key that cannot be read: the form's check says why
			// on the next save; the log says it now (never the key).
			h.log.Warn("web: dkim record", "inbox", in.ID, "err", err)
			return v
		}
		v.RecordName, v.Record = v.Selector+"._domainkey."+domain, rec
	}
	return v
}

// defaultSelector names a new key's selector when the admin gives none:
// the year and month, so that a later key gets another name and both can
// be published while mail signed with the old one is under way.
func (h *Handler) defaultSelector() string {
	return "balie" + h.d.Clock.Now().UTC().Format("200601")
}

// adminInboxDKIM is the Generate key button: a new DKIM key for the email
// inbox, stored as its dkim_private_key, with a selector. A stored key is
// replaced only when the admin ticked "replace": mail signed with it fails
// DKIM until the new record is published.
func (h *Handler) adminInboxDKIM(q *req) {
	if !q.may(auth.InboxesManage) {
		h.refuse(q)
		return
	}
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/admin/inboxes/" + strconv.FormatInt(id, 10)
	stored, err := h.d.Store.InboxByID(ctx, id)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	if stored.Channel != desk.ChannelEmail || h.d.Mail == nil {
		h.fail(q, desk.ErrNotFound)
		return
	}
	if stored.Settings["dkim_private_key"] != "" && q.r.PostFormValue("replace") == "" {
		h.failed(q, to+"#dkim", desk.Invalid("dkim_private_key", "tick replace to replace the key"))
		return
	}
	kind := q.r.PostFormValue("kind")
	if kind != "ed25519" {
		kind = "rsa" // understood by every verifier
	}
	key, err := h.d.Mail.GenerateDKIMKey(kind)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	sel := strings.TrimSpace(q.r.PostFormValue("selector"))
	if sel == "" {
		sel = h.defaultSelector()
	}
	in := *stored
	in.Settings = maps.Clone(stored.Settings)
	if err := inboxcfg.Apply(&in, inboxcfg.Change{"dkim_private_key": &key, "dkim_selector": &sel}); err != nil {
		h.failed(q, to+"#dkim", err)
		return
	}
	if err := h.d.Store.UpdateInbox(ctx, &in); err != nil {
		h.failed(q, to, err)
		return
	}
	h.adminChanged()
	h.back(q, to+"#dkim", flash{Kind: "ok", Key: "flash.dkim_generated"})
}
