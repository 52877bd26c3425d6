package conversation

import "github.com/balie-dev/balie/internal/desk"

// RepliesSince returns the public replies another agent sent among msgs,
// the messages that came after the last one agentID saw: what must be
// confirmed before agentID answers too, so that a customer does not get two
// answers at once. Notes, activity, the customer's and the bot's messages
// and agentID's own replies do not count.
func RepliesSince(msgs []desk.Message, agentID int64) []desk.Message {
	var out []desk.Message
	for _, m := range msgs {
		if m.Kind == desk.KindMessage && m.Sender == desk.SenderAgent && m.SenderID != agentID {
			out = append(out, m)
		}
	}
	return out
}
