package smtpd

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/channel/email/mailparse"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

func TestMessageBody(t *testing.T) {
	long := strings.Repeat("é", conversation.MaxBody)
	tests := []struct {
		name    string
		msg     mailparse.Message
		stored  int
		dropped []string
		want    string
	}{
		{"reply only", mailparse.Message{Text: "Ja.\n\n> Nee?", Reply: "Ja.", Quoted: "> Nee?"}, 0, nil, "Ja."},
		{"quoted only", mailparse.Message{Text: "> Nee?", Quoted: "> Nee?"}, 0, nil, "––– eerder bericht –––\n> Nee?"},
		{"text only", mailparse.Message{Text: " Hallo "}, 0, nil, "Hallo"},
		{"subject only", mailparse.Message{Subject: "Bel me terug"}, 0, nil, "Bel me terug"},
		{"nothing", mailparse.Message{}, 0, nil, "(lege e-mail)"},
		{"attachment only", mailparse.Message{Subject: "foto"}, 1, nil, ""},
		{"dropped attachment", mailparse.Message{Reply: "Zie bijlage"}, 0, []string{"a.exe"}, "Zie bijlage\n\n[bijlage niet opgeslagen: a.exe]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := messageBody(&tt.msg, tt.stored, tt.dropped); got != tt.want {
				t.Errorf("messageBody = %q, want %q", got, tt.want)
			}
		})
	}
	got := messageBody(&mailparse.Message{Reply: long}, 0, nil)
	if len(got) > conversation.MaxBody || !utf8.ValidString(got) || !strings.HasSuffix(got, "[…]") {
		t.Errorf("long body: %d bytes, valid UTF-8 %v, ends %q; want clipped to %d with a mark", len(got), utf8.ValidString(got), got[len(got)-10:], conversation.MaxBody)
	}
}

func TestReplyAddress(t *testing.T) {
	in := testInbox()
	addr, err := ReplyAddress(in, 42)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(addr, "support+c42.") || !strings.HasSuffix(addr, "@example.nl") {
		t.Fatalf("ReplyAddress = %q", addr)
	}
	other := testInbox()
	other.ID = 8
	otherSecret := testInbox()
	otherSecret.Settings = map[string]string{SettingAddress: "support@example.nl", SettingReplySecret: "different"}
	tests := []struct {
		name   string
		in     func() (bool, int64)
		ok     bool
		convID int64
	}{
		{"valid", func() (bool, int64) { return matchInbox(in, addr) }, true, 42},
		{"upper case", func() (bool, int64) { return matchInbox(in, strings.ToUpper(addr)) }, true, 42},
		{"plain address", func() (bool, int64) { return matchInbox(in, "Support@example.NL") }, true, 0},
		{"other conversation", func() (bool, int64) { return matchInbox(in, strings.Replace(addr, "c42", "c43", 1)) }, true, 0},
		{"other inbox", func() (bool, int64) { return matchInbox(other, addr) }, true, 0},
		{"other secret", func() (bool, int64) { return matchInbox(otherSecret, addr) }, true, 0},
		{"plus tag", func() (bool, int64) { return matchInbox(in, "support+nieuwsbrief@example.nl") }, true, 0},
		{"other domain", func() (bool, int64) { return matchInbox(in, strings.Replace(addr, "example.nl", "example.com", 1)) }, false, 0},
		{"other local part", func() (bool, int64) { return matchInbox(in, "sales@example.nl") }, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, id := tt.in()
			if ok != tt.ok || id != tt.convID {
				t.Errorf("matchInbox = %v, %d; want %v, %d", ok, id, tt.ok, tt.convID)
			}
		})
	}
}

func testInbox() desk.Inbox {
	return desk.Inbox{ID: 7, Channel: desk.ChannelEmail,
		Settings: map[string]string{SettingAddress: "support@example.nl", SettingReplySecret: "s3cret"}}
}
