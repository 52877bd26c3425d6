package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	codeInvalidParameter = 100 // e.g. an object id that does not exist or the token may not see
)

// CheckConnection is the admin's "test connection": it reads the inbox's
// phone number from the Graph API with its access token, sending nothing
// to anyone, and returns the number and its verified name
// ("+31 6 1234 5678, 'De Spaak'"). A setting the admin must fix comes back
// as a *desk.ValidationError naming it; WhatsApp being down or slow wraps
// desk.ErrTemporary.
func (c *Channel) CheckConnection(ctx context.Context, in desk.Inbox) (string, error) {
	pnid := strings.TrimSpace(in.Settings[SettingPhoneNumberID])
	if pnid == "" {
		return "", fmt.Errorf("whatsapp: check: %w", desk.Invalid(SettingPhoneNumberID, "no phone number ID is set"))
	}
	token := in.Settings[SettingAccessToken]
	if token == "" {
		return "", fmt.Errorf("whatsapp: check: %w", desk.Invalid(SettingAccessToken, "no access token is set"))
	}
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	u := metagraph.APIBase(in) + "/" + url.PathEscape(pnid) + "?fields=display_phone_number,verified_name"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("whatsapp: check: %w", desk.Invalid(SettingAPIBase, "not a valid URL"))
	}
	var number struct {
		ID                 string `json:"id"`
		DisplayPhoneNumber string `json:"display_phone_number"`
		VerifiedName       string `json:"verified_name"`
	}
	if err := c.graph.Do(req, token, &number); err != nil {
		return "", fmt.Errorf("whatsapp: check: %w", explain(err))
	}
	if number.DisplayPhoneNumber == "" {
		// Some other object answered to the id (a business account, an
		// app): it is not a phone number.
		return "", fmt.Errorf("whatsapp: check: %w", desk.Invalid(SettingPhoneNumberID,
			"this ID is not a WhatsApp business phone number: copy the Phone number ID from WhatsApp → API Setup"))
	}
	s := number.DisplayPhoneNumber
	if number.VerifiedName != "" {
		s += ", '" + number.VerifiedName + "'"
	}
	return s, nil
}

// explain turns a failed Graph API call into what the admin should do.
func explain(err error) error {
	ae, ok := errors.AsType[*metagraph.APIError](err)
	if !ok {
		if errors.Is(err, desk.ErrTemporary) {
			return fmt.Errorf("cannot reach WhatsApp: %w", err)
		}
		return err
	}
	detail := ""
	if ae.Message != "" {
		detail = " (WhatsApp: " + ae.Message + ")"
	}
	switch {
	case ae.Code == metagraph.CodeTokenInvalid || ae.Status == http.StatusUnauthorized:
		return desk.Invalid(SettingAccessToken, "the access token is invalid or has expired: make a new permanent system-user token"+detail)
	case ae.PermissionDenied():
		return desk.Invalid(SettingAccessToken, "the access token may not read this phone number: give its system user the WhatsApp account with whatsapp_business_management"+detail)
	case ae.Code == codeInvalidParameter || ae.Status == http.StatusNotFound:
		return desk.Invalid(SettingPhoneNumberID, "WhatsApp knows no phone number with this ID that the token may see: copy the Phone number ID from WhatsApp → API Setup"+detail)
	case errors.Is(ae, desk.ErrTemporary):
		return fmt.Errorf("no answer from WhatsApp, try again later: %w", ae)
	}
	return ae
}
