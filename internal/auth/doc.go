// Package auth authenticates agents and decides what they may do.
//
// It hashes passwords (argon2id), logs agents in with rate limiting, keeps
// browser sessions (an opaque cookie whose SHA-256 is the stored session id)
// and API tokens (balie_ + 40 base62 characters, stored as SHA-256), and maps
// roles to permissions. Its HTTP helpers authenticate a request, carry the
// Principal in the request context, set the session cookie, check CSRF tokens
// and guard handlers with a permission; routing and error bodies belong to
// the server, api and web packages.
//
// It imports only desk, the standard library and golang.org/x/crypto.
package auth
