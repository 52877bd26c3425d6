package llm

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{BaseURL: "https://api.openai.com/v1", Model: "gpt-4o-mini", APIKey: "sk-x"}
	tests := []struct {
		name      string
		edit      func(*Config)
		wantField string // "" for valid
	}{
		{"hosted", func(c *Config) {}, ""},
		{"ollama without key", func(c *Config) { c.BaseURL = "http://127.0.0.1:11434/v1"; c.Model = "llama3.1"; c.APIKey = "" }, ""},
		{"all options", func(c *Config) {
			c.Timeout = time.Minute
			c.MaxTokens = 100
			c.Temperature = 2
			c.MaxPromptBytes = 4000
		}, ""},
		{"no base URL", func(c *Config) { c.BaseURL = "" }, "base_url"},
		{"not http", func(c *Config) { c.BaseURL = "ftp://example.com/v1" }, "base_url"},
		{"no scheme", func(c *Config) { c.BaseURL = "api.openai.com/v1" }, "base_url"},
		{"no host", func(c *Config) { c.BaseURL = "http:///v1" }, "base_url"},
		{"credentials in URL", func(c *Config) { c.BaseURL = "https://user:pw@example.com/v1" }, "base_url"},
		{"query", func(c *Config) { c.BaseURL = "https://example.com/v1?key=x" }, "base_url"},
		{"unparseable", func(c *Config) { c.BaseURL = "http://[::1" }, "base_url"},
		{"no model", func(c *Config) { c.Model = "" }, "model"},
		{"blank model", func(c *Config) { c.Model = "  " }, "model"},
		{"key with newline", func(c *Config) { c.APIKey = "sk-x\r\nX-Evil: 1" }, "api_key"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "timeout"},
		{"negative max tokens", func(c *Config) { c.MaxTokens = -1 }, "max_tokens"},
		{"temperature too high", func(c *Config) { c.Temperature = 2.5 }, "temperature"},
		{"negative temperature", func(c *Config) { c.Temperature = -0.1 }, "temperature"},
		{"prompt cap too small", func(c *Config) { c.MaxPromptBytes = 100 }, "max_prompt_bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			err := cfg.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *desk.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, desk.ErrInvalid) {
				t.Fatalf("Validate() = %v, want a *desk.ValidationError", err)
			}
			if ve.Field != tt.wantField {
				t.Errorf("field = %q, want %q (%v)", ve.Field, tt.wantField, err)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New(Config{BaseURL: "http://127.0.0.1:11434/v1"}, http.DefaultClient); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("New without model = %v, want ErrInvalid", err)
	}
	if _, err := New(Config{BaseURL: "http://127.0.0.1:11434/v1", Model: "llama3.1"}, nil); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("New with nil client = %v, want ErrInvalid", err)
	}
}

func TestConfigEnabledAndDefaults(t *testing.T) {
	if (Config{}).Enabled() {
		t.Error("zero Config is enabled, want off by default")
	}
	c, err := New(Config{BaseURL: "http://127.0.0.1:11434/v1", Model: "llama3.1"}, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Config()
	if got.Timeout != DefaultTimeout || got.MaxTokens != DefaultMaxTokens || got.MaxPromptBytes != DefaultMaxPromptBytes {
		t.Errorf("defaults = %v", got)
	}
}

// TestConfigDoesNotLeakKey prints and logs a Config every way a careless
// caller might.
func TestConfigDoesNotLeakKey(t *testing.T) {
	cfg := Config{BaseURL: "https://api.example.com/v1", Model: "m", APIKey: testKey}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("llm", "config", cfg, "key", cfg.APIKey)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("llm", "config", cfg, "ptr", &cfg, "key", cfg.APIKey)
	outputs := map[string]string{
		"%v":  fmt.Sprintf("%v", cfg),
		"%+v": fmt.Sprintf("%+v", cfg),
		"%#v": fmt.Sprintf("%#v", cfg),
		//lint:ignore S1025 the point is what %s makes of the config
		"%s":           fmt.Sprintf("%s", cfg),
		"pointer %+v":  fmt.Sprintf("%+v", &cfg),
		"nested %+v":   fmt.Sprintf("%+v", struct{ LLM Config }{cfg}),
		"nested %#v":   fmt.Sprintf("%#v", struct{ LLM Config }{cfg}),
		"key %v":       fmt.Sprintf("%v", cfg.APIKey),
		"key %q":       fmt.Sprintf("%q", cfg.APIKey),
		"key %#v":      fmt.Sprintf("%#v", cfg.APIKey),
		"slog":         buf.String(),
		"Validate err": fmt.Sprint(Config{BaseURL: "nope", APIKey: testKey}.Validate()),
	}
	for how, out := range outputs {
		if strings.Contains(out, testKey) || strings.Contains(out, "0123456789") {
			t.Errorf("%s leaks the key: %s", how, out)
		}
	}
	if !strings.Contains(outputs["%v"], "https://api.example.com/v1") {
		t.Errorf("String() = %s, want the base URL in it", outputs["%v"])
	}
}
