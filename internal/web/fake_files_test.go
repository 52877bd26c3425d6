package web

import (
	"cmp"
	"context"
	"slices"

	"github.com/balie-dev/balie/internal/desk"
)

func (s *fakeStore) AttachmentsOfContact(_ context.Context, contactID int64, limit int) ([]desk.ContactFile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []desk.ContactFile
	for convID, msgs := range s.msgs {
		cv, ok := s.convs[convID]
		if !ok || cv.ContactID != contactID {
			continue
		}
		for _, m := range msgs {
			for _, a := range m.Attachments {
				if a.CreatedAt.IsZero() {
					a.CreatedAt = m.CreatedAt
				}
				out = append(out, desk.ContactFile{Attachment: a, ConversationID: convID, Channel: cv.Channel, Sender: m.Sender})
			}
		}
	}
	slices.SortFunc(out, func(a, b desk.ContactFile) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
