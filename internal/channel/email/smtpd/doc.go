// Package smtpd is balie's built-in SMTP server for inbound email (RFC 5321):
// a company points its MX record (or a forwarding rule) at balie, and every
// mail for one of its email inboxes becomes a customer message.
//
// The server is written with the standard library only. It is a final
// destination, never a relay: there is no AUTH, and it accepts only the
// recipients its Handler says are local. It speaks ESMTP with PIPELINING,
// SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES and, when a TLS
// configuration is given, STARTTLS. Everything a client sends is untrusted:
// command lines are length-limited, the message size is enforced while it is
// read, a client that makes too many errors or goes quiet is disconnected,
// and the number of connections is capped.
//
// Deliverer is the Handler that feeds mail into balie: it finds the inbox by
// the recipient address (or a per-conversation reply address, see
// ReplyAddress), parses the mail with mailparse, threads it, stores its
// attachments in the blob store and hands it to conversation.Service.Ingest.
//
// SPF, DKIM and DMARC are not checked yet. The Envelope keeps what a later
// step needs for that (MAIL FROM, the HELO name and the client's address).
//
// smtpd imports desk, conversation, blob and mailparse.
package smtpd
