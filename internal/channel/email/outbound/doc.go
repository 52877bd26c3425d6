// Package outbound sends balie's email replies: it composes an RFC 5322
// message (plain text, attachments from the blob store, threading headers
// and a per-conversation Reply-To), signs it with DKIM (RFC 6376,
// rsa-sha256 or ed25519-sha256 per RFC 8463, relaxed/relaxed) and submits
// it to the inbox's SMTP server (RFC 6409: STARTTLS or implicit TLS, AUTH
// PLAIN).
//
// Channel implements desk.Channel for desk.ChannelEmail. The Message-ID it
// returns is derived from the outbox's idempotency key, so a retry after a
// crash sends the same Message-ID, and the customer's answer threads back by
// its In-Reply-To (see smtpd.Deliverer).
//
// outbound imports desk and smtpd (for the reply address and the settings
// the inbound side shares) and the standard library.
package outbound
