// Package idtoken signs and verifies the identity tokens a company's own
// site hands to balie: "this visitor is our logged-in customer X". The web
// chat widget and the help center's customer portal accept them.
//
// A token is base64url(payload) "." base64url(HMAC-SHA256(secret, first
// part)), both without padding. The payload is JSON:
//
//	{"external_id": "c-1042", "email": "sanne@example.com", "name": "Sanne",
//	 "phone": "+31612345678", "exp": 1767225600}
//
// exp (Unix seconds) is required and at most MaxLifetime ahead; at least one
// of external_id and email is required. The secret is the web-chat inbox's
// "identity_secret" setting. A token may be used again until it expires:
// it is a statement about who the visitor is, not a one-time credential.
//
// idtoken imports the standard library only.
package idtoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Limits.
const (
	// MaxLifetime is how far ahead a token's exp may lie: a token is
	// minted per page view or login, never kept for days.
	MaxLifetime = 24 * time.Hour
	// Skew is the clock difference tolerated between the company's
	// servers and balie's, both ways.
	Skew = 2 * time.Minute
	// MaxLen bounds a token's length before anything is decoded.
	MaxLen = 4096
	// MinSecret is the least length of a signing secret.
	MinSecret = 16
)

// Errors. Every failure wraps ErrInvalid; callers show one message for all
// of them and log the detail.
var (
	ErrInvalid = errors.New("idtoken: invalid token")
	ErrExpired = fmt.Errorf("%w: expired", ErrInvalid)
)

// Claims are who the company says the visitor is.
type Claims struct {
	ExternalID string `json:"external_id,omitempty"`
	Email      string `json:"email,omitempty"`
	Name       string `json:"name,omitempty"`
	Phone      string `json:"phone,omitempty"`
	// Exp is the expiry in Unix seconds.
	Exp int64 `json:"exp"`
}

// knownClaim reports whether k is one of the Claims' own or a registered
// JWT claim (RFC 7519 section 4.1), which is accepted and ignored.
func knownClaim(k string) bool {
	switch k {
	case "external_id", "email", "name", "phone", "exp",
		"iat", "nbf", "iss", "sub", "aud", "jti":
		return true
	}
	return false
}

// Sign makes a token for c with secret. balie itself signs only in tests
// and the demo; it is here so that the format has one definition.
func Sign(secret string, c Claims) (string, error) {
	if len(secret) < MinSecret {
		return "", fmt.Errorf("idtoken: sign: secret shorter than %d bytes", MinSecret)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("idtoken: sign: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + base64.RawURLEncoding.EncodeToString(mac(secret, payload)), nil
}

func mac(secret, payload string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// Verify checks token's signature with secret and its expiry at now, and
// returns its claims. The signature is checked before the payload is
// parsed, in constant time.
func Verify(secret, token string, now time.Time) (Claims, error) {
	var c Claims
	if len(secret) < MinSecret {
		return c, fmt.Errorf("%w: no signing secret configured", ErrInvalid)
	}
	if token == "" || len(token) > MaxLen {
		return c, fmt.Errorf("%w: empty or too long", ErrInvalid)
	}
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || strings.Contains(sig, ".") {
		return c, fmt.Errorf("%w: not two parts", ErrInvalid)
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return c, fmt.Errorf("%w: signature encoding", ErrInvalid)
	}
	if !hmac.Equal(got, mac(secret, payload)) {
		return c, fmt.Errorf("%w: bad signature", ErrInvalid)
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return c, fmt.Errorf("%w: payload encoding", ErrInvalid)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return Claims{}, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	for k := range fields {
		// A misspelt claim ("emial") is an error the company should see;
		// the standard JWT claims their libraries add are not.
		if !knownClaim(k) {
			return Claims{}, fmt.Errorf("%w: payload: unknown claim %.40q", ErrInvalid, k)
		}
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return Claims{}, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	if c.Exp == 0 {
		return Claims{}, fmt.Errorf("%w: no exp", ErrInvalid)
	}
	exp := time.Unix(c.Exp, 0)
	if !now.Before(exp.Add(Skew)) {
		return Claims{}, ErrExpired
	}
	if exp.After(now.Add(MaxLifetime + Skew)) {
		return Claims{}, fmt.Errorf("%w: exp more than %v ahead", ErrInvalid, MaxLifetime)
	}
	c.ExternalID, c.Email = strings.TrimSpace(c.ExternalID), strings.TrimSpace(c.Email)
	c.Name, c.Phone = strings.TrimSpace(c.Name), strings.TrimSpace(c.Phone)
	if c.ExternalID == "" && c.Email == "" {
		return Claims{}, fmt.Errorf("%w: neither external_id nor email", ErrInvalid)
	}
	if len(c.ExternalID) > 200 || len(c.Name) > 200 {
		return Claims{}, fmt.Errorf("%w: external_id or name too long", ErrInvalid)
	}
	return c, nil
}
