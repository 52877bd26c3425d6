package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
)

// Errors a Client returns, wrapped; test with errors.Is. Rate limits,
// server errors, timeouts and network failures wrap desk.ErrTemporary
// instead: those are worth retrying, these are not.
var (
	// ErrAuth is a 401 or 403: the API key is missing, wrong or not allowed
	// to use the model.
	ErrAuth = errors.New("llm: the provider refused the API key")
	// ErrModelNotFound is a 404: the model does not exist on the server,
	// or the base URL is not an OpenAI-compatible API root (forgot /v1?).
	ErrModelNotFound = errors.New("llm: model or API URL not found")
	// ErrBadResponse is a reply that is not a chat completion: not JSON,
	// no choices, no text, or larger than MaxResponseBytes.
	ErrBadResponse = errors.New("llm: malformed response")
)

// Message is one chat message. Role is "system", "user" or "assistant".
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Completion is the model's reply.
type Completion struct {
	Text string
	// FinishReason is what the server reported: "stop", or "length" when
	// the reply was cut off at MaxTokens.
	FinishReason string
}

// Client talks to one OpenAI-compatible chat-completions endpoint. It is
// safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	http     *http.Client
}

// New returns a Client for cfg, which must be valid. hc decides which
// addresses may be reached and how; its own Timeout, if any, applies on
// top of cfg.Timeout.
func New(cfg Config, hc *http.Client) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("llm: config: %w", err)
	}
	if hc == nil {
		return nil, fmt.Errorf("llm: no HTTP client: %w", desk.ErrInvalid)
	}
	endpoint, err := url.JoinPath(cfg.BaseURL, "chat/completions")
	if err != nil {
		return nil, fmt.Errorf("llm: config: %w", desk.Invalid("base_url", err.Error()))
	}
	return &Client{cfg: cfg.withDefaults(), endpoint: endpoint, http: hc}, nil
}

// Config returns the client's configuration, defaults filled in.
func (c *Client) Config() Config { return c.cfg }

type chatRequest struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature float64   `json:"temperature"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	Stream      bool      `json:"stream"`
}

type chatResponse struct {
	Choices []struct {
		Message struct {
			Content *string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Error json.RawMessage `json:"error"`
}

// Complete sends msgs and returns the first choice's text, with any
// leading <think> block that reasoning models emit removed.
func (c *Client) Complete(ctx context.Context, msgs []Message) (Completion, error) {
	body, err := json.Marshal(chatRequest{
		Model:       c.cfg.Model,
		Messages:    msgs,
		Temperature: c.cfg.Temperature,
		MaxTokens:   c.cfg.MaxTokens,
	})
	if err != nil {
		return Completion{}, fmt.Errorf("llm: encode: %w", err)
	}
	reqCtx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return Completion{}, fmt.Errorf("llm: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+string(c.cfg.APIKey))
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return Completion{}, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return Completion{}, c.transportError(ctx, err)
	}
	if len(raw) > MaxResponseBytes {
		return Completion{}, fmt.Errorf("llm: response larger than %d bytes: %w", MaxResponseBytes, ErrBadResponse)
	}
	if resp.StatusCode/100 != 2 {
		return Completion{}, c.statusError(resp, raw)
	}

	var cr chatResponse
	if err := json.Unmarshal(raw, &cr); err != nil {
		return Completion{}, fmt.Errorf("llm: decode: %v: %w", err, ErrBadResponse)
	}
	if len(cr.Choices) == 0 {
		if msg := c.providerMessage(raw); msg != "" {
			return Completion{}, fmt.Errorf("llm: provider error: %s: %w", msg, ErrBadResponse)
		}
		return Completion{}, fmt.Errorf("llm: no choices: %w", ErrBadResponse)
	}
	ch := cr.Choices[0]
	if ch.Message.Content == nil {
		return Completion{}, fmt.Errorf("llm: no message content (finish reason %q): %w", ch.FinishReason, ErrBadResponse)
	}
	text := strings.TrimSpace(thinkBlock.ReplaceAllString(*ch.Message.Content, ""))
	return Completion{Text: text, FinishReason: ch.FinishReason}, nil
}

// thinkBlock is the reasoning some local models (DeepSeek-R1, Qwen3) put
// before their answer; it is not for the customer.
var thinkBlock = regexp.MustCompile(`(?s)^\s*<think>.*?</think>`)

// transportError classifies a failure to get or read a response. The
// caller's own cancellation is passed through as is; the client's timeout
// and network trouble are temporary.
func (c *Client) transportError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("llm: chat: %w", ctxErr)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("llm: chat: no reply within %s: %w: %w", c.cfg.Timeout, context.DeadlineExceeded, desk.ErrTemporary)
	}
	// err is kept (wrapped) so that the caller can recognise, for example,
	// an address its HTTP client refused.
	return fmt.Errorf("llm: chat: %w: %w", err, desk.ErrTemporary)
}

func (c *Client) statusError(resp *http.Response, raw []byte) error {
	msg := c.providerMessage(raw)
	if msg != "" {
		msg = ": " + msg
	}
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("llm: %s%s: %w", resp.Status, msg, ErrAuth)
	case code == http.StatusNotFound:
		return fmt.Errorf("llm: %s (model %q)%s: %w", resp.Status, c.cfg.Model, msg, ErrModelNotFound)
	case code == http.StatusTooManyRequests:
		return fmt.Errorf("llm: rate limited: %s%s: %w", resp.Status, msg, desk.ErrTemporary)
	case code >= 500:
		return fmt.Errorf("llm: provider error: %s%s: %w", resp.Status, msg, desk.ErrTemporary)
	default:
		return fmt.Errorf("llm: %s%s", resp.Status, msg)
	}
}

// maxProviderMessage bounds how much of a provider's error text goes into
// an error.
const maxProviderMessage = 300

// providerMessage extracts the provider's error text from a body: OpenAI's
// {"error":{"message":...}} or a plain {"error":"..."} (Ollama, proxies). It
// is cut short, stripped of control characters, and has the API key masked,
// since some providers echo what they were sent.
func (c *Client) providerMessage(raw []byte) string {
	var body struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &body) != nil || len(body.Error) == 0 {
		return ""
	}
	var msg string
	if json.Unmarshal(body.Error, &msg) != nil {
		var obj struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body.Error, &obj) != nil {
			return ""
		}
		msg = obj.Message
	}
	if key := string(c.cfg.APIKey); key != "" {
		msg = strings.ReplaceAll(msg, key, mask)
	}
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, msg)
	return truncate(strings.TrimSpace(msg), maxProviderMessage)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
