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

// rateLimitCodes are the Graph API's "slow down" codes among
// temporaryCodes: the admin should wait, not look for an outage.
var rateLimitCodes = map[int]bool{4: true, 80007: true, 130429: true, 131048: true, 131056: true}

// CheckConnection is the admin's "test connection": it reads the inbox's
// phone number from the Graph API with its access token, sending nothing
// to anyone, and returns the number and its verified name
// ("+31 6 1234 5678, 'De Spaak'"). A failure comes back as a
// *desk.CheckError: its code says what kind (bad_token, unknown_id,
// permission, rate_limited, unreachable...), its setting what to fix;
// WhatsApp being down or slow also wraps desk.ErrTemporary.
func (c *Channel) CheckConnection(ctx context.Context, in desk.Inbox) (string, error) {
	pnid := strings.TrimSpace(in.Settings[SettingPhoneNumberID])
	if pnid == "" {
		return "", fmt.Errorf("whatsapp: check: %w", invalidSetting(SettingPhoneNumberID, "no phone number ID is set"))
	}
	token := in.Settings[SettingAccessToken]
	if token == "" {
		return "", fmt.Errorf("whatsapp: check: %w", invalidSetting(SettingAccessToken, "no access token is set"))
	}
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	u := metagraph.APIBase(in) + "/" + url.PathEscape(pnid) + "?fields=display_phone_number,verified_name"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("whatsapp: check: %w", invalidSetting(SettingAPIBase, "not a valid URL"))
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
		return "", fmt.Errorf("whatsapp: check: %w", &desk.CheckError{Code: desk.CheckUnknownID, Setting: SettingPhoneNumberID,
			Detail: "this ID is not a WhatsApp business phone number: copy the Phone number ID from WhatsApp → API Setup"})
	}
	s := number.DisplayPhoneNumber
	if number.VerifiedName != "" {
		s += ", '" + number.VerifiedName + "'"
	}
	return s, nil
}

// invalidSetting is a setting the test cannot start without.
func invalidSetting(setting, detail string) error {
	return &desk.CheckError{Code: desk.CheckInvalidSetting, Setting: setting, Detail: detail}
}

// explain turns a failed Graph API call into what the admin should do.
func explain(err error) error {
	ae, ok := errors.AsType[*metagraph.APIError](err)
	switch {
	case !ok && errors.Is(err, desk.ErrTemporary):
		// No answer from WhatsApp: the network, DNS, TLS or the deadline.
		return &desk.CheckError{Code: desk.CheckUnreachable, Detail: "cannot reach WhatsApp: " + err.Error(), Err: err}
	case !ok:
		return &desk.CheckError{Code: desk.CheckOther, Detail: err.Error(), Err: err}
	}
	detail := ""
	if ae.Message != "" {
		detail = " (WhatsApp: " + ae.Message + ")"
	}
	fail := func(code desk.CheckCode, setting, text string) error {
		return &desk.CheckError{Code: code, Setting: setting, Detail: text + detail, Err: ae}
	}
	switch {
	case ae.Code == metagraph.CodeTokenInvalid || ae.Status == http.StatusUnauthorized:
		return fail(desk.CheckBadToken, SettingAccessToken, "the access token is invalid or has expired: make a new permanent system-user token")
	case ae.PermissionDenied():
		return fail(desk.CheckPermission, SettingAccessToken, "the access token may not read this phone number: give its system user the WhatsApp account with whatsapp_business_management")
	case ae.Code == codeInvalidParameter || ae.Status == http.StatusNotFound:
		return fail(desk.CheckUnknownID, SettingPhoneNumberID, "WhatsApp knows no phone number with this ID that the token may see: copy the Phone number ID from WhatsApp → API Setup")
	case ae.Status == http.StatusTooManyRequests || rateLimitCodes[ae.Code]:
		return fail(desk.CheckRateLimited, "", "WhatsApp asks to slow down, try again in a few minutes")
	case errors.Is(ae, desk.ErrTemporary):
		return &desk.CheckError{Code: desk.CheckUnreachable, Detail: "no answer from WhatsApp, try again later: " + ae.Error(), Err: ae}
	}
	return &desk.CheckError{Code: desk.CheckOther, Detail: ae.Error(), Err: ae}
}
