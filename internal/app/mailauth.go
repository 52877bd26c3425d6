package app

import (
	"context"
	"net"
	"time"

	"github.com/balie-dev/balie/internal/channel/email/mailauth"
	"github.com/balie-dev/balie/internal/channel/email/smtpd"
)

// mailAuthTimeout bounds the DNS lookups for one mail's SPF, DKIM and
// DMARC; a slow resolver yields temperror, not a stuck delivery.
const mailAuthTimeout = 15 * time.Second

// authenticateMail checks the sender of mail that reached balie's own MX
// and returns desk.MetaEmailAuth's form: "spf=pass dkim=pass dmarc=pass;
// host". Mail from a connection without an IP address is not checked.
func authenticateMail(r mailauth.Resolver, host string) func(context.Context, smtpd.Envelope, []byte) string {
	return func(ctx context.Context, env smtpd.Envelope, data []byte) string {
		h, _, err := net.SplitHostPort(env.RemoteAddr)
		if err != nil {
			h = env.RemoteAddr
		}
		ip := net.ParseIP(h)
		if ip == nil {
			return ""
		}
		ctx, cancel := context.WithTimeout(ctx, mailAuthTimeout)
		defer cancel()
		res := mailauth.Verify(ctx, r, mailauth.Input{RemoteIP: ip, Helo: env.HeloName, MailFrom: env.From, Message: data})
		return "spf=" + res.SPF + " dkim=" + res.DKIM + " dmarc=" + res.DMARC + "; " + host
	}
}
