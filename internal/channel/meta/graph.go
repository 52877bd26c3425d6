package meta

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/desk"
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

// outsideWindow reports whether Meta refused a message because the
// messaging window has closed.
func outsideWindow(e *metagraph.APIError) bool {
	return e.Code == codeOutsideWindow && (outsideWindowSubcodes[e.Subcode] ||
		strings.Contains(strings.ToLower(e.Message), "outside of allowed window"))
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
	u := metagraph.APIBase(in) + "/" + url.PathEscape(id) + "?fields=" + url.QueryEscape(c.nameFields)
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
	if err := c.graph.Do(req, token, &p); err != nil {
		c.d.Log.Info(c.name+": sender's name not available", "inbox", in.ID, "err", err)
		return ""
	}
	name := firstNonEmpty(p.Name, joinNonEmpty(" ", p.FirstName, p.LastName))
	if name == "" && p.Username != "" {
		name = "@" + strings.TrimPrefix(p.Username, "@")
	}
	return strings.TrimSpace(name)
}
