package inboxcfg

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/channel/email/imap"
	"github.com/balie-dev/balie/internal/channel/email/outbound"
	"github.com/balie-dev/balie/internal/channel/meta"
	"github.com/balie-dev/balie/internal/channel/telegram"
	"github.com/balie-dev/balie/internal/channel/whatsapp"
	"github.com/balie-dev/balie/internal/desk"
)

// The fields are the keys the adapters read: a renamed constant there
// must not leave a form field nobody reads.
func TestFieldsAreTheAdaptersKeys(t *testing.T) {
	want := map[desk.ChannelKind][]string{
		desk.ChannelEmail: {outbound.SettingAddress, outbound.SettingFromName, outbound.SettingReplySecret,
			outbound.SettingSMTPHost, outbound.SettingSMTPPort, outbound.SettingSMTPTLS, outbound.SettingSMTPUsername,
			outbound.SettingSMTPPassword, outbound.SettingDKIMDomain, outbound.SettingDKIMSelector, outbound.SettingDKIMKey,
			imap.SettingHost, imap.SettingPort, imap.SettingTLS, imap.SettingUsername, imap.SettingPassword,
			imap.SettingMailbox, imap.SettingInterval},
		desk.ChannelWhatsApp: {whatsapp.SettingPhoneNumberID, whatsapp.SettingAccessToken, whatsapp.SettingAppSecret,
			whatsapp.SettingVerifyToken, whatsapp.SettingTemplateName, whatsapp.SettingTemplateLang,
			whatsapp.SettingTemplateTextParam},
		desk.ChannelMessenger: {meta.SettingPageID, meta.SettingAccessToken, meta.SettingAppSecret, meta.SettingVerifyToken},
		desk.ChannelInstagram: {meta.SettingPageID, meta.SettingAccessToken, meta.SettingAppSecret, meta.SettingVerifyToken},
		desk.ChannelTelegram:  {telegram.SettingBotToken, telegram.SettingSecretToken},
	}
	for ch, keys := range want {
		var got []string
		for _, f := range Fields(ch) {
			got = append(got, f.Key)
		}
		if strings.Join(got, ",") != strings.Join(keys, ",") {
			t.Errorf("%s fields = %v, want %v", ch, got, keys)
		}
	}
	for _, opt := range []string{outbound.TLSStartTLS, outbound.TLSImplicit, outbound.TLSNone} {
		if f, _ := FieldOf(desk.ChannelEmail, "smtp_tls"); !contains(f.Options, opt) {
			t.Errorf("smtp_tls lacks the option %q", opt)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestSecret(t *testing.T) {
	tests := []struct {
		ch   desk.ChannelKind
		key  string
		want bool
	}{
		{desk.ChannelEmail, "dkim_private_key", true},
		{desk.ChannelEmail, "smtp_password", true},
		{desk.ChannelEmail, "smtp_username", false},
		{desk.ChannelWhatsApp, "verify_token", false}, // entered at Meta: shown to copy
		{desk.ChannelTelegram, "secret_token", true},
		{desk.ChannelAPI, "webhook_secret", true},
		{desk.ChannelWebChat, "some_api_key", true}, // unknown: by its name
		{desk.ChannelWebChat, "greeting", false},
	}
	for _, tc := range tests {
		t.Run(string(tc.ch)+"/"+tc.key, func(t *testing.T) {
			if got := Secret(tc.ch, tc.key); got != tc.want {
				t.Errorf("Secret = %v, want %v", got, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestApply(t *testing.T) {
	stored := map[string]string{"address": "support@example.nl", "reply_secret": "0123456789abcdefXYZ",
		"smtp_host": "smtp.example.nl", "smtp_password": "old-password", "smtp_username": "u", "from_name": "Support"}
	tests := []struct {
		name   string
		change Change
		want   map[string]string // settings that must hold; "" must be absent
	}{
		{"absent keeps", Change{"smtp_port": ptr("465")},
			map[string]string{"smtp_port": "465", "smtp_password": "old-password", "from_name": "Support"}},
		{"empty clears a plain setting", Change{"from_name": ptr("")}, map[string]string{"from_name": ""}},
		{"empty keeps a secret", Change{"smtp_password": ptr("")}, map[string]string{"smtp_password": "old-password"}},
		{"the mask keeps a secret", Change{"smtp_password": ptr(Mask)}, map[string]string{"smtp_password": "old-password"}},
		{"null clears a secret", Change{"smtp_password": nil, "smtp_username": nil},
			map[string]string{"smtp_password": "", "smtp_username": ""}},
		{"a value replaces a secret", Change{"smtp_password": ptr(" new ")}, map[string]string{"smtp_password": "new"}},
		{"hosts lower case", Change{"smtp_host": ptr("SMTP.Example.NL")}, map[string]string{"smtp_host": "smtp.example.nl"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &desk.Inbox{Name: "Mail", Channel: desk.ChannelEmail, Settings: maps.Clone(stored)}
			if err := Apply(in, tc.change); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			for k, want := range tc.want {
				got, ok := in.Settings[k]
				if want == "" && ok {
					t.Errorf("%s = %q, want it removed", k, got)
				} else if want != "" && got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestApplyGenerates(t *testing.T) {
	tests := []struct {
		ch   desk.ChannelKind
		set  Change
		keys []string
	}{
		{desk.ChannelTelegram, Change{"bot_token": ptr("1:a")}, []string{"secret_token"}},
		{desk.ChannelWhatsApp, Change{"phone_number_id": ptr("1")}, []string{"verify_token"}},
		{desk.ChannelEmail, Change{"address": ptr("a@example.nl")}, []string{"reply_secret"}},
		{desk.ChannelAPI, Change{"webhook_url": ptr("https://example.nl/hook")}, []string{"webhook_secret"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.ch), func(t *testing.T) {
			in := &desk.Inbox{Name: "X", Channel: tc.ch}
			if err := Apply(in, tc.set); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			for _, k := range tc.keys {
				if len(in.Settings[k]) < 16 {
					t.Errorf("%s = %q, want a generated value", k, in.Settings[k])
				}
			}
		})
	}
}

func testKey(t *testing.T, bits int) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func TestValidate(t *testing.T) {
	edKey, err := outbound.GenerateKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := testKey(t, 1024)
	base := map[desk.ChannelKind]map[string]string{
		desk.ChannelEmail:    {"address": "support@example.nl", "reply_secret": "0123456789abcdefXYZ"},
		desk.ChannelAPI:      {"webhook_url": "https://example.nl/hook", "webhook_secret": "0123456789abcdefXYZ"},
		desk.ChannelWhatsApp: {"phone_number_id": "1122"},
		desk.ChannelTelegram: {},
		desk.ChannelWebChat:  {},
	}
	tests := []struct {
		name      string
		ch        desk.ChannelKind
		set       map[string]string
		wantField []string // the problems' fields, in order; nil: valid
	}{
		{"email complete", desk.ChannelEmail, map[string]string{"smtp_host": "smtp.example.nl", "smtp_port": "587",
			"smtp_tls": "starttls", "smtp_username": "u", "smtp_password": "p", "dkim_domain": "example.nl",
			"dkim_selector": "balie2025", "dkim_private_key": edKey, "imap_host": "imap.example.nl", "imap_port": "993",
			"imap_tls": "tls", "imap_password": "p", "imap_interval": "60"}, nil},
		{"PKCS #1 RSA key", desk.ChannelEmail, map[string]string{"dkim_selector": "s1", "dkim_private_key": rsaKey}, nil},
		{"smtp on loopback without TLS", desk.ChannelEmail, map[string]string{"smtp_host": "127.0.0.1", "smtp_tls": "none"}, nil},
		{"address missing", desk.ChannelEmail, map[string]string{"address": ""}, []string{"address"}},
		{"bad address", desk.ChannelEmail, map[string]string{"address": "support at example"}, []string{"address"}},
		{"every smtp field wrong", desk.ChannelEmail, map[string]string{"smtp_host": "smtp.example.nl:587", "smtp_port": "0",
			"smtp_tls": "ssl"}, []string{"smtp_host", "smtp_port", "smtp_tls"}},
		{"no TLS to a remote server", desk.ChannelEmail, map[string]string{"smtp_host": "smtp.example.nl", "smtp_tls": "none",
			"imap_host": "imap.example.nl", "imap_tls": "none", "imap_password": "p"}, []string{"smtp_tls", "imap_tls"}},
		{"password without username", desk.ChannelEmail, map[string]string{"smtp_password": "p"}, []string{"smtp_username"}},
		{"key without selector", desk.ChannelEmail, map[string]string{"dkim_private_key": edKey}, []string{"dkim_selector"}},
		{"not a key", desk.ChannelEmail, map[string]string{"dkim_selector": "s", "dkim_private_key": "hello"}, []string{"dkim_private_key"}},
		{"a public key", desk.ChannelEmail, map[string]string{"dkim_selector": "s",
			"dkim_private_key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}, []string{"dkim_private_key"}},
		{"bad selector and domain", desk.ChannelEmail, map[string]string{"dkim_selector": "a;b", "dkim_domain": "localhost"},
			[]string{"dkim_domain", "dkim_selector"}},
		{"imap without password", desk.ChannelEmail, map[string]string{"imap_host": "imap.example.nl"}, []string{"imap_password"}},
		{"imap interval too short", desk.ChannelEmail, map[string]string{"imap_interval": "1"}, []string{"imap_interval"}},
		{"secret on two lines", desk.ChannelEmail, map[string]string{"smtp_username": "u", "smtp_password": "a\nb"}, []string{"smtp_password"}},
		{"api without url", desk.ChannelAPI, map[string]string{"webhook_url": ""}, []string{"webhook_url"}},
		{"api with a javascript url", desk.ChannelAPI, map[string]string{"webhook_url": "javascript:alert(1)"}, []string{"webhook_url"}},
		{"api short secret", desk.ChannelAPI, map[string]string{"webhook_secret": "short"}, []string{"webhook_secret"}},
		{"whatsapp without number", desk.ChannelWhatsApp, map[string]string{"phone_number_id": ""}, []string{"phone_number_id"}},
		{"whatsapp bad option", desk.ChannelWhatsApp, map[string]string{"template_text_param": "maybe"}, []string{"template_text_param"}},
		{"telegram token with spaces", desk.ChannelTelegram, map[string]string{"secret_token": "a b"}, []string{"secret_token"}},
		{"webchat colour", desk.ChannelWebChat, map[string]string{"color": "red;"}, []string{"color"}},
		{"unknown setting with a bad name", desk.ChannelWebChat, map[string]string{"Bad Key": "x"}, []string{"settings"}},
		{"unknown setting kept", desk.ChannelWhatsApp, map[string]string{"api_base": "http://127.0.0.1:1"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := maps.Clone(base[tc.ch])
			for k, v := range tc.set {
				if v == "" {
					delete(s, k)
				} else {
					s[k] = v
				}
			}
			err := Validate(&desk.Inbox{Name: "Inbox", Channel: tc.ch, Settings: s})
			var got []string
			if errs, ok := errors.AsType[Errors](err); ok {
				for _, p := range errs {
					got = append(got, p.Field)
				}
			} else if err != nil {
				t.Fatalf("err %v is not Errors", err)
			}
			if strings.Join(got, ",") != strings.Join(tc.wantField, ",") {
				t.Errorf("problems in %v, want %v (%v)", got, tc.wantField, err)
			}
		})
	}
}

func TestValidateNameAndChannel(t *testing.T) {
	tests := []struct {
		name  string
		in    desk.Inbox
		field string
	}{
		{"no name", desk.Inbox{Channel: desk.ChannelWebChat}, "name"},
		{"long name", desk.Inbox{Name: strings.Repeat("x", 101), Channel: desk.ChannelWebChat}, "name"},
		{"phone has no adapter", desk.Inbox{Name: "P", Channel: desk.ChannelPhone}, "channel"},
		{"unknown channel", desk.Inbox{Name: "P", Channel: "pigeon"}, "channel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(&tc.in)
			if !errors.Is(err, desk.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			ve, ok := errors.AsType[*desk.ValidationError](err)
			if !ok || ve.Field != tc.field {
				t.Errorf("first problem %v, want field %s", ve, tc.field)
			}
		})
	}
}

// The keys outbound generates pass.
func TestGeneratedKeysPass(t *testing.T) {
	for _, kind := range []string{"rsa", "ed25519"} {
		t.Run(kind, func(t *testing.T) {
			k, err := outbound.GenerateKey(kind)
			if err != nil {
				t.Fatal(err)
			}
			if code := keyProblem(k); code != "" {
				t.Errorf("keyProblem = %q, want none", code)
			}
		})
	}
}
