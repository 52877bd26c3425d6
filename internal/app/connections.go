package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/balie-dev/balie/internal/channel/email/imap"
	"github.com/balie-dev/balie/internal/channel/email/outbound"
	"github.com/balie-dev/balie/internal/channel/meta"
	"github.com/balie-dev/balie/internal/channel/telegram"
	"github.com/balie-dev/balie/internal/channel/whatsapp"
	"github.com/balie-dev/balie/internal/desk"
)

// connectionCheck tests one channel's settings with its provider; see
// web.Connections.
type connectionCheck func(ctx context.Context, in desk.Inbox, hookURL string) (string, error)

// connections is the inbox page's and the API's "test connection": each
// channel kind that talks to a provider maps to its adapter's check. It
// implements web.Connections and api.Connections.
type connections map[desk.ChannelKind]connectionCheck

func (c connections) CanTest(kind desk.ChannelKind) bool { return c[kind] != nil }

func (c connections) TestConnection(ctx context.Context, in desk.Inbox, hookURL string) (string, error) {
	check := c[in.Channel]
	if check == nil {
		return "", fmt.Errorf("app: test connection: %w", desk.Invalid("channel", "a "+string(in.Channel)+" inbox has no connection test"))
	}
	return check(ctx, in, hookURL)
}

// newConnections maps the channels to their checks.
func newConnections(wa *whatsapp.Channel, fb, ig *meta.Channel, tg *telegram.Channel, smtpOut *outbound.Channel, mailbox *imap.Poller) connections {
	noHook := func(check func(context.Context, desk.Inbox) (string, error)) connectionCheck {
		return func(ctx context.Context, in desk.Inbox, _ string) (string, error) { return check(ctx, in) }
	}
	return connections{
		desk.ChannelWhatsApp:  noHook(wa.CheckConnection),
		desk.ChannelMessenger: noHook(fb.CheckConnection),
		desk.ChannelInstagram: noHook(ig.CheckConnection),
		desk.ChannelTelegram:  tg.CheckConnection,
		desk.ChannelEmail: func(ctx context.Context, in desk.Inbox, _ string) (string, error) {
			// Replies leave by SMTP, always; mail comes in by balie's own
			// SMTP server (nothing to test from here) or from a mailbox
			// over IMAP.
			sent, err := smtpOut.CheckConnection(ctx, in)
			if err != nil {
				return "", err
			}
			parts := []string{"SMTP " + sent}
			if imap.Configured(in) {
				read, err := mailbox.CheckConnection(ctx, in)
				if err != nil {
					return "", err
				}
				parts = append(parts, "IMAP "+read)
			}
			return strings.Join(parts, "; "), nil
		},
	}
}
