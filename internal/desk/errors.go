package desk

import "errors"

// Sentinel errors. Store drivers translate driver errors into these; services
// wrap them with context; only the api and web packages map them to HTTP.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrInvalid      = errors.New("invalid")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
	ErrTooLarge     = errors.New("too large")
	ErrRateLimited  = errors.New("rate limited")
)

// ValidationError names the field that was wrong and why. It matches
// ErrInvalid with errors.Is.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return "invalid: " + e.Reason
	}
	return "invalid " + e.Field + ": " + e.Reason
}

func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Invalid returns a *ValidationError for field.
func Invalid(field, reason string) error { return &ValidationError{Field: field, Reason: reason} }
