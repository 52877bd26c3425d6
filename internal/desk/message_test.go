package desk

import "testing"

func TestSenderUnproven(t *testing.T) {
	tests := []struct {
		name string
		meta map[string]string
		want bool
	}{
		{"no meta (chat, WhatsApp)", nil, false},
		{"typed into a form", map[string]string{MetaSenderUnverified: SenderFromForm}, true},
		{"DMARC pass", map[string]string{MetaEmailAuth: "spf=pass dkim=pass dmarc=pass; mx"}, false},
		{"DMARC fail", map[string]string{MetaEmailAuth: "spf=pass dkim=fail dmarc=fail; mx"}, true},
		{"DMARC pass despite SPF fail", map[string]string{MetaEmailAuth: "spf=fail dkim=pass dmarc=pass; mx"}, false},
		{"no DMARC, SPF fail", map[string]string{MetaEmailAuth: "spf=fail dkim=none; mx"}, true},
		{"DMARC none, SPF fail", map[string]string{MetaEmailAuth: "spf=fail dkim=none dmarc=none; mx"}, true},
		{"no DMARC, SPF pass", map[string]string{MetaEmailAuth: "spf=pass dkim=none; mx"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Message{Meta: tc.meta}).SenderUnproven(); got != tc.want {
				t.Errorf("SenderUnproven = %v, want %v", got, tc.want)
			}
		})
	}
}
