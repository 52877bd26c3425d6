package desk

import "errors"

// CheckCode names the kind of failure of an inbox's "test connection",
// so that the admin pages can say it in the admin's language while the
// adapter's English detail (with the provider's own words) stays beside
// it. The values are stable: they appear in the API and in locale keys
// (inbox.test_code.<code>).
type CheckCode string

const (
	CheckBadToken       CheckCode = "bad_token"       // the token or secret is refused
	CheckUnknownID      CheckCode = "unknown_id"      // phone number, Page or account id not found, or not this token's
	CheckUnreachable    CheckCode = "unreachable"     // network, DNS, timeout, the provider down
	CheckRateLimited    CheckCode = "rate_limited"    // the provider asks to slow down
	CheckPermission     CheckCode = "permission"      // the token lacks a permission
	CheckAuthFailed     CheckCode = "auth_failed"     // an SMTP or IMAP login refused
	CheckTLS            CheckCode = "tls"             // certificate or TLS mode
	CheckMailbox        CheckCode = "mailbox"         // the IMAP folder is missing
	CheckWebhook        CheckCode = "webhook"         // the provider posts elsewhere, or cannot reach balie
	CheckInvalidSetting CheckCode = "invalid_setting" // a setting is empty or malformed
	CheckOther          CheckCode = "other"
)

// CheckError is why an inbox's connection test failed. Setting is the
// inbox setting the admin should fix ("" when none is to blame, as when
// the provider is down); Detail is the adapter's English explanation,
// with what the provider said; Err is the cause, for errors.Is and
// errors.As (desk.ErrTemporary, the provider's error type). A CheckError
// naming a setting matches ErrInvalid, like a ValidationError.
type CheckError struct {
	Code    CheckCode
	Setting string
	Detail  string
	Err     error
}

// Error is the detail after the setting's name. The cause's words are
// not repeated: the adapter puts them in Detail where they help.
func (e *CheckError) Error() string {
	if e.Setting == "" {
		return e.Detail
	}
	return "invalid " + e.Setting + ": " + e.Detail
}

func (e *CheckError) Unwrap() error { return e.Err }

func (e *CheckError) Is(target error) bool { return target == ErrInvalid && e.Setting != "" }

// CheckErrorOf is err as a *CheckError, for the pages that show a test's
// outcome: a CheckError found in err's chain as it is, a ValidationError
// as CheckInvalidSetting on its field, a temporary failure as
// CheckUnreachable, anything else as CheckOther with err's text.
func CheckErrorOf(err error) *CheckError {
	if ce, ok := errors.AsType[*CheckError](err); ok {
		return ce
	}
	if ve, ok := errors.AsType[*ValidationError](err); ok {
		return &CheckError{Code: CheckInvalidSetting, Setting: ve.Field, Detail: ve.Reason, Err: err}
	}
	if errors.Is(err, ErrTemporary) {
		return &CheckError{Code: CheckUnreachable, Detail: err.Error(), Err: err}
	}
	return &CheckError{Code: CheckOther, Detail: err.Error(), Err: err}
}
