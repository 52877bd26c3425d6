// Package telegram is the Telegram Bot API channel: customers write to the
// company's bot in a private chat; Telegram posts each update to balie's
// webhook (/hooks/telegram/<inbox key>), and agents' replies go back with
// sendMessage, sendPhoto and sendDocument.
//
// Inbox settings:
//
//	bot_token     the token BotFather gave (secret)
//	secret_token  what Telegram sends in X-Telegram-Bot-Api-Secret-Token;
//	              set on the bot with SetWebhook (secret; NewSecretToken
//	              makes one). Without it the webhook accepts nothing.
//	api_base      optional, default https://api.telegram.org (tests point it
//	              at a fake)
//
// Only private chats become conversations; groups, channels, inline queries,
// payments and membership changes are acknowledged and ignored. An edited
// message is stored as a new message "bewerkt: <text>"; a button press as
// "knop: <button text>". Media are downloaded (getFile, at most 20 MB) into
// the blob store when the update arrives.
//
// telegram imports desk, conversation, blob and problem.
package telegram

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// Settings keys of a Telegram inbox.
const (
	SettingBotToken    = "bot_token"
	SettingSecretToken = "secret_token"
	SettingAPIBase     = "api_base"
)

// DefaultAPIBase is Telegram's Bot API server.
const DefaultAPIBase = "https://api.telegram.org"

// MaxFile is the largest file a bot can download from Telegram (getFile).
const MaxFile = 20 << 20

// Timeout is a sensible client timeout for Bot API calls, downloads of
// MaxFile included.
const Timeout = 60 * time.Second

// maxAPIResponse bounds a Bot API JSON answer.
const maxAPIResponse = 1 << 20

// Deps are what the channel needs.
type Deps struct {
	Conversations *conversation.Service
	Blob          desk.Blob
	// Client makes Bot API calls and downloads; nil: a client with Timeout.
	Client *http.Client
	Clock  desk.Clock
	Log    *slog.Logger
	// MaxFile bounds a downloaded attachment; 0: MaxFile.
	MaxFile int64
}

// Channel is the Telegram channel. It is safe for concurrent use.
type Channel struct {
	convs   *conversation.Service
	blob    desk.Blob
	client  *http.Client
	clock   desk.Clock
	log     *slog.Logger
	maxFile int64
}

// New returns the Telegram channel.
func New(d Deps) *Channel {
	c := &Channel{convs: d.Conversations, blob: d.Blob, client: d.Client, clock: d.Clock, log: d.Log, maxFile: d.MaxFile}
	if c.client == nil {
		c.client = &http.Client{Timeout: Timeout}
	}
	if c.clock == nil {
		c.clock = desk.SystemClock{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.maxFile <= 0 {
		c.maxFile = MaxFile
	}
	return c
}

// Kind is desk.ChannelTelegram.
func (*Channel) Kind() desk.ChannelKind { return desk.ChannelTelegram }

var _ desk.WebhookChannel = (*Channel)(nil)

// NewSecretToken returns a random value for the secret_token setting, in
// the alphabet Telegram allows (A-Z, a-z, 0-9, _ and -).
func NewSecretToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// APIError is a Bot API call that Telegram answered with ok=false (or a
// non-JSON error status). It wraps desk.ErrTemporary for 429 and 5xx.
type APIError struct {
	Method      string
	Status      int    // HTTP status
	Code        int    // Telegram's error_code
	Description string // Telegram's description, e.g. "Forbidden: bot was blocked by the user"
	// RetryAfter is how long Telegram asks to wait after a 429.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("telegram: %s: %d %s", e.Method, e.Code, e.Description)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Temporary reports whether retrying later may succeed.
func (e *APIError) Temporary() bool {
	return e.Code == http.StatusTooManyRequests || e.Code >= 500 || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Unwrap makes errors.Is(err, desk.ErrTemporary) true for temporary errors.
func (e *APIError) Unwrap() error {
	if e.Temporary() {
		return desk.ErrTemporary
	}
	return nil
}

// apiResponse is the envelope of every Bot API answer.
type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// bot holds what calling the Bot API for one inbox takes.
type bot struct {
	base  string // without trailing slash
	token string
}

func botOf(inbox desk.Inbox) (bot, error) {
	b := bot{base: strings.TrimRight(inbox.Settings[SettingAPIBase], "/"), token: inbox.Settings[SettingBotToken]}
	if b.base == "" {
		b.base = DefaultAPIBase
	}
	if b.token == "" {
		return bot{}, desk.Invalid(SettingBotToken, "the inbox has no bot token")
	}
	return b, nil
}

func (b bot) methodURL(method string) string { return b.base + "/bot" + b.token + "/" + method }

// fileURL is where a file getFile described is downloaded from.
func (b bot) fileURL(filePath string) (string, error) {
	return url.JoinPath(b.base, "file", "bot"+b.token, filePath)
}

// callJSON calls a Bot API method with a JSON body and decodes its result
// into result (unless nil).
func (c *Channel) callJSON(ctx context.Context, b bot, method string, params any, result any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("telegram: %s: encode: %w", method, err)
	}
	return c.call(ctx, b, method, bytes.NewReader(body), "application/json", result)
}

// call POSTs body to a Bot API method. Transport failures, 429 and 5xx wrap
// desk.ErrTemporary. Errors never contain the URL: it holds the bot token.
func (c *Channel) call(ctx context.Context, b bot, method string, body io.Reader, contentType string, result any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.methodURL(method), body)
	if err != nil {
		return fmt.Errorf("telegram: %s: request: %v", method, redact(err))
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("telegram: %s: %v: %w", method, redact(err), desk.ErrTemporary)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse))
	if err != nil {
		return fmt.Errorf("telegram: %s: read answer: %v: %w", method, redact(err), desk.ErrTemporary)
	}
	var ar apiResponse
	if err := json.Unmarshal(raw, &ar); err != nil {
		// A proxy's HTML error page, or garbage: judge by the status.
		e := &APIError{Method: method, Status: resp.StatusCode, Code: resp.StatusCode, Description: resp.Status}
		if resp.StatusCode/100 == 2 {
			e.Code, e.Description = http.StatusBadGateway, "answer is not JSON"
		}
		return e
	}
	if !ar.OK {
		e := &APIError{Method: method, Status: resp.StatusCode, Code: ar.ErrorCode, Description: ar.Description}
		if e.Code == 0 {
			e.Code = resp.StatusCode
		}
		if ar.Parameters != nil && ar.Parameters.RetryAfter > 0 {
			e.RetryAfter = time.Duration(ar.Parameters.RetryAfter) * time.Second
		}
		return e
	}
	if result != nil {
		if err := json.Unmarshal(ar.Result, result); err != nil {
			return fmt.Errorf("telegram: %s: decode result: %w", method, err)
		}
	}
	return nil
}

// redact strips the URL (and with it the bot token) from a transport error.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Bot is what getMe tells about the inbox's bot.
type Bot struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
	IsBot     bool   `json:"is_bot"`
}

// Check calls getMe: the admin's "test connection". A wrong token comes back
// as an *APIError with Telegram's description ("Unauthorized").
func (c *Channel) Check(ctx context.Context, inbox desk.Inbox) (Bot, error) {
	b, err := botOf(inbox)
	if err != nil {
		return Bot{}, err
	}
	var me Bot
	if err := c.callJSON(ctx, b, "getMe", struct{}{}, &me); err != nil {
		return Bot{}, err
	}
	return me, nil
}

// allowedUpdates are the update kinds balie asks Telegram for; others are
// ignored anyway when they come.
var allowedUpdates = []string{"message", "edited_message", "callback_query"}

// SetWebhook registers publicURL (https://…/hooks/telegram/<inbox key>) as
// the bot's webhook, with the inbox's secret token, for the admin's
// "connect" button.
func (c *Channel) SetWebhook(ctx context.Context, inbox desk.Inbox, publicURL string) error {
	b, err := botOf(inbox)
	if err != nil {
		return err
	}
	secret := inbox.Settings[SettingSecretToken]
	if !validSecret(secret) {
		return desk.Invalid(SettingSecretToken, "1 to 256 characters: letters, digits, _ and -")
	}
	u, err := url.Parse(publicURL)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return desk.Invalid("url", "the webhook URL must be absolute")
	}
	params := map[string]any{"url": publicURL, "secret_token": secret, "allowed_updates": allowedUpdates}
	if err := c.callJSON(ctx, b, "setWebhook", params, nil); err != nil {
		return err
	}
	return nil
}

// validSecret checks Telegram's rule for secret_token.
func validSecret(s string) bool {
	if len(s) == 0 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// CheckBot is Check for the admin page: the bot's "@username", or its name
// and id when it has no username.
func (c *Channel) CheckBot(ctx context.Context, inbox desk.Inbox) (string, error) {
	b, err := c.Check(ctx, inbox)
	if err != nil {
		return "", err
	}
	if b.Username != "" {
		return "@" + b.Username, nil
	}
	return b.FirstName + " (" + strconv.FormatInt(b.ID, 10) + ")", nil
}
