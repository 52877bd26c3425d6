package conversation

import (
	"slices"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestRepliesSince(t *testing.T) {
	reply := func(id, agent int64) desk.Message {
		return desk.Message{ID: id, Kind: desk.KindMessage, Sender: desk.SenderAgent, SenderID: agent}
	}
	tests := []struct {
		name string
		msgs []desk.Message
		want []int64
	}{
		{"nothing new", nil, nil},
		{"another agent replied", []desk.Message{reply(5, 2)}, []int64{5}},
		{"own reply from another tab", []desk.Message{reply(5, 1)}, nil},
		{"a note is internal", []desk.Message{{ID: 5, Kind: desk.KindNote, Sender: desk.SenderAgent, SenderID: 2}}, nil},
		{"activity", []desk.Message{{ID: 5, Kind: desk.KindActivity, Sender: desk.SenderAgent, SenderID: 2}}, nil},
		{"the customer wrote", []desk.Message{{ID: 5, Kind: desk.KindMessage, Sender: desk.SenderContact, SenderID: 9}}, nil},
		{"the bot answered", []desk.Message{{ID: 5, Kind: desk.KindMessage, Sender: desk.SenderBot}}, nil},
		{"mixed", []desk.Message{reply(5, 1), reply(6, 3), {ID: 7, Kind: desk.KindNote, Sender: desk.SenderAgent, SenderID: 3}, reply(8, 2)}, []int64{6, 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int64
			for _, m := range RepliesSince(tc.msgs, 1) {
				got = append(got, m.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("RepliesSince = %v, want %v", got, tc.want)
			}
		})
	}
}
