// Package metagraphtest is test support for the channels on Meta's Graph
// platform (internal/channel/whatsapp, internal/channel/meta), as
// net/http/httptest is for HTTP: it is imported only by _test.go files.
//
// Server is a fake Graph API and CDN on a local port. It answers the calls
// balie makes, for every Meta product at once:
//
//	GET  /v21.0/{id}                           a node: a profile (SetProfile) or a WhatsApp media file (SetMedia)
//	GET  /files/{id}                           a media file's bytes, with the token (WhatsApp)
//	GET  /cdn/...                              a CDN file, public: no token expected (SetCDN; Messenger, Instagram)
//	POST /v21.0/{node}/media                   WhatsApp's upload
//	POST /v21.0/{node}/message_attachments     Messenger's and Instagram's upload
//	POST /v21.0/{node}/messages                a send; the answer takes the product's shape from the body
//
// Every Graph call must carry the access token as a bearer token and never
// in the URL; otherwise the fake answers 401 with Meta's OAuth error. The
// fake records what it was sent (Sent, Uploads, CDNAuth, Lookups) and fails
// on demand (FailNext, FailSends, SetLookup, SetCDNStatus).
//
// Env stands a channel on real surroundings: a store, the conversation
// service, a blob store in a temporary directory, a clock the test sets, a
// log it reads, and a Server. A product's tests embed it, make their
// channel from its parts and set Env.Webhook:
//
//	e := &env{Env: metagraphtest.NewEnv(t, testenv.OpenSQLite, metagraphtest.Config{Token: testToken})}
//	e.ch = New(Deps{Conversations: e.Conversations, Blob: e.Blob, Client: e.Graph.Client(), Clock: e.Clock, Log: e.Log})
//	e.Webhook = e.ch.Webhook
//	in := e.Inbox(t, desk.ChannelWhatsApp, map[string]string{SettingPhoneNumberID: "1122"}, nil)
//	e.PostSigned(t, in, body) // the webhook's status
//	e.Messages(t, in)         // what the inbox holds
//
// Sign, Request, SignedRequest and Tamper build webhook requests as Meta
// signs them; PNG, JPEG, PDF and the others are media bytes that sniff as
// their type.
//
// Besides the standard library, metagraphtest imports desk, metagraph (its
// header and setting names), and blob, bus and conversation for Env: the
// channels' tests already depend on them.
package metagraphtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/desk"
)

// The secrets every inbox of an Env starts with.
const (
	AppSecret   = "app-secret-for-tests"
	VerifyToken = "verify-me"
)

// Sign is the X-Hub-Signature-256 value Meta sends with body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Request is a webhook POST of body to the inbox, carrying signature in
// X-Hub-Signature-256 (none when "").
func Request(in desk.Inbox, body []byte, signature string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hooks/"+string(in.Channel)+"/"+in.PublicKey, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if signature != "" {
		r.Header.Set(metagraph.SignatureHeader, signature)
	}
	return r
}

// SignedRequest is a webhook POST of body signed with the inbox's app
// secret.
func SignedRequest(in desk.Inbox, body []byte) *http.Request {
	return Request(in, body, Sign(in.Settings[metagraph.SettingAppSecret], body))
}

// Tamper is r with its body signed by another app's secret: what
// channeltest.Harness.Tamper wants.
func Tamper(r *http.Request) *http.Request {
	body, _ := io.ReadAll(r.Body) // an in-memory body cannot fail
	t := httptest.NewRequest(r.Method, r.URL.String(), bytes.NewReader(body))
	t.Header = r.Header.Clone()
	t.Header.Set(metagraph.SignatureHeader, Sign("not-"+AppSecret, body))
	return t
}
