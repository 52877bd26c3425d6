package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/safehttp"
)

// Graph API error codes balie reacts to.
const (
	codeOutsideWindow = 10 // permission error; with the subcodes below, the window has closed
)

// outsideWindowSubcodes say "This message is sent outside of allowed
// window" (Messenger and Instagram).
var outsideWindowSubcodes = map[int]bool{2018278: true, 2534022: true}

// temporaryCodes are Graph API error codes worth retrying even when the
// status is 400: rate limits and Meta's "try again later".
var temporaryCodes = map[int]bool{
	2:    true, // unexpected error, retry later
	4:    true, // application request limit
	17:   true, // user request limit
	32:   true, // page request limit
	613:  true, // calls exceeded the rate limit
	1200: true, // temporary send message failure
}

// apiError is a failed Graph API call.
type apiError struct {
	Status  int
	Code    int
	Subcode int
	Message string
}

func (e *apiError) Error() string {
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
	return b.String()
}

// Is makes rate limits and server errors match desk.ErrTemporary.
func (e *apiError) Is(target error) bool {
	if target != desk.ErrTemporary {
		return false
	}
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || temporaryCodes[e.Code]
}

// outsideWindow reports whether Meta refused a message because the
// messaging window has closed.
func (e *apiError) outsideWindow() bool {
	return e.Code == codeOutsideWindow && (outsideWindowSubcodes[e.Subcode] ||
		strings.Contains(strings.ToLower(e.Message), "outside of allowed window"))
}

// graphError is the body of a failed Graph API call.
type graphError struct {
	Error struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
		Subcode int    `json:"error_subcode"`
	} `json:"error"`
}

// do sends req with the token and decodes a 2xx JSON answer into into
// (when not nil).
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

// exchange sends req, with the token as a bearer token when not empty, and
// hands a 2xx answer's body (at most limit bytes) to fn. Transport errors
// are temporary, except addresses the client refuses to reach; an error
// status is an *apiError. The token goes in a header, never the URL, so
// that no error text carries it; scrub makes sure.
func (c *Channel) exchange(req *http.Request, token string, limit int64, fn func([]byte) error) error {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
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
			e.Code, e.Subcode, e.Message = ge.Error.Code, ge.Error.Subcode, ge.Error.Message
		}
		if token != "" {
			e.Message = strings.ReplaceAll(e.Message, token, "[token]")
		}
		return e
	}
	body, err := readLimited(resp.Body, limit)
	if errors.Is(err, desk.ErrTooLarge) {
		return err
	}
	if err != nil {
		return fmt.Errorf("read answer: %v: %w", scrub(err, token), desk.ErrTemporary)
	}
	return fn(body)
}

// scrub removes the token from an error's text.
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

// nameTimeout bounds the name look-up: a name is nice to have, the
// message is not held up for it.
const nameTimeout = 5 * time.Second

// profileName asks the Graph API for a sender's name; "" when it cannot
// be had (no token, no permission, a network error).
func (c *Channel) profileName(ctx context.Context, in desk.Inbox, id string) string {
	token := in.Settings[SettingAccessToken]
	if token == "" || id == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, nameTimeout)
	defer cancel()
	u := apiBase(in) + "/" + url.PathEscape(id) + "?fields=" + url.QueryEscape(c.nameFields)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return ""
	}
	var p struct {
		Name      string `json:"name"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Username  string `json:"username"`
	}
	if err := c.do(req, token, &p); err != nil {
		c.d.Log.Info(c.name+": sender's name not available", "inbox", in.ID, "err", err)
		return ""
	}
	name := firstNonEmpty(p.Name, joinNonEmpty(" ", p.FirstName, p.LastName))
	if name == "" && p.Username != "" {
		name = "@" + strings.TrimPrefix(p.Username, "@")
	}
	return strings.TrimSpace(name)
}
