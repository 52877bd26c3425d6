// Package apichan is the API channel: a company's own app (or a service balie
// has no adapter for) posts customer messages to balie's API and receives the
// agents' replies on a webhook it configures on the inbox (settings key
// "webhook_url", optional "webhook_secret"), signed like balie's other
// webhooks.
//
// apichan imports desk, wire, webhooksig and safehttp.
package apichan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/safehttp"
	"github.com/balie-dev/balie/internal/webhooksig"
	"github.com/balie-dev/balie/internal/wire"
)

// Channel sends replies to the inbox's webhook URL.
type Channel struct {
	client *http.Client
	clock  desk.Clock
}

// New returns the API channel using client for outbound requests.
func New(client *http.Client, clock desk.Clock) *Channel {
	return &Channel{client: client, clock: clock}
}

// Kind is desk.ChannelAPI.
func (*Channel) Kind() desk.ChannelKind { return desk.ChannelAPI }

type outbound struct {
	Type         string             `json:"type"`
	Conversation *wire.Conversation `json:"conversation"`
	Contact      *wire.Contact      `json:"contact"`
	Message      *wire.Message      `json:"message"`
}

// Send POSTs the reply as JSON. 2xx is success; 429, 5xx and transport
// errors are temporary; other statuses are permanent failures.
func (c *Channel) Send(ctx context.Context, out desk.Outbound) (string, error) {
	url := out.Inbox.Settings["webhook_url"]
	if url == "" {
		return "", fmt.Errorf("apichan: inbox %d has no webhook_url: %w", out.Inbox.ID, desk.ErrInvalid)
	}
	body, err := json.Marshal(outbound{Type: "message.outgoing", Conversation: wire.FromConversation(&out.Conversation),
		Contact: wire.FromContact(&out.Contact), Message: wire.FromMessage(&out.Message)})
	if err != nil {
		return "", fmt.Errorf("apichan: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("apichan: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	webhooksig.Sign(req.Header, out.Inbox.Settings["webhook_secret"], "message.outgoing", out.IdempotencyKey, c.clock.Now(), body)
	resp, err := c.client.Do(req)
	if safehttp.Refused(err) {
		return "", fmt.Errorf("apichan: post: %w", err) // blocked address: permanent
	}
	if err != nil {
		return "", fmt.Errorf("apichan: post: %v: %w", err, desk.ErrTemporary)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return out.IdempotencyKey, nil
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return "", fmt.Errorf("apichan: %s: %w", resp.Status, desk.ErrTemporary)
	}
	return "", fmt.Errorf("apichan: %s", resp.Status)
}

var _ desk.Channel = (*Channel)(nil)

// Timeout is a sensible client timeout for webhook-style sends.
const Timeout = 10 * time.Second
