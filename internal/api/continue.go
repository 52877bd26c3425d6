package api

import (
	"net/http"

	"github.com/balie-dev/balie/internal/wire"
)

// continueIn answers a customer on another channel.
type continueIn struct {
	InboxID int64  `json:"inbox_id"`
	Body    string `json:"body"`
}

// continueOut is the new conversation and the message that opened it.
type continueOut struct {
	Conversation *wire.Conversation `json:"conversation"`
	Message      *wire.Message      `json:"message"`
}

// continueConversation: POST /conversations/{id}/continue. The
// conversation goes on in a new one in another inbox; the original is
// resolved and both link each other.
func (h *Handler) continueConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in continueIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, m, err := h.Conversations.Continue(r.Context(), actor(r), id, in.InboxID, in.Body)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, continueOut{Conversation: wire.FromConversation(c), Message: wire.FromMessage(m)})
}
