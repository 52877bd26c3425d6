package llm

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Defaults for Config's zero values.
const (
	DefaultTimeout        = 60 * time.Second
	DefaultMaxTokens      = 600
	DefaultMaxPromptBytes = 12000 // about 3,000 tokens: fits the smallest context windows local servers default to
	// MaxResponseBytes bounds the body read from the provider.
	MaxResponseBytes = 1 << 20
	// minPromptBytes is the least MaxPromptBytes that leaves room for the
	// instructions, a question and one useful source.
	minPromptBytes = 4000
)

// Secret is a credential. It prints, formats and logs as a mask, so that a
// Config or a Secret passed to fmt or slog by mistake does not leak it.
type Secret string

const mask = "[redacted]"

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return mask
}

// GoString masks %#v too.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// LogValue masks the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Config is the provider an admin configured. The zero Config is "off".
type Config struct {
	// BaseURL is the API root that /chat/completions is appended to, with
	// its version path: "https://api.openai.com/v1",
	// "http://127.0.0.1:11434/v1" for Ollama.
	BaseURL string
	Model   string
	// APIKey is sent as a bearer token; empty sends none (local servers).
	APIKey Secret
	// Timeout bounds one request; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxTokens bounds the length of a reply; 0 means DefaultMaxTokens.
	MaxTokens int
	// Temperature is sent as is (0 to 2); 0, the most deterministic, suits
	// answers that must stick to their sources.
	Temperature float64
	// MaxPromptBytes caps the size of the messages sent; sources and
	// transcripts are cut to fit. 0 means DefaultMaxPromptBytes.
	MaxPromptBytes int
}

// Enabled reports whether an admin configured a provider at all.
func (c Config) Enabled() bool { return c.BaseURL != "" || c.Model != "" }

// Validate reports the first field that is wrong, as a *desk.ValidationError.
func (c Config) Validate() error {
	if c.BaseURL == "" {
		return desk.Invalid("base_url", "required")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return desk.Invalid("base_url", "not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return desk.Invalid("base_url", "must start with http:// or https://")
	}
	if u.Host == "" {
		return desk.Invalid("base_url", "has no host")
	}
	if u.User != nil {
		// Credentials in a URL end up in logs and error messages.
		return desk.Invalid("base_url", "must not contain credentials; use the API key")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return desk.Invalid("base_url", "must not have a query or fragment")
	}
	if strings.TrimSpace(c.Model) == "" {
		return desk.Invalid("model", "required")
	}
	if strings.ContainsAny(string(c.APIKey), "\r\n") {
		return desk.Invalid("api_key", "must be one line")
	}
	if c.Timeout < 0 {
		return desk.Invalid("timeout", "must not be negative")
	}
	if c.MaxTokens < 0 {
		return desk.Invalid("max_tokens", "must not be negative")
	}
	if c.Temperature < 0 || c.Temperature > 2 {
		return desk.Invalid("temperature", "must be between 0 and 2")
	}
	if c.MaxPromptBytes != 0 && c.MaxPromptBytes < minPromptBytes {
		return desk.Invalid("max_prompt_bytes", fmt.Sprintf("must be at least %d", minPromptBytes))
	}
	return nil
}

// withDefaults fills zero values.
func (c Config) withDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = DefaultMaxTokens
	}
	if c.MaxPromptBytes == 0 {
		c.MaxPromptBytes = DefaultMaxPromptBytes
	}
	return c
}

// String prints the configuration with the API key masked.
func (c Config) String() string {
	return fmt.Sprintf("llm.Config{BaseURL: %q, Model: %q, APIKey: %q, Timeout: %s, MaxTokens: %d, Temperature: %g, MaxPromptBytes: %d}",
		c.BaseURL, c.Model, c.APIKey.String(), c.Timeout, c.MaxTokens, c.Temperature, c.MaxPromptBytes)
}

// GoString masks the key in %#v too.
func (c Config) GoString() string { return c.String() }

// LogValue logs the configuration with the API key masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.BaseURL),
		slog.String("model", c.Model),
		slog.Bool("api_key_set", c.APIKey != ""),
		slog.Duration("timeout", c.Timeout),
		slog.Int("max_tokens", c.MaxTokens),
		slog.Float64("temperature", c.Temperature),
		slog.Int("max_prompt_bytes", c.MaxPromptBytes),
	)
}
