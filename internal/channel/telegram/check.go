package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// CheckTimeout bounds the admin's connection test: they are waiting for
// the page.
const CheckTimeout = 10 * time.Second

// recentWebhookError is how long ago a failed delivery to the webhook
// still counts as the webhook's state rather than history.
const recentWebhookError = time.Hour

// SettingWebhook is the field the connection test names when the bot's
// webhook is not balie's: not an inbox setting, but the Connect button
// fixes it.
const SettingWebhook = "webhook"

// webhookInfo is what getWebhookInfo answers.
type webhookInfo struct {
	URL                string `json:"url"`
	PendingUpdateCount int    `json:"pending_update_count"`
	LastErrorDate      int64  `json:"last_error_date"`
	LastErrorMessage   string `json:"last_error_message"`
}

// CheckConnection is the admin's "test connection": getMe proves the bot
// token, getWebhookInfo that Telegram posts the bot's messages to
// balie's webhook. hookURL is that webhook's absolute URL as balie is
// reached; "" compares only its path (/hooks/telegram/<inbox key>). The
// scheme is not compared: behind a TLS-terminating proxy balie may not
// know it.
//
// It returns the bot's "@username". A failure comes back as a
// *desk.CheckError: bad_token on bot_token, webhook on SettingWebhook
// when the Connect button is what is needed, rate_limited, unreachable;
// Telegram being down or slow also wraps desk.ErrTemporary.
func (c *Channel) CheckConnection(ctx context.Context, in desk.Inbox, hookURL string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	name, err := c.CheckBot(ctx, in)
	if err != nil {
		return "", fmt.Errorf("telegram: check: %w", explain(err))
	}
	b, err := botOf(in)
	if err != nil {
		return "", fmt.Errorf("telegram: check: %w", explain(err))
	}
	var info webhookInfo
	if err := c.callJSON(ctx, b, "getWebhookInfo", struct{}{}, &info); err != nil {
		return "", fmt.Errorf("telegram: check: %w", explain(err))
	}
	wantPath := "/hooks/telegram/" + url.PathEscape(in.PublicKey)
	switch {
	case info.URL == "":
		return "", fmt.Errorf("telegram: check: %w", webhookError(
			"the bot "+name+" works, but has no webhook: press Connect so that Telegram posts its messages to balie"))
	case !sameHook(info.URL, hookURL, wantPath):
		return "", fmt.Errorf("telegram: check: %w", webhookError(fmt.Sprintf(
			"the bot %s works, but Telegram posts its messages to %s, not to balie: press Connect", name, info.URL)))
	}
	if info.LastErrorMessage != "" && info.LastErrorDate > 0 {
		at := time.Unix(info.LastErrorDate, 0)
		if c.clock.Now().Sub(at) < recentWebhookError {
			return "", fmt.Errorf("telegram: check: %w", webhookError(fmt.Sprintf(
				"the bot %s works, but Telegram could not deliver to balie's webhook at %s: %s (%d updates waiting)",
				name, at.UTC().Format("15:04 UTC"), info.LastErrorMessage, info.PendingUpdateCount)))
		}
	}
	return name, nil
}

// sameHook reports whether the webhook Telegram has is balie's: the same
// path, and the same host when balie's URL is known.
func sameHook(got, want, wantPath string) bool {
	g, err := url.Parse(got)
	if err != nil || g.EscapedPath() != wantPath {
		return false
	}
	if want == "" {
		return true
	}
	w, err := url.Parse(want)
	return err == nil && strings.EqualFold(g.Host, w.Host)
}

// webhookError is a bot that works but whose messages do not reach
// balie: the Connect button fixes it.
func webhookError(detail string) error {
	return &desk.CheckError{Code: desk.CheckWebhook, Setting: SettingWebhook, Detail: detail}
}

// explain turns a failed Bot API call into what the admin should do.
func explain(err error) error {
	if ve, ok := errors.AsType[*desk.ValidationError](err); ok {
		// The settings stopped the test before any call.
		return &desk.CheckError{Code: desk.CheckInvalidSetting, Setting: ve.Field, Detail: ve.Reason, Err: err}
	}
	ae, ok := errors.AsType[*APIError](err)
	switch {
	case !ok && errors.Is(err, desk.ErrTemporary):
		// No answer from Telegram: the network, DNS, TLS or the deadline.
		return &desk.CheckError{Code: desk.CheckUnreachable, Detail: "cannot reach Telegram: " + err.Error(), Err: err}
	case !ok:
		return &desk.CheckError{Code: desk.CheckOther, Detail: err.Error(), Err: err}
	}
	switch {
	// Telegram answers 401 Unauthorized to a token it does not know, and
	// 404 Not Found when the token is not shaped like one.
	case ae.Code == http.StatusUnauthorized || ae.Code == http.StatusNotFound:
		return &desk.CheckError{Code: desk.CheckBadToken, Setting: SettingBotToken, Err: ae, Detail: fmt.Sprintf(
			"Telegram does not know this bot token (%d %s): copy it again from @BotFather", ae.Code, ae.Description)}
	case ae.Code == http.StatusTooManyRequests || ae.Status == http.StatusTooManyRequests:
		return &desk.CheckError{Code: desk.CheckRateLimited, Err: ae, Detail: "Telegram asks to slow down, try again in a few minutes: " + ae.Error()}
	case ae.Temporary():
		return &desk.CheckError{Code: desk.CheckUnreachable, Err: ae, Detail: "no answer from Telegram, try again later: " + ae.Error()}
	}
	return &desk.CheckError{Code: desk.CheckOther, Detail: ae.Error(), Err: ae}
}
