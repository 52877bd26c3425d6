// Package webhooksig signs balie's outgoing HTTP callbacks (webhooks, API
// channel replies) and verifies such signatures, so receivers can check that
// a request came from balie and was not replayed.
//
// The signature is HMAC-SHA256 over "<unix timestamp>.<raw body>" with the
// receiver's secret, sent as "X-Balie-Signature: sha256=<hex>".
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	HeaderEvent     = "X-Balie-Event"
	HeaderDelivery  = "X-Balie-Delivery"
	HeaderTimestamp = "X-Balie-Timestamp"
	HeaderSignature = "X-Balie-Signature"
)

// Sign sets the event, delivery, timestamp and (when secret is not empty)
// signature headers.
func Sign(h http.Header, secret, event, delivery string, at time.Time, body []byte) {
	ts := strconv.FormatInt(at.Unix(), 10)
	h.Set(HeaderEvent, event)
	h.Set(HeaderDelivery, delivery)
	h.Set(HeaderTimestamp, ts)
	if secret != "" {
		h.Set(HeaderSignature, "sha256="+Compute(secret, ts, body))
	}
}

// Compute returns the hex HMAC-SHA256 of timestamp + "." + body.
func Compute(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a request's signature and that its timestamp is within
// tolerance of now.
func Verify(h http.Header, secret string, body []byte, now time.Time, tolerance time.Duration) error {
	ts := h.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("webhooksig: missing or bad timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhooksig: timestamp outside tolerance")
	}
	got, ok := strings.CutPrefix(h.Get(HeaderSignature), "sha256=")
	if !ok {
		return errors.New("webhooksig: missing signature")
	}
	want := Compute(secret, ts, body)
	if !hmac.Equal([]byte(got), []byte(want)) {
		return errors.New("webhooksig: signature mismatch")
	}
	return nil
}
