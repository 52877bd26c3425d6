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

// CheckConnection is the admin's "test connection": it asks the Graph API
// who the inbox's access token belongs to (GET /me), sending nothing to
// anyone, and returns the Page's or account's name and id. A setting the
// admin must fix comes back as a *desk.ValidationError naming it; Meta
// being down or slow wraps desk.ErrTemporary.
func (c *Channel) CheckConnection(ctx context.Context, in desk.Inbox) (string, error) {
	token := in.Settings[SettingAccessToken]
	if token == "" {
		return "", fmt.Errorf("%s: check: %w", c.name, desk.Invalid(SettingAccessToken, "no Page access token is set"))
	}
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metagraph.APIBase(in)+"/me?fields=id,name", nil)
	if err != nil {
		return "", fmt.Errorf("%s: check: %w", c.name, desk.Invalid(SettingAPIBase, "not a valid URL"))
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
		return "", fmt.Errorf("%s: check: %w", c.name, desk.Invalid(SettingPageID, fmt.Sprintf(
			"the access token belongs to the Page '%s' (%s), not to Page %s: use that Page's token or correct the ID", me.Name, me.ID, pid)))
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
	if !ok {
		if errors.Is(err, desk.ErrTemporary) {
			return fmt.Errorf("cannot reach %s: %w", provider, err)
		}
		return err
	}
	detail := ""
	if ae.Message != "" {
		detail = " (Meta: " + ae.Message + ")"
	}
	switch {
	case ae.Code == metagraph.CodeTokenInvalid || ae.Code == codeSession || ae.Status == http.StatusUnauthorized:
		return desk.Invalid(SettingAccessToken, "the Page access token is invalid or has expired: make a new one in the app's Messenger settings"+detail)
	case ae.PermissionDenied():
		return desk.Invalid(SettingAccessToken, "the Page access token lacks a permission (pages_messaging, or instagram_manage_messages for Instagram)"+detail)
	case errors.Is(ae, desk.ErrTemporary):
		return fmt.Errorf("no answer from %s, try again later: %w", provider, ae)
	case ae.Status == http.StatusBadRequest:
		// Anything else /me refuses is about the token: a user or app
		// token where a Page token belongs, a token of another app.
		return desk.Invalid(SettingAccessToken, "Meta refused the token: use a Page access token"+detail)
	}
	return ae
}
