package smtpd

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// Inbox settings the email channel reads.
const (
	// SettingAddress is the inbox's email address, e.g. support@example.nl.
	SettingAddress = "address"
	// SettingReplySecret keys the per-conversation reply addresses (secret;
	// NewReplySecret makes one). Without it there are no reply addresses
	// and replies thread by their headers only.
	SettingReplySecret = "reply_secret"
)

// tagLen is how many hex digits of the HMAC a reply address carries: 64
// bits, far beyond guessing through an SMTP server that disconnects after a
// few wrong recipients.
const tagLen = 16

// ReplyAddress returns the address that threads mail into a conversation:
// <local>+c<conversationID>.<tag>@<domain> for the inbox address
// <local>@<domain>, where tag is an HMAC of the inbox and conversation with
// the inbox's reply secret. Outgoing mail uses it as Reply-To, so a reply
// lands in its conversation even when the customer's mail program drops the
// threading headers. A forged or mistyped one is delivered to the inbox as a
// new mail (it is a sub-address of the inbox, RFC 5233), never into someone's
// conversation.
func ReplyAddress(in desk.Inbox, conversationID int64) (string, error) {
	local, domain, ok := strings.Cut(in.Settings[SettingAddress], "@")
	if !ok || local == "" || domain == "" {
		return "", desk.Invalid(SettingAddress, "the inbox has no email address")
	}
	secret := in.Settings[SettingReplySecret]
	if secret == "" {
		return "", desk.Invalid(SettingReplySecret, "the inbox has no reply secret")
	}
	if conversationID <= 0 {
		return "", desk.Invalid("conversation", "no conversation")
	}
	return fmt.Sprintf("%s+c%d.%s@%s", local, conversationID, replyTag(secret, in.ID, conversationID), domain), nil
}

func replyTag(secret string, inboxID, conversationID int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "balie-reply:%d:%d", inboxID, conversationID)
	return hex.EncodeToString(m.Sum(nil))[:tagLen]
}

// matchInbox reports whether addr is the inbox's address or a sub-address
// of it (local+tag@domain), and the conversation a valid reply tag names (0
// for none).
func matchInbox(in desk.Inbox, addr string) (ok bool, conversationID int64) {
	own := in.Settings[SettingAddress]
	if own == "" {
		return false, 0
	}
	if strings.EqualFold(addr, own) {
		return true, 0
	}
	ownLocal, ownDomain, _ := strings.Cut(own, "@")
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || !strings.EqualFold(addr[at+1:], ownDomain) {
		return false, 0
	}
	base, tag, ok := strings.Cut(addr[:at], "+")
	if !ok || !strings.EqualFold(base, ownLocal) {
		return false, 0
	}
	return true, verifyTag(in, tag)
}

// verifyTag returns the conversation of a reply tag "c<id>.<hmac>", or 0
// when it is not one or does not verify.
func verifyTag(in desk.Inbox, tag string) int64 {
	secret := in.Settings[SettingReplySecret]
	if secret == "" || len(tag) < 2 || (tag[0] != 'c' && tag[0] != 'C') {
		return 0
	}
	idText, mac, ok := strings.Cut(tag[1:], ".")
	if !ok {
		return 0
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	// Some mail systems lower- or upper-case local parts; hex survives that.
	if !hmac.Equal([]byte(strings.ToLower(mac)), []byte(replyTag(secret, in.ID, id))) {
		return 0
	}
	return id
}

// NewReplySecret returns a random reply secret for an inbox's settings.
func NewReplySecret() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
