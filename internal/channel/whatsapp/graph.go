package whatsapp

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

// Graph API error codes balie reacts to.
const (
	codeReengagement = 131047 // more than 24 hours since the customer's last message
)

// temporaryCodes are Graph API error codes worth retrying even when the
// status is 400: rate limits and "service unavailable".
var temporaryCodes = map[int]bool{
	4:      true, // application request limit
	80007:  true, // WhatsApp Business Account rate limit
	130429: true, // throughput rate limit
	131016: true, // service unavailable
	131048: true, // spam rate limit
	131056: true, // pair rate limit: too many messages to this number
	133004: true, // server temporarily unavailable
}

// apiError is a failed Graph API call.
type apiError struct {
	Status  int
	Code    int
	Message string
	Details string
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph api: HTTP %d", e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, ", code %d", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Details != "" && e.Details != e.Message {
		b.WriteString(" (" + e.Details + ")")
	}
	return b.String()
}

// Is makes rate limits and server errors match desk.ErrTemporary.
func (e *apiError) Is(target error) bool {
	if target != desk.ErrTemporary {
		return false
	}
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || temporaryCodes[e.Code]
}

// graphError is the body of a failed Graph API call.
type graphError struct {
	Error struct {
		Message   string `json:"message"`
		Code      int    `json:"code"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"error"`
}

// do sends req with the inbox's token and decodes a 2xx JSON answer into
// into (when not nil).
func (c *Channel) do(req *http.Request, token string, into any) error {
	return c.exchange(req, token, maxAPIResponse, func(body []byte) error {
		if into == nil {
			return nil
		}
		if err := json.Unmarshal(body, into); err != nil {
			return fmt.Errorf("decode answer: %w", err)
		}
		return nil
	})
}

// exchange sends req with the token and hands a 2xx answer's body (at
// most limit bytes) to fn. Transport errors are temporary, except
// addresses the client refuses to reach; an error status is an *apiError.
func (c *Channel) exchange(req *http.Request, token string, limit int64, fn func([]byte) error) error {
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.d.Client.Do(req)
	if safehttp.Refused(err) {
		return scrub(err, token)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", scrub(err, token), desk.ErrTemporary)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse))
		e := &apiError{Status: resp.StatusCode}
		var ge graphError
		if json.Unmarshal(body, &ge) == nil {
			e.Code, e.Message, e.Details = ge.Error.Code, ge.Error.Message, ge.Error.ErrorData.Details
		}
		if token != "" {
			e.Message = strings.ReplaceAll(e.Message, token, "[token]")
			e.Details = strings.ReplaceAll(e.Details, token, "[token]")
		}
		return e
	}
	body, err := readLimited(resp.Body, limit)
	if errors.Is(err, desk.ErrTooLarge) {
		return err
	}
	if err != nil {
		return fmt.Errorf("read answer: %v: %w", err, desk.ErrTemporary)
	}
	return fn(body)
}

// scrub removes the token from an error's text, should a URL or a
// transport message ever carry it.
func scrub(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "[token]"))
}

// apiBase is the inbox's Graph API root without a trailing slash.
func apiBase(in desk.Inbox) string {
	b := strings.TrimRight(strings.TrimSpace(in.Settings[SettingAPIBase]), "/")
	if b == "" {
		return DefaultAPIBase
	}
	return b
}
