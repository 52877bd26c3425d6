package web

import (
	"net/http"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// Collision protection: the reply box carries the newest message its
// agent saw (last_message_id). When another agent's reply to the customer
// arrived since, the reply is not sent: the page comes back with that reply
// in the thread, the draft in the box, and asks "Sanne just replied: send
// anyway?"; sending again with confirm=1 sends it. Without the script this
// is a plain second form post.

// collisionData is the reply another agent sent meanwhile.
type collisionData struct {
	Name      string // who sent it
	MessageID int64
	Body      string
}

// maxCollisionScan bounds the messages read after the agent's last one.
const maxCollisionScan = 200

// holdReply reports whether the reply body was held back because another
// agent replied since the agent's last_message_id, having answered the
// request with the page that asks to confirm. A form without
// last_message_id (an old page, the suggested replies' one-click send) or
// with confirm=1 is never held.
func (h *Handler) holdReply(q *req, id int64, body string) (bool, error) {
	seen, err := formID(q.r, "last_message_id")
	if err != nil || seen == 0 || q.r.PostFormValue("confirm") == "1" {
		return false, err
	}
	newer, err := h.d.Store.ListMessages(q.r.Context(), id, seen, maxCollisionScan)
	if err != nil {
		return false, err
	}
	clash := conversation.RepliesSince(newer, q.agent.ID)
	if len(clash) == 0 {
		return false, nil
	}
	last := clash[len(clash)-1]
	h.showConversationStatus(q, id, http.StatusConflict, func(d *conversationData) {
		d.F.Draft = body
		d.Collision = &collisionData{Name: last.SenderName, MessageID: last.ID, Body: last.Body}
	})
	return true, nil
}

// lastShown is the id of the newest message in a thread, 0 when empty.
func lastShown(msgs []desk.Message) int64 {
	var last int64
	for _, m := range msgs {
		last = max(last, m.ID)
	}
	return last
}
