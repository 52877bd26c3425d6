// Package meta is the Facebook Messenger and Instagram messaging channels.
// Both use Meta's Messenger Platform: one webhook envelope (object "page" or
// "instagram", entry[].messaging[] events) and one Send API
// (POST /me/messages with a Page access token), so one Channel type serves
// both, told apart by its kind.
//
// Inbox settings (desk.Inbox.Settings):
//
//	page_id            the Facebook Page's id (Messenger) or the Instagram professional
//	                   account's id (Instagram), as it appears in webhook entry ids;
//	                   events for other ids are ignored (optional, recommended)
//	page_access_token  a Page access token with pages_messaging (Messenger) or
//	                   instagram_manage_messages (Instagram) (required to send and for names)
//	app_secret         the Meta app's secret; POSTs must carry X-Hub-Signature-256 made with it
//	verify_token       what the GET handshake must present as hub.verify_token
//	api_base           Graph API root, default https://graph.facebook.com/v21.0
//
// Inbound: text as is; image, video, audio and file attachments downloaded
// from their (unauthenticated, short-lived) CDN URLs into the blob store,
// several per message; a file too large, of a refused type or gone leaves a
// note in the text. Stickers are images (Messenger's thumbs-up is "👍").
// Locations, shared links, posts, reels, templates and fallbacks become a
// line of text with their title and URL; an Instagram story mention or story
// reply is a note with the story's URL (not downloaded: stories expire). A
// quick reply is its title (the message text), a postback its title or
// payload, a reaction "reageerde met ❤️ op een bericht" (a removed reaction
// is ignored), an edit a new message marked "(bewerkt)". Echoes of the
// Page's own messages, deleted and unsupported messages and every other
// event (referrals, opt-ins, handover, standby, feed changes) are
// acknowledged with a log line and not stored.
//
// Receipts: a delivery's mids become "delivered"; Instagram's read event
// names its mid and becomes "read". Messenger's read event (and a delivery
// without mids) only carries a watermark: every message balie sent to that
// customer in the inbox's open conversation, created at or before the
// watermark and already accepted by Meta, is marked, when Deps.Messages is
// wired; otherwise the event is logged and ignored.
//
// Names: a new customer's name is asked of the Graph API
// (GET /{id}?fields=name, Instagram name,username), best effort; with
// Deps.Messages wired only for senders balie does not know yet.
//
// Sending: inside the 24-hour standard messaging window a reply goes as
// messaging_type RESPONSE; from 24 hours to 7 days after the customer's last
// message as MESSAGE_TAG with tag HUMAN_AGENT (the app needs Meta's Human
// Agent permission); later it fails permanently with ErrOutsideWindow.
//
// The webhook handshake and signature, Graph API calls and errors, and the
// keeping of media files are Meta's platform, shared with WhatsApp in
// metagraph; what is Messenger's and Instagram's own is here.
//
// meta imports desk, conversation (its result type), blob (sniffing) and
// metagraph.
package meta

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// Settings keys of a Messenger or Instagram inbox.
const (
	SettingPageID      = "page_id"
	SettingAccessToken = "page_access_token"
	SettingAppSecret   = metagraph.SettingAppSecret
	SettingVerifyToken = metagraph.SettingVerifyToken
	SettingAPIBase     = metagraph.SettingAPIBase
)

// Defaults, limits and Meta's windows.
const (
	DefaultAPIBase = metagraph.DefaultAPIBase
	// DefaultMaxMedia bounds one downloaded or uploaded file: Meta's own
	// limit for video, audio and files is 25 MB.
	DefaultMaxMedia = 25 << 20
	// Window is the standard messaging window after the customer's last
	// message.
	Window = 24 * time.Hour
	// HumanAgentWindow is how long after the customer's last message a
	// human agent may still answer with the HUMAN_AGENT tag.
	HumanAgentWindow = 7 * 24 * time.Hour
)

// Conversations takes in customer messages and delivery receipts;
// *conversation.Service implements it.
type Conversations interface {
	Ingest(ctx context.Context, in desk.Inbound) (*conversation.IngestResult, error)
	Receipt(ctx context.Context, inboxID int64, externalID string, d desk.Delivery, errText string) error
}

// Messages reads what the channel needs to know about earlier traffic:
// whether a sender is known (to ask their name once) and which sent
// messages a read watermark covers. desk.Store implements it. The channel
// never writes through it.
type Messages interface {
	ContactByIdentity(ctx context.Context, kind desk.IdentityKind, value string) (*desk.Contact, error)
	OpenConversationFor(ctx context.Context, inboxID, contactID int64) (*desk.Conversation, error)
	ListMessages(ctx context.Context, conversationID int64, afterID int64, limit int) ([]desk.Message, error)
}

// Deps are the channel's collaborators.
type Deps struct {
	Conversations Conversations
	Blob          desk.Blob
	// Client makes Graph API calls and downloads attachments from Meta's
	// CDN. It should have a timeout and refuse private addresses.
	Client *http.Client
	Clock  desk.Clock
	Log    *slog.Logger
	// Messages, when set, lets the channel skip name look-ups for known
	// senders and resolve read watermarks. Optional.
	Messages Messages
	// LastInbound returns when the customer last wrote in the conversation
	// (desk.ErrNotFound or a zero time when never). Send uses it to pick
	// RESPONSE or the HUMAN_AGENT tag. When nil, Send tries RESPONSE and
	// falls back to the tag when Meta says the window has closed.
	LastInbound func(ctx context.Context, conversationID int64) (time.Time, error)
	// MaxMedia bounds one media file in bytes; 0 means DefaultMaxMedia.
	MaxMedia int64
}

// Channel is the Messenger or Instagram adapter.
type Channel struct {
	d        Deps
	graph    metagraph.Client
	kind     desk.ChannelKind
	identity desk.IdentityKind
	object   string // the webhook payload's "object"
	name     string // for log lines: "messenger" or "instagram"
	// nameFields are the profile fields asked for a sender's name.
	nameFields string
	// maxText is the longest text one message may carry, in bytes for
	// Instagram and characters for Messenger (see textFits).
	maxText int
}

// NewMessenger returns the Facebook Messenger channel.
func NewMessenger(d Deps) *Channel {
	return newChannel(d, &Channel{kind: desk.ChannelMessenger, identity: desk.IdentityMessenger,
		object: "page", name: "messenger", nameFields: "name", maxText: 2000})
}

// NewInstagram returns the Instagram messaging channel.
func NewInstagram(d Deps) *Channel {
	return newChannel(d, &Channel{kind: desk.ChannelInstagram, identity: desk.IdentityInstagram,
		object: "instagram", name: "instagram", nameFields: "name,username", maxText: 1000})
}

func newChannel(d Deps, c *Channel) *Channel {
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
	c.d = d
	c.graph = metagraph.Client{HTTP: d.Client, Temporary: temporaryCodes}
	return c
}

// Kind is desk.ChannelMessenger or desk.ChannelInstagram.
func (c *Channel) Kind() desk.ChannelKind { return c.kind }

var _ desk.WebhookChannel = (*Channel)(nil)
