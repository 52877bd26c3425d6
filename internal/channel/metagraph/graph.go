package metagraph

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/safehttp"
)

// Graph API error codes every Meta product answers with.
const (
	CodePermission   = 10  // the token lacks a permission (also 200-299)
	CodeTokenInvalid = 190 // the access token is invalid, expired or revoked
)

// APIError is a failed Graph API call: its HTTP status and what Meta's
// error body says.
type APIError struct {
	Status  int
	Code    int
	Subcode int
	Message string
	Details string // error_data.details, WhatsApp's explanation
	// temporary is set when the channel counts Code among the codes worth
	// a retry even with a 4xx status.
	temporary bool
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph api: HTTP %d", e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, ", code %d", e.Code)
	}
	if e.Subcode != 0 {
		fmt.Fprintf(&b, "/%d", e.Subcode)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Details != "" && e.Details != e.Message {
		b.WriteString(" (" + e.Details + ")")
	}
	return b.String()
}

// Is makes rate limits, server errors and the channel's temporary codes
// match desk.ErrTemporary.
func (e *APIError) Is(target error) bool {
	if target != desk.ErrTemporary {
		return false
	}
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.temporary
}

// PermissionDenied reports whether the token lacks a permission for the
// call.
func (e *APIError) PermissionDenied() bool {
	return e.Code == CodePermission || (e.Code >= 200 && e.Code <= 299)
}

// errorBody is the body of a failed Graph API call. error_data is an
// object on WhatsApp and may be a JSON string elsewhere, so it is decoded
// on its own: a shape balie does not expect must not cost the code.
type errorBody struct {
	Error struct {
		Message   string          `json:"message"`
		Code      int             `json:"code"`
		Subcode   int             `json:"error_subcode"`
		ErrorData json.RawMessage `json:"error_data"`
	} `json:"error"`
}

// Client makes Graph API calls with a bearer token.
type Client struct {
	// HTTP does the calls; it should have a timeout.
	HTTP *http.Client
	// Temporary are the error codes worth retrying even when the status is
	// 400 (rate limits, "try again later"); they differ per product.
	// Never written after the client is made.
	Temporary map[int]bool
}

// Do sends req with the token and decodes a 2xx JSON answer of at most
// MaxAPIResponse bytes into into (when not nil).
func (c Client) Do(req *http.Request, token string, into any) error {
	body, err := c.Fetch(req, token, MaxAPIResponse)
	if err != nil || into == nil {
		return err
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}

// Fetch sends req, with the token as a bearer token when not empty, and
// returns a 2xx answer's body of at most limit bytes (desk.ErrTooLarge
// beyond). Transport errors are temporary, except addresses the client
// refuses to reach; an error status is an *APIError. The token goes in a
// header, never the URL, so that no error text carries it; scrub makes
// sure.
func (c Client) Fetch(req *http.Request, token string, limit int64) ([]byte, error) {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.HTTP.Do(req)
	if safehttp.Refused(err) {
		return nil, scrub(err, token)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", scrub(err, token), desk.ErrTemporary)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxAPIResponse))
		return nil, c.apiError(resp.StatusCode, body, token)
	}
	body, err := ReadLimited(resp.Body, limit)
	if errors.Is(err, desk.ErrTooLarge) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read answer: %v: %w", scrub(err, token), desk.ErrTemporary)
	}
	return body, nil
}

// apiError reads a failed call's body; a body that is not Meta's error
// JSON leaves only the status.
func (c Client) apiError(status int, body []byte, token string) *APIError {
	e := &APIError{Status: status}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Code, e.Subcode, e.Message = eb.Error.Code, eb.Error.Subcode, eb.Error.Message
		var data struct {
			Details string `json:"details"`
		}
		if json.Unmarshal(eb.Error.ErrorData, &data) == nil {
			e.Details = data.Details
		}
	}
	if token != "" {
		e.Message = strings.ReplaceAll(e.Message, token, "[token]")
		e.Details = strings.ReplaceAll(e.Details, token, "[token]")
	}
	e.temporary = c.Temporary[e.Code]
	return e
}

// scrub removes the token from an error's text, should a URL or a
// transport message ever carry it.
func scrub(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "[token]"))
}

// APIBase is the inbox's Graph API root without a trailing slash.
func APIBase(in desk.Inbox) string {
	b := strings.TrimRight(strings.TrimSpace(in.Settings[SettingAPIBase]), "/")
	if b == "" {
		return DefaultAPIBase
	}
	return b
}
