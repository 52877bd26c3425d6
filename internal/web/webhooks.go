package web

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
)

// webhookEvents are the event types a webhook may subscribe to, in the
// order the form offers them.
var webhookEvents = []string{desk.EventMessageCreated, desk.EventMessageUpdated,
	desk.EventConversationCreated, desk.EventConversationUpdated, desk.EventConversationAssigned}

const (
	webhooksURL     = "/admin/webhooks"
	minSecretLen    = 16
	maxSecretLen    = 200
	maxWebhookURLen = 2000
)

type webhooksData struct {
	Webhooks []webhookRow
	Events   []string
	CanEdit  bool
	// NewSecret is a secret balie generated for the webhook just created,
	// shown on this one response. Stored secrets are never shown.
	NewSecret string
	NewURL    string
}

// webhookRow is what the list shows of a webhook: never its secret.
type webhookRow struct {
	ID     int64
	URL    string
	Events []string
	Active bool
}

func (h *Handler) adminWebhooks(q *req) {
	h.showWebhooks(q, "", "")
}

func (h *Handler) showWebhooks(q *req, newSecret, newURL string) {
	ws, err := h.d.Store.ListWebhooks(q.r.Context())
	if err != nil {
		h.fail(q, err)
		return
	}
	d := webhooksData{Events: webhookEvents, CanEdit: q.may(auth.WebhooksManage), NewSecret: newSecret, NewURL: newURL}
	for _, w := range ws {
		d.Webhooks = append(d.Webhooks, webhookRow{ID: w.ID, URL: w.URL, Events: w.Events, Active: w.Active})
	}
	h.render(q.w, q, http.StatusOK, "admin_webhooks", "admin/webhooks", d)
}

// readWebhook checks the posted fields. An empty secret asks balie to
// generate one; generated reports whether it did.
func readWebhook(q *req) (w *desk.Webhook, generated bool, err error) {
	f := q.r.PostForm
	w = &desk.Webhook{URL: strings.TrimSpace(f.Get("url")), Secret: strings.TrimSpace(f.Get("secret")),
		Active: f.Get("active") == "1"}
	u, perr := url.Parse(w.URL)
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(w.URL) > maxWebhookURLen {
		return nil, false, desk.Invalid("url", "an http or https URL")
	}
	switch {
	case w.Secret == "":
		w.Secret, generated = rand.Text(), true
	case len(w.Secret) < minSecretLen || len(w.Secret) > maxSecretLen:
		return nil, false, desk.Invalid("secret", "16 to 200 characters")
	}
	for _, e := range f["event"] {
		if !slices.Contains(webhookEvents, e) {
			return nil, false, desk.Invalid("events", "unknown event")
		}
		if !slices.Contains(w.Events, e) {
			w.Events = append(w.Events, e)
		}
	}
	return w, generated, nil
}

func (h *Handler) adminCreateWebhook(q *req) {
	if !q.may(auth.WebhooksManage) {
		h.refuse(q)
		return
	}
	w, generated, err := readWebhook(q)
	if err != nil {
		h.failed(q, webhooksURL, err)
		return
	}
	w.CreatedAt = h.d.Clock.Now()
	if err := h.d.Store.CreateWebhook(q.r.Context(), w); err != nil {
		h.failed(q, webhooksURL, err)
		return
	}
	h.adminChanged()
	if generated {
		// Rendered, not redirected: the secret must not travel in a
		// cookie or URL.
		h.showWebhooks(q, w.Secret, w.URL)
		return
	}
	h.back(q, webhooksURL, flash{Kind: "ok", Key: "flash.created"})
}

func (h *Handler) adminDeleteWebhook(q *req) {
	if !q.may(auth.WebhooksManage) {
		h.refuse(q)
		return
	}
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	if err := h.d.Store.DeleteWebhook(q.r.Context(), id); err != nil {
		h.failed(q, webhooksURL, err)
		return
	}
	h.adminChanged()
	h.back(q, webhooksURL, flash{Kind: "ok", Key: "flash.deleted"})
}
