package meta

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/desk"
)

// CheckTimeout bounds the admin's connection test: they are waiting for
// the page.
const CheckTimeout = 10 * time.Second

// Graph API error codes the connection test explains.
const (
	codeSession = 102 // the session behind the token has ended
)

// rateLimitCodes are the Graph API's "slow down" codes: application,
// user, Page and Messenger/Instagram limits.
var rateLimitCodes = map[int]bool{4: true, 17: true, 32: true, 613: true, 80001: true, 80002: true, 80006: true}

// CheckConnection is the admin's "test connection": it asks the Graph API
// who the inbox's access token belongs to (GET /me), sending nothing to
// anyone, and returns the Page's or account's name and id. A failure
// comes back as a *desk.CheckError: its code says what kind (bad_token,
// unknown_id, permission, rate_limited, unreachable...), its setting what
// to fix; Meta being down or slow also wraps desk.ErrTemporary.
func (c *Channel) CheckConnection(ctx context.Context, in desk.Inbox) (string, error) {
	token := in.Settings[SettingAccessToken]
	if token == "" {
		return "", fmt.Errorf("%s: check: %w", c.name, &desk.CheckError{Code: desk.CheckInvalidSetting, Setting: SettingAccessToken, Detail: "no Page access token is set"})
	}
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metagraph.APIBase(in)+"/me?fields=id,name", nil)
	if err != nil {
		return "", fmt.Errorf("%s: check: %w", c.name, &desk.CheckError{Code: desk.CheckInvalidSetting, Setting: SettingAPIBase, Detail: "not a valid URL"})
	}
	var me struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := c.graph.Do(req, token, &me); err != nil {
		return "", fmt.Errorf("%s: check: %w", c.name, c.explain(err))
	}
	// A Messenger webhook names the Page: a token of another Page would
	// send from the wrong one. (An Instagram inbox's page_id is the
	// Instagram account's id, which /me of a Page token does not show.)
	if pid := strings.TrimSpace(in.Settings[SettingPageID]); c.kind == desk.ChannelMessenger && pid != "" && me.ID != "" && pid != me.ID {
		return "", fmt.Errorf("%s: check: %w", c.name, &desk.CheckError{Code: desk.CheckUnknownID, Setting: SettingPageID, Detail: fmt.Sprintf(
			"the access token belongs to the Page '%s' (%s), not to Page %s: use that Page's token or correct the ID", me.Name, me.ID, pid)})
	}
	switch {
	case me.Name != "" && me.ID != "":
		return fmt.Sprintf("'%s' (%s)", me.Name, me.ID), nil
	case me.Name != "":
		return "'" + me.Name + "'", nil
	}
	return me.ID, nil
}

// explain turns a failed Graph API call into what the admin should do.
func (c *Channel) explain(err error) error {
	provider := "Messenger"
	if c.kind == desk.ChannelInstagram {
		provider = "Instagram"
	}
	ae, ok := errors.AsType[*metagraph.APIError](err)
	switch {
	case !ok && errors.Is(err, desk.ErrTemporary):
		// No answer from Meta: the network, DNS, TLS or the deadline.
		return &desk.CheckError{Code: desk.CheckUnreachable, Detail: "cannot reach " + provider + ": " + err.Error(), Err: err}
	case !ok:
		return &desk.CheckError{Code: desk.CheckOther, Detail: err.Error(), Err: err}
	}
	detail := ""
	if ae.Message != "" {
		detail = " (Meta: " + ae.Message + ")"
	}
	fail := func(code desk.CheckCode, setting, text string) error {
		return &desk.CheckError{Code: code, Setting: setting, Detail: text + detail, Err: ae}
	}
	switch {
	case ae.Code == metagraph.CodeTokenInvalid || ae.Code == codeSession || ae.Status == http.StatusUnauthorized:
		return fail(desk.CheckBadToken, SettingAccessToken, "the Page access token is invalid or has expired: make a new one in the app's Messenger settings")
	case ae.PermissionDenied():
		return fail(desk.CheckPermission, SettingAccessToken, "the Page access token lacks a permission (pages_messaging, or instagram_manage_messages for Instagram)")
	case ae.Status == http.StatusTooManyRequests || rateLimitCodes[ae.Code]:
		return fail(desk.CheckRateLimited, "", provider+" asks to slow down, try again in a few minutes")
	case errors.Is(ae, desk.ErrTemporary):
		return &desk.CheckError{Code: desk.CheckUnreachable, Detail: "no answer from " + provider + ", try again later: " + ae.Error(), Err: ae}
	case ae.Status == http.StatusBadRequest:
		// Anything else /me refuses is about the token: a user or app
		// token where a Page token belongs, a token of another app.
		return fail(desk.CheckBadToken, SettingAccessToken, "Meta refused the token: use a Page access token")
	}
	return &desk.CheckError{Code: desk.CheckOther, Detail: ae.Error(), Err: ae}
}
