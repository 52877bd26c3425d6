package metagraph

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// SignatureHeader carries Meta's signature of a webhook body.
const SignatureHeader = "X-Hub-Signature-256"

// maxChallenge bounds the hub.challenge echoed back: Meta sends a short
// number, anything long is not Meta.
const maxChallenge = 256

// Webhook serves one inbox's webhook: the GET verification handshake and
// the signed POSTs of events, decoded into P and handed to process. name
// starts the log lines ("whatsapp", "messenger").
//
// A POST is answered 200 once process returns nil, also for events the
// channel ignores, and 500 when it returns an error, so that Meta sends the
// batch again (what was stored is recognised by its id). process runs on a
// context that outlives Meta hanging up, bounded by ProcessTimeout.
func Webhook[P any](in desk.Inbox, log *slog.Logger, name string, process func(ctx context.Context, p P) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			verify(w, r, in, log, name)
		case http.MethodPost:
			receive(w, r, in, log, name, process)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// verify answers Meta's subscription handshake: the challenge is echoed
// when the verify token is the inbox's.
func verify(w http.ResponseWriter, r *http.Request, in desk.Inbox, log *slog.Logger, name string) {
	q := r.URL.Query()
	want := in.Settings[SettingVerifyToken]
	challenge := q.Get("hub.challenge")
	if q.Get("hub.mode") != "subscribe" || want == "" || len(challenge) > maxChallenge ||
		subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), []byte(want)) != 1 {
		log.Warn(name+": verification refused", "inbox", in.ID, "mode", q.Get("hub.mode"))
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write([]byte(challenge))
}

// receive reads a POST within MaxWebhookBody, checks its signature before
// decoding a byte of it, and hands the payload to process.
func receive[P any](w http.ResponseWriter, r *http.Request, in desk.Inbox, log *slog.Logger, name string, process func(context.Context, P) error) {
	raw, err := ReadLimited(r.Body, MaxWebhookBody)
	if errors.Is(err, desk.ErrTooLarge) {
		log.Warn(name+": webhook body too large", "inbox", in.ID)
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	secret := in.Settings[SettingAppSecret]
	if secret == "" {
		log.Warn(name+": inbox has no app_secret; webhook refused", "inbox", in.ID)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if !ValidSignature(secret, raw, r.Header.Get(SignatureHeader)) {
		log.Warn(name+": bad webhook signature", "inbox", in.ID)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var p P
	if err := json.Unmarshal(raw, &p); err != nil {
		log.Warn(name+": undecodable webhook", "inbox", in.ID, "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), ProcessTimeout)
	defer cancel()
	if err := process(ctx, p); err != nil {
		log.Error(name+": webhook not fully stored; Meta will retry", "inbox", in.ID, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// ValidSignature checks header ("sha256=<hex>") against the HMAC-SHA256 of
// body with secret, in constant time. An empty secret verifies nothing.
func ValidSignature(secret string, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok || secret == "" {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
