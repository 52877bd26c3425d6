// Package metagraph is what the channels on Meta's Graph platform share:
// WhatsApp (internal/channel/whatsapp) and Messenger and Instagram
// (internal/channel/meta). It holds the platform's behaviour, not any one
// product's: the webhook's GET handshake and X-Hub-Signature-256 check over
// the raw body with its size limit, Graph API calls with their bearer token
// and error answers (rate limits and server errors as desk.ErrTemporary,
// the token scrubbed from every error text), and the handling of a
// downloaded media file (a clean name, a thumbnail, the blob store, the note
// for a file that could not be fetched).
//
// What differs per product stays in its package: payloads and their
// normalising, the messaging windows, templates and tags, which error codes
// mean what, and how the admin's connection test explains them.
//
// metagraph imports desk, blob (keys, thumbnails) and safehttp (its refusal
// errors); it never touches the database.
package metagraph

import "time"

// Inbox settings every Meta channel reads under the same key.
const (
	// SettingAppSecret is the Meta app's secret; webhook POSTs must carry
	// X-Hub-Signature-256 made with it.
	SettingAppSecret = "app_secret"
	// SettingVerifyToken is what the GET handshake must present as
	// hub.verify_token.
	SettingVerifyToken = "verify_token"
	// SettingAPIBase is the Graph API root; DefaultAPIBase when empty.
	SettingAPIBase = "api_base"
)

// Defaults and limits of the platform.
const (
	DefaultAPIBase = "https://graph.facebook.com/v21.0"
	// MaxWebhookBody bounds a webhook POST. Meta batches at most a few
	// hundred kilobytes of JSON.
	MaxWebhookBody = 3 << 20
	// MaxAPIResponse bounds a Graph API JSON answer (and the error body
	// read from a failed call).
	MaxAPIResponse = 1 << 20
	// ProcessTimeout bounds the work on one webhook POST (media downloads
	// included). The work goes on when Meta hangs up: what was accepted is
	// finished.
	ProcessTimeout = 2 * time.Minute
	// ThumbSide is the longest side of an image preview, as in the widget.
	ThumbSide = 320
)
