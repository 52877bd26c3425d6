package web

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/desk"
)

// One customer on the contact page: profiles that may be the same person
// (with the evidence), merging one in, the merge history with undo,
// splitting off identities and conversations, and every attachment the
// customer's conversations hold.

// maxAttachments bounds the customer's list of files.
const maxAttachments = 200

type duplicate struct {
	C       desk.Contact
	Name    string
	Reasons []string // in the agent's language
	// Evidence is the reasons as the contact package gave them, posted
	// back with the merge for the audit trail.
	Evidence string
}

type mergeRow struct {
	M     desk.ContactMerge
	Agent string // who merged; empty: balie itself
	Name  string // the merged profile's name
}

type attachmentRow struct {
	A            desk.Attachment
	Conversation desk.Conversation
	At           time.Time
}

// identityData fills the contact page's duplicates, merge history and
// attachments.
func (h *Handler) identityData(ctx context.Context, locale string, c *desk.Contact, convs []desk.Conversation, n names, d *contactData) error {
	cands, err := contact.MergeCandidates(ctx, h.d.Store, c.ID)
	if err != nil {
		return err
	}
	cat := h.cats[locale]
	for _, cd := range cands {
		dup := duplicate{C: cd.Contact, Name: contactName(&cd.Contact), Evidence: strings.Join(cd.Reasons, "; ")}
		for _, r := range cd.Reasons {
			dup.Reasons = append(dup.Reasons, reasonText(cat, r))
		}
		d.Duplicates = append(d.Duplicates, dup)
	}
	merges, err := h.d.Store.ContactMerges(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, m := range merges {
		d.Merges = append(d.Merges, mergeRow{M: m, Agent: n.agents[m.AgentID], Name: contactName(&m.Merged)})
	}
	d.Attachments, d.AttachmentsCapped, err = h.attachmentsOf(ctx, c.ID, convs)
	return err
}

// reasonText puts the evidence of a merge suggestion in the agent's
// language; evidence the page does not know is shown as it came.
func reasonText(c catalog, r string) string {
	for _, p := range []struct{ prefix, key string }{
		{"same phone ", "dup.same_phone"},
		{"same email ", "dup.same_email"},
		{"same name and order ", "dup.same_order"},
	} {
		if v, ok := strings.CutPrefix(r, p.prefix); ok {
			return c.T(p.key, v)
		}
	}
	return r
}

// attachmentsOf lists the files of the customer's conversations (convs),
// newest first; capped says that older ones are left out.
func (h *Handler) attachmentsOf(ctx context.Context, contactID int64, convs []desk.Conversation) (rows []attachmentRow, capped bool, err error) {
	files, err := h.d.Store.AttachmentsOfContact(ctx, contactID, maxAttachments+1)
	if err != nil {
		return nil, false, err
	}
	byID := make(map[int64]desk.Conversation, len(convs))
	for _, cv := range convs {
		byID[cv.ID] = cv
	}
	for _, f := range files[:min(len(files), maxAttachments)] {
		cv, ok := byID[f.ConversationID]
		if !ok {
			cv = desk.Conversation{ID: f.ConversationID, Channel: f.Channel}
		}
		rows = append(rows, attachmentRow{A: f.Attachment, Conversation: cv, At: f.CreatedAt})
	}
	return rows, len(files) > maxAttachments, nil
}

// postMerge folds another profile into this one: every conversation and
// identity moves here, and the merge is recorded with its evidence.
func (h *Handler) postMerge(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/app/contacts/" + strconv.FormatInt(id, 10)
	merged, err := formID(q.r, "merged_id")
	if err != nil {
		h.failed(q, to, err)
		return
	}
	if merged == 0 {
		h.failed(q, to, desk.Invalid("merged_id", "choose a profile"))
		return
	}
	if _, err := contact.Merge(q.r.Context(), h.d.Store, q.agent, id, merged, q.r.PostFormValue("reason")); err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.merged"})
}

// postUndoMerge gives a merged profile back its identities and
// conversations.
func (h *Handler) postUndoMerge(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/app/search"
	if kept, err := formID(q.r, "contact"); err == nil && kept > 0 {
		to = "/app/contacts/" + strconv.FormatInt(kept, 10)
	}
	m, err := h.d.Store.UndoMerge(q.r.Context(), id, h.d.Clock.Now())
	if err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, "/app/contacts/"+strconv.FormatInt(m.KeptID, 10), flash{Kind: "ok", Key: "flash.merge_undone"})
}

// postSplit moves the chosen identities and conversations to a new profile
// and opens it.
func (h *Handler) postSplit(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/app/contacts/" + strconv.FormatInt(id, 10)
	idents, err := postedIDs(q.r.PostForm["identity"], "identities")
	if err != nil {
		h.failed(q, to, err)
		return
	}
	convs, err := postedIDs(q.r.PostForm["conversation"], "conversations")
	if err != nil {
		h.failed(q, to, err)
		return
	}
	nc, err := contact.Split(q.r.Context(), h.d.Store, h.d.Store, id, q.r.PostFormValue("name"), idents, convs)
	if err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, "/app/contacts/"+strconv.FormatInt(nc.ID, 10), flash{Kind: "ok", Key: "flash.split"})
}

// postedIDs parses a list of checkbox ids; field names the error.
func postedIDs(vals []string, field string) ([]int64, error) {
	out := []int64{}
	for _, v := range vals {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, desk.Invalid(field, "not an id")
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}
