// Package mailauth checks where an inbound mail comes from: SPF (RFC 7208)
// for the connecting client and the envelope sender, DKIM (RFC 6376, with
// Ed25519 from RFC 8463) for the signatures in the message, and DMARC
// (RFC 7489) for whether either of them vouches for the domain in From.
// balie's own SMTP server calls Verify for every accepted message and
// records the Result; Result.Header renders it as an
// Authentication-Results field (RFC 8601).
//
// Everything it reads is untrusted: the message, the DNS answers and the
// records in them. The work is bounded (at most 5 DKIM signatures, the SPF
// limits of 10 DNS-querying terms and 2 void lookups, caps on tag lists and
// key sizes) and nothing in here panics on malformed input; a broken
// record or signature is a permerror, an unreachable DNS a temperror.
//
// Known limits: the organisational domain for DMARC is found with a short
// built-in list of multi-label public suffixes (co.uk, com.au, ...) rather
// than the full Public Suffix List, so a sender under an unlisted suffix
// such as example.gov.br is aligned too loosely; the SPF "ptr" mechanism
// never matches (RFC 7208 says not to use it) and "exp" is ignored;
// internationalised domain names are compared as given, not converted to
// A-labels.
//
// mailauth imports only the standard library.
package mailauth
