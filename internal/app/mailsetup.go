package app

import "github.com/balie-dev/balie/internal/channel/email/outbound"

// mailSetup implements web.MailSetup with the email adapter: DKIM keys and
// records, and the name of balie's own SMTP server.
type mailSetup struct {
	mx string // "" when balie runs no SMTP server
}

// newMailSetup: smtpAddr is where balie's SMTP server listens ("" for
// none), hostname the name it greets with, which MX records point at.
func newMailSetup(smtpAddr, hostname string) mailSetup {
	if smtpAddr == "" {
		return mailSetup{}
	}
	return mailSetup{mx: hostname}
}

func (mailSetup) GenerateDKIMKey(kind string) (string, error) { return outbound.GenerateKey(kind) }

func (mailSetup) DKIMRecord(pemKey string) (string, error) { return outbound.DNSRecord(pemKey) }

func (m mailSetup) MXHost() string { return m.mx }
