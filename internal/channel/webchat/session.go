package webchat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/realtime"
)

// visitor is an authenticated widget visitor in one inbox.
type visitor struct {
	inbox   *desk.Inbox
	hash    string        // the stored identity value
	contact *desk.Contact // nil until their first message
}

// identify loads the inbox and the visitor's contact. A well-formed token
// without a contact is a visitor who has not written yet.
func (h *Handler) identify(ctx context.Context, inboxKey, token string) (*visitor, error) {
	inbox, err := h.inbox(ctx, inboxKey)
	if err != nil {
		return nil, err
	}
	if !validToken(token) {
		return nil, fmt.Errorf("webchat: visitor token: %w", desk.ErrUnauthorized)
	}
	v := &visitor{inbox: inbox, hash: tokenHash(token)}
	c, err := h.d.Store.ContactByIdentity(ctx, desk.IdentityVisitor, v.hash)
	switch {
	case err == nil:
		v.contact = c
	case !errors.Is(err, desk.ErrNotFound):
		return nil, fmt.Errorf("webchat: visitor: %w", err)
	}
	return v, nil
}

func (h *Handler) inbox(ctx context.Context, key string) (*desk.Inbox, error) {
	if key == "" || len(key) > 128 {
		return nil, desk.Invalid("inbox", "unknown inbox")
	}
	inbox, err := h.d.Store.InboxByKey(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("webchat: inbox: %w", err)
	}
	if inbox.Channel != desk.ChannelWebChat {
		return nil, fmt.Errorf("webchat: inbox is not a web chat: %w", desk.ErrNotFound)
	}
	return inbox, nil
}

type sessionRequest struct {
	Inbox  string `json:"inbox"`
	Token  string `json:"token"`
	Locale string `json:"locale"`
}

type sessionResponse struct {
	Token          string                    `json:"token"`
	ConversationID int64                     `json:"conversation_id"`
	Status         string                    `json:"status"`
	Messages       []realtime.VisitorMessage `json:"messages"`
	AgentsOnline   bool                      `json:"agents_online"`
	// DetailsKnown is true when the visitor's email address is known, so
	// the widget need not ask for it.
	DetailsKnown bool              `json:"details_known"`
	Color        string            `json:"color,omitempty"`
	Strings      map[string]string `json:"strings"`
}

// session creates or resumes a visitor: a new token when none (or a
// malformed one) is given, else the visitor's latest conversation in this
// inbox with its customer-visible messages.
func (h *Handler) session(w http.ResponseWriter, r *http.Request) {
	if err := h.check(h.clientSessions, clientKey(r.RemoteAddr), "sessions from this address"); err != nil {
		h.writeError(w, r, err)
		return
	}
	var req sessionRequest
	if err := decode(w, r, &req); err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.check(h.inboxes, req.Inbox, "requests for this inbox"); err != nil {
		h.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	token, ok := visitorToken(r, req.Token)
	if !ok {
		token = newToken()
	}
	v, err := h.identify(ctx, req.Inbox, token)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	lang := locale(req.Locale)
	resp := sessionResponse{Token: token, Messages: []realtime.VisitorMessage{},
		AgentsOnline: h.d.AgentsOnline(ctx), Strings: h.stringsFor(v.inbox, lang)}
	if c := v.inbox.Settings["color"]; validColor(c) {
		resp.Color = c
	}
	if v.contact != nil {
		resp.DetailsKnown = v.contact.Email != ""
		conv, err := h.latestConversation(ctx, v)
		if err != nil && !errors.Is(err, desk.ErrNotFound) {
			h.writeError(w, r, err)
			return
		}
		if conv != nil {
			resp.ConversationID, resp.Status = conv.ID, string(conv.Status)
			msgs, err := h.d.Store.ListMessages(ctx, conv.ID, 0, historyLimit)
			if err != nil {
				h.writeError(w, r, fmt.Errorf("webchat: history: %w", err))
				return
			}
			for i := range msgs {
				if m, ok := realtime.ForVisitor(&msgs[i]); ok {
					resp.Messages = append(resp.Messages, m)
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *Handler) stringsFor(inbox *desk.Inbox, lang string) map[string]string {
	out := uiStrings(lang)
	// An inbox may set its own greeting per language.
	if g := inbox.Settings["greeting_"+lang]; g != "" {
		out["empty"] = g
	} else if g := inbox.Settings["greeting"]; g != "" {
		out["empty"] = g
	}
	return out
}

// validColor accepts #rgb and #rrggbb only: the value ends up in CSS.
func validColor(c string) bool {
	if len(c) != 4 && len(c) != 7 || c[0] != '#' {
		return false
	}
	for _, r := range c[1:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// latestConversation is the visitor's newest conversation in the inbox,
// open or not: after a reload, days later, the thread is still there.
func (h *Handler) latestConversation(ctx context.Context, v *visitor) (*desk.Conversation, error) {
	convs, err := h.d.Store.ConversationsOfContact(ctx, v.contact.ID, 50)
	if err != nil {
		return nil, fmt.Errorf("webchat: conversations: %w", err)
	}
	for i := range convs {
		if convs[i].InboxID == v.inbox.ID {
			return &convs[i], nil
		}
	}
	return nil, desk.ErrNotFound
}

type messageRequest struct {
	visitorFields
	Body string `json:"body"`
	// ClientID is the widget's id for the message, so that a retried post
	// is stored once.
	ClientID string `json:"client_id"`
}

type messageResponse struct {
	ConversationID int64                   `json:"conversation_id"`
	Message        realtime.VisitorMessage `json:"message"`
	AgentsOnline   bool                    `json:"agents_online"`
}

func (h *Handler) postMessage(w http.ResponseWriter, r *http.Request) {
	if err := h.check(h.clientPosts, clientKey(r.RemoteAddr), "messages from this address"); err != nil {
		h.writeError(w, r, err)
		return
	}
	var req messageRequest
	if err := decode(w, r, &req); err != nil {
		h.writeError(w, r, err)
		return
	}
	token, _ := visitorToken(r, req.Token)
	v, err := h.admitVisitor(r.Context(), req.Inbox, token)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.ingest(w, r, v, req.ClientID, req.Body, nil)
}

// admitVisitor checks the inbox's limit, identifies the visitor and checks
// theirs: everything a post must pass before it costs a write.
func (h *Handler) admitVisitor(ctx context.Context, inboxKey, token string) (*visitor, error) {
	if err := h.check(h.inboxes, inboxKey, "requests for this inbox"); err != nil {
		return nil, err
	}
	v, err := h.identify(ctx, inboxKey, token)
	if err != nil {
		return nil, err
	}
	if err := h.check(h.visitors, v.hash, "messages"); err != nil {
		return nil, err
	}
	return v, nil
}

// ingest hands a visitor's message to the conversation service and answers
// with the stored message. The caller has checked the limits.
func (h *Handler) ingest(w http.ResponseWriter, r *http.Request, v *visitor, clientID, body string, atts []desk.InboundAttachment) {
	ctx := r.Context()
	if !validClientID(clientID) {
		h.writeError(w, r, desk.Invalid("client_id", "letters, digits, - and _, at most 64"))
		return
	}
	in := desk.Inbound{InboxID: v.inbox.ID, Body: body, Attachments: atts,
		From: desk.Identity{Kind: desk.IdentityVisitor, Value: v.hash}}
	if clientID != "" {
		// Scoped by visitor: another visitor's ids can never collide.
		in.ExternalID = "webchat:" + v.hash[:16] + ":" + clientID
	}
	if v.contact != nil {
		in.ContactID = v.contact.ID
	}
	res, err := h.d.Conversations.Ingest(ctx, in)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if res.Contact != nil {
		h.d.Hub.BindVisitor(v.hash, res.Contact.ID)
	}
	m, _ := realtime.ForVisitor(res.Message)
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, messageResponse{ConversationID: res.Conversation.ID, Message: m,
		AgentsOnline: h.d.AgentsOnline(ctx)})
}

func validClientID(id string) bool {
	if len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

type detailsRequest struct {
	visitorFields
	Name  string `json:"name"`
	Email string `json:"email"`
}

// contactDetails records the name and email address a visitor leaves when no
// agent is online. They are noted on the visitor's profile (for the agent,
// and for a reply by email), never linked as an identity: anyone can type an
// address, and an identity would route the address owner's later mail into
// this browser's profile, or hand this browser their history. When the owner
// does write from it, the identity graph offers the two profiles to an agent
// to merge: a person's decision. A verified address arrives through the
// company's signed identity token instead (identity.go).
func (h *Handler) contactDetails(w http.ResponseWriter, r *http.Request) {
	var req detailsRequest
	v, ok := h.admitPost(w, r, &req, &req.visitorFields)
	if !ok {
		return
	}
	ctx := r.Context()
	name := strings.TrimSpace(req.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n") {
		h.writeError(w, r, desk.Invalid("name", "enter a name of at most 200 characters"))
		return
	}
	email, err := contact.NormaliseEmail(req.Email)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if v.contact == nil {
		// Not written yet: the profile starts here, known by the visitor
		// identity only (see above for why not by the email address).
		c, _, err := contact.Resolve(ctx, h.d.Store, contact.Sender{
			Identity: desk.Identity{Kind: desk.IdentityVisitor, Value: v.hash}, Name: name})
		if err != nil {
			h.writeError(w, r, fmt.Errorf("webchat: contact details: %w", err))
			return
		}
		v.contact = c
		h.d.Hub.BindVisitor(v.hash, c.ID)
	}
	c := v.contact
	c.Name, c.Email, c.UpdatedAt = name, email, h.d.Clock.Now()
	if err := h.d.Store.UpdateContact(ctx, c); err != nil {
		h.writeError(w, r, fmt.Errorf("webchat: contact details: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": name, "email": email})
}

// websocket connects a visitor to the hub. The token comes as a query
// parameter because browsers cannot set headers on WebSockets; the server's
// request log must not record query strings of /widget/ws.
func (h *Handler) websocket(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v, err := h.identify(r.Context(), q.Get("inbox"), q.Get("token"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	rv := realtime.Visitor{Key: v.hash, InboxID: v.inbox.ID}
	if v.contact != nil {
		rv.ContactID, rv.Name = v.contact.ID, v.contact.Name
	}
	h.d.Hub.ServeVisitor(w, r, rv)
}
