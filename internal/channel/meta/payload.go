package meta

import (
	"encoding/json"
	"strings"
)

// The shapes of a Messenger Platform webhook, as far as balie reads them.
// Unknown fields are ignored: Meta adds fields without notice.

type payload struct {
	Object string  `json:"object"`
	Entry  []entry `json:"entry"`
}

type entry struct {
	ID        string            `json:"id"`
	Time      int64             `json:"time"`
	Messaging []event           `json:"messaging"`
	Standby   []json.RawMessage `json:"standby"` // another app owns the thread (handover)
	Changes   []json.RawMessage `json:"changes"` // feed and comment changes
}

type party struct {
	ID string `json:"id"`
}

// event is one entry of entry[].messaging; exactly one of its pointers is
// set for the events balie knows.
type event struct {
	Sender      party        `json:"sender"`
	Recipient   party        `json:"recipient"`
	Timestamp   int64        `json:"timestamp"` // milliseconds
	Message     *message     `json:"message"`
	Postback    *postback    `json:"postback"`
	Delivery    *delivery    `json:"delivery"`
	Read        *read        `json:"read"`
	Reaction    *reaction    `json:"reaction"`
	MessageEdit *messageEdit `json:"message_edit"`
}

type message struct {
	MID         string       `json:"mid"`
	Text        string       `json:"text"`
	Attachments []attachment `json:"attachments"`
	QuickReply  *struct {
		Payload string `json:"payload"`
	} `json:"quick_reply"`
	ReplyTo       *replyTo `json:"reply_to"`
	IsEcho        bool     `json:"is_echo"`
	IsDeleted     bool     `json:"is_deleted"`
	IsUnsupported bool     `json:"is_unsupported"`
}

type replyTo struct {
	MID   string `json:"mid"`
	Story *struct {
		URL string `json:"url"`
		ID  string `json:"id"`
	} `json:"story"`
}

type attachment struct {
	Type    string            `json:"type"`
	Payload attachmentPayload `json:"payload"`
	// Older fallback attachments carry these beside a null payload.
	Title string `json:"title"`
	URL   string `json:"url"`
}

type attachmentPayload struct {
	URL          string          `json:"url"`
	Title        string          `json:"title"`
	StickerID    json.RawMessage `json:"sticker_id"` // a number, sometimes a string
	TemplateType string          `json:"template_type"`
	Coordinates  *struct {
		Lat  float64 `json:"lat"`
		Long float64 `json:"long"`
	} `json:"coordinates"`
	Elements []struct {
		Title    string `json:"title"`
		Subtitle string `json:"subtitle"`
		URL      string `json:"item_url"`
	} `json:"elements"`
	Product *struct {
		Elements []struct {
			Title      string `json:"title"`
			RetailerID string `json:"retailer_id"`
		} `json:"elements"`
	} `json:"product"`
}

// stickerID is the sticker's id as text, whichever JSON type it came as.
func (p attachmentPayload) stickerID() string {
	return strings.Trim(strings.TrimSpace(string(p.StickerID)), `"`)
}

type postback struct {
	MID     string `json:"mid"`
	Title   string `json:"title"`
	Payload string `json:"payload"`
}

type delivery struct {
	MIDs      []string `json:"mids"`
	Watermark int64    `json:"watermark"`
}

type read struct {
	Watermark int64  `json:"watermark"`
	MID       string `json:"mid"` // Instagram names the message read
}

type reaction struct {
	MID    string `json:"mid"`
	Action string `json:"action"` // react or unreact
	Emoji  string `json:"emoji"`
	Name   string `json:"reaction"` // "love", "like", ...
}

type messageEdit struct {
	MID     string `json:"mid"`
	Text    string `json:"text"`
	NumEdit int    `json:"num_edit"`
}
