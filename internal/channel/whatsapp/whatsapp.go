// Package whatsapp is the WhatsApp Cloud API channel: Meta's webhook (the
// GET verification handshake and signed POSTs of messages and delivery
// statuses) normalised into conversation.Service, and replies sent through
// the Graph API, with template messages outside WhatsApp's 24-hour
// customer-service window.
//
// Inbox settings (desk.Inbox.Settings):
//
//	phone_number_id   the business number's id in the Graph API (required)
//	access_token      a system-user token with whatsapp_business_messaging (required to send and fetch media)
//	app_secret        the Meta app's secret; POSTs must carry X-Hub-Signature-256 made with it (required to receive)
//	verify_token      what the GET handshake must present as hub.verify_token (required to subscribe)
//	api_base          Graph API root, default https://graph.facebook.com/v21.0
//	template_name     template sent outside the 24-hour window (optional)
//	template_lang     its language code, default "nl"
//	template_text_param  "false" when the template has no body parameter; otherwise the
//	                  agent's text is its first body parameter ({{1}})
//
// Inbound messages are normalised to text and at most one attachment:
// text as is; image, video, audio, document and sticker downloaded into the
// blob store (the caption as text; a file too large, of a refused type or
// expired leaves a note in the text instead); a location as its name,
// address and an OpenStreetMap link; shared contacts, catalogue orders and
// WhatsApp Flow answers as short lists; button and list replies as the
// chosen title; a reaction as "reageerde met 👍 op een bericht" (a removed
// reaction is ignored); an edit as a new message marked "(bewerkt)". The
// quoted message of a reply is not shown (WhatsApp sends only its id).
// Deleted messages, system messages (number changes), unsupported and
// unknown types, and every other webhook field (account, template, call
// and preference updates) are acknowledged with a log line and not stored.
// Message statuses become delivery receipts (played counts as read).
//
// An adapter does not touch the database: inbound goes through
// conversation.Service, and the time of the customer's last message (for the
// 24-hour window) comes from a function the app wires.
//
// The webhook handshake and signature, Graph API calls and errors, and the
// keeping of media files are Meta's platform, shared with Messenger and
// Instagram in metagraph; what is WhatsApp's own is here.
//
// whatsapp imports desk, contact (phone numbers), conversation (its result
// type), blob (sniffing) and metagraph.
package whatsapp

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// Settings keys of a WhatsApp inbox.
const (
	SettingPhoneNumberID     = "phone_number_id"
	SettingAccessToken       = "access_token"
	SettingAppSecret         = metagraph.SettingAppSecret
	SettingVerifyToken       = metagraph.SettingVerifyToken
	SettingAPIBase           = metagraph.SettingAPIBase
	SettingTemplateName      = "template_name"
	SettingTemplateLang      = "template_lang"
	SettingTemplateTextParam = "template_text_param"
)

// Defaults and limits.
const (
	DefaultAPIBase      = metagraph.DefaultAPIBase
	defaultTemplateLang = "nl"
	// DefaultMaxMedia bounds one downloaded or uploaded media file. WhatsApp
	// itself allows 5 MB images and 16 MB audio and video; larger documents
	// are noted in the message instead of stored.
	DefaultMaxMedia = 16 << 20
	// Window is WhatsApp's customer-service window: free-form messages may
	// be sent only this long after the customer's last message.
	Window = 24 * time.Hour
)

// Conversations takes in customer messages and delivery receipts;
// *conversation.Service implements it.
type Conversations interface {
	Ingest(ctx context.Context, in desk.Inbound) (*conversation.IngestResult, error)
	Receipt(ctx context.Context, inboxID int64, externalID string, d desk.Delivery, errText string) error
}

// Deps are the channel's collaborators.
type Deps struct {
	Conversations Conversations
	Blob          desk.Blob
	// Client makes Graph API calls (send, upload, media download). It
	// should have a timeout.
	Client *http.Client
	Clock  desk.Clock
	Log    *slog.Logger
	// LastInbound returns when the customer last wrote in the conversation
	// (desk.ErrNotFound or a zero time when never). Send uses it to respect
	// the 24-hour window before calling WhatsApp. When nil, Send relies on
	// WhatsApp refusing a free-form message (error 131047) and then falls
	// back to the template.
	LastInbound func(ctx context.Context, conversationID int64) (time.Time, error)
	// MaxMedia bounds one media file in bytes; 0 means DefaultMaxMedia.
	MaxMedia int64
}

// Channel is the WhatsApp Cloud API adapter.
type Channel struct {
	d     Deps
	graph metagraph.Client
}

// New returns the WhatsApp channel.
func New(d Deps) *Channel {
	if d.Client == nil {
		d.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if d.Clock == nil {
		d.Clock = desk.SystemClock{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.MaxMedia <= 0 {
		d.MaxMedia = DefaultMaxMedia
	}
	return &Channel{d: d, graph: metagraph.Client{HTTP: d.Client, Temporary: temporaryCodes}}
}

// Kind is desk.ChannelWhatsApp.
func (*Channel) Kind() desk.ChannelKind { return desk.ChannelWhatsApp }

var _ desk.WebhookChannel = (*Channel)(nil)
