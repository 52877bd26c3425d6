package helpcenter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/desk"
)

// settingContact is the setting that holds the contact page's options.
const settingContact = "helpcenter.contact"

// ContactConfig is how customers can reach the company from the contact
// page, besides the chat widget (offered when the help center has one)
// and the theme's contact URL.
type ContactConfig struct {
	// InboxID is where the email form's messages and callback requests
	// land; both forms need one.
	InboxID   int64 `json:"inbox_id,omitempty"`
	EmailForm bool  `json:"email_form,omitempty"`
	Callback  bool  `json:"callback,omitempty"`
	// Phone is shown as written ("020 123 45 67") and dialled as its
	// digits; "" shows none.
	Phone string `json:"phone,omitempty"`
	// PhoneHours says when the phone is answered ("ma–vr 9–17 uur").
	PhoneHours string `json:"phone_hours,omitempty"`
}

// Limits of the contact settings.
const (
	maxPhoneText  = 40
	maxPhoneHours = 100
)

// ContactSettings returns the contact page's options; unset is none.
func ContactSettings(ctx context.Context, st desk.SettingStore) (ContactConfig, error) {
	var c ContactConfig
	if st == nil {
		return c, nil
	}
	v, err := st.Setting(ctx, settingContact)
	if errors.Is(err, desk.ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("helpcenter: contact settings: %w", err)
	}
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		return ContactConfig{}, fmt.Errorf("helpcenter: contact settings: stored value: %w", err)
	}
	return c, nil
}

// SetContactSettings checks and stores the contact page's options. When st
// can look up inboxes, the inbox must exist.
func SetContactSettings(ctx context.Context, st desk.SettingStore, c ContactConfig) error {
	c.Phone, c.PhoneHours = strings.TrimSpace(c.Phone), strings.TrimSpace(c.PhoneHours)
	switch {
	case c.InboxID < 0:
		return desk.Invalid("inbox_id", "not an inbox")
	case (c.EmailForm || c.Callback) && c.InboxID == 0:
		return desk.Invalid("inbox_id", "the email form and callback requests need an inbox")
	case utf8.RuneCountInString(c.Phone) > maxPhoneText:
		return desk.Invalid("phone", fmt.Sprintf("at most %d characters", maxPhoneText))
	case utf8.RuneCountInString(c.PhoneHours) > maxPhoneHours:
		return desk.Invalid("phone_hours", fmt.Sprintf("at most %d characters", maxPhoneHours))
	case !utf8.ValidString(c.Phone + c.PhoneHours):
		return desk.Invalid("phone", "not valid UTF-8")
	}
	if c.Phone != "" {
		if _, err := contact.NormalisePhone(c.Phone); err != nil {
			return err
		}
	}
	if c.InboxID != 0 {
		if inboxes, ok := st.(interface {
			InboxByID(ctx context.Context, id int64) (*desk.Inbox, error)
		}); ok {
			if _, err := inboxes.InboxByID(ctx, c.InboxID); err != nil {
				if errors.Is(err, desk.ErrNotFound) {
					return desk.Invalid("inbox_id", "no such inbox")
				}
				return fmt.Errorf("helpcenter: contact settings: %w", err)
			}
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("helpcenter: contact settings: %w", err)
	}
	if err := st.SetSetting(ctx, settingContact, string(b)); err != nil {
		return fmt.Errorf("helpcenter: contact settings: %w", err)
	}
	return nil
}
