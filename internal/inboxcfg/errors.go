package inboxcfg

import (
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// Problem codes: what is wrong with a field. The admin pages translate a
// code (catalogue key "invalid.<code>", with Arg for its %s); the API
// shows the English text.
const (
	CodeRequired      = "required"
	CodeTooLong       = "too_long"  // Arg: the limit in bytes
	CodeTooShort      = "too_short" // Arg: the least length
	CodeOneLine       = "one_line"
	CodeEmail         = "email"
	CodeURL           = "url"
	CodeHost          = "host"
	CodePort          = "port"
	CodeNumber        = "number" // Arg: the range
	CodeOption        = "option" // Arg: the choices
	CodeColour        = "color"
	CodeDomain        = "domain"
	CodeSelector      = "selector"
	CodeKeyPEM        = "key_pem"
	CodeKeyWeak       = "key_weak"
	CodeKeyType       = "key_type"
	CodeLoopback      = "loopback"
	CodeTelegramToken = "telegram_token"
	CodeChannel       = "channel"
	CodeTooMany       = "too_many" // Arg: the limit
	CodeKeyName       = "key_name"
)

// english are the codes' texts for the API and logs.
func english(code, arg string) string {
	switch code {
	case CodeRequired:
		return "required"
	case CodeTooLong:
		return "at most " + arg + " bytes"
	case CodeTooShort:
		return "at least " + arg + " characters"
	case CodeOneLine:
		return "one line"
	case CodeEmail:
		return "an email address, such as support@example.nl"
	case CodeURL:
		return "an http or https URL"
	case CodeHost:
		return "a host name or IP address, without port"
	case CodePort:
		return "a port number from 1 to 65535"
	case CodeNumber:
		return "a whole number from " + arg
	case CodeOption:
		return "one of " + arg
	case CodeColour:
		return "a colour like #1f6feb"
	case CodeDomain:
		return "a domain name, such as example.nl"
	case CodeSelector:
		return "letters, digits and hyphens, such as balie2025"
	case CodeKeyPEM:
		return "a PEM private key (PKCS #8 or PKCS #1)"
	case CodeKeyWeak:
		return "an RSA key needs at least 1024 bits (2048 recommended)"
	case CodeKeyType:
		return "the key must be RSA or Ed25519"
	case CodeLoopback:
		return "without TLS only to a server on this machine"
	case CodeTelegramToken:
		return "letters, digits, _ and -"
	case CodeChannel:
		return "one of " + channelList()
	case CodeTooMany:
		return "at most " + arg + " settings"
	case CodeKeyName:
		return "setting names are lower-case letters, digits, _, . and -, at most 64"
	}
	return code
}

func channelList() string {
	var s []string
	for _, c := range Channels() {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}

// Problem is one field's problem.
type Problem struct {
	Field string // the setting's key, or "name", "channel", "settings"
	Code  string
	Arg   string
}

// Reason is the problem in English.
func (p Problem) Reason() string { return english(p.Code, p.Arg) }

// Errors are every problem Validate found. It matches desk.ErrInvalid, and
// errors.As finds a *desk.ValidationError for its first problem, so a
// caller that reports one field (the API's problem+json) needs nothing
// more.
type Errors []Problem

func (e Errors) Error() string {
	var b strings.Builder
	b.WriteString("inboxcfg: ")
	for i, p := range e {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field + ": " + p.Reason())
	}
	return b.String()
}

// Unwrap returns each problem as a *desk.ValidationError.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, p := range e {
		out[i] = desk.Invalid(p.Field, p.Reason())
	}
	return out
}

// Of returns the problem of field, if any.
func (e Errors) Of(field string) (Problem, bool) {
	for _, p := range e {
		if p.Field == field {
			return p, true
		}
	}
	return Problem{}, false
}
