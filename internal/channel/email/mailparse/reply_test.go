package mailparse

import "testing"

func TestStripReply(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		wantReply  string
		wantQuoted string
	}{
		{
			name:       "gmail english top posting",
			text:       "Thanks, that works!\n\nOn Mon, 3 Jan 2022 at 10:00, Balie Support <support@example.com> wrote:\n> Please try again.\n",
			wantReply:  "Thanks, that works!",
			wantQuoted: "On Mon, 3 Jan 2022 at 10:00, Balie Support <support@example.com> wrote:\n> Please try again.",
		},
		{
			name:       "gmail dutch",
			text:       "Dank je, het werkt weer.\r\n\r\nOp ma 3 jan. 2022 om 10:00 schreef Klantenservice <support@example.nl>:\r\n> Probeer het opnieuw.\r\n",
			wantReply:  "Dank je, het werkt weer.",
			wantQuoted: "Op ma 3 jan. 2022 om 10:00 schreef Klantenservice <support@example.nl>:\n> Probeer het opnieuw.",
		},
		{
			name:       "apple mail dutch wrapped over two lines",
			text:       "Top!\n\nOp 3 jan. 2022 om 10:00 heeft Klantenservice <support@example.nl> het\nvolgende geschreven:\n\n> Uw pakket is onderweg.\n",
			wantReply:  "Top!",
			wantQuoted: "Op 3 jan. 2022 om 10:00 heeft Klantenservice <support@example.nl> het\nvolgende geschreven:\n\n> Uw pakket is onderweg.",
		},
		{
			name:       "outlook dutch header block without quote marks",
			text:       "Hierbij de foto.\n\nMet vriendelijke groet,\nPiet\n\nVan: Klantenservice <support@example.nl>\nVerzonden: maandag 3 januari 2022 10:00\nAan: Piet <piet@example.nl>\nOnderwerp: Uw bestelling\n\nKunt u een foto sturen?\n",
			wantReply:  "Hierbij de foto.\n\nMet vriendelijke groet,\nPiet",
			wantQuoted: "Van: Klantenservice <support@example.nl>\nVerzonden: maandag 3 januari 2022 10:00\nAan: Piet <piet@example.nl>\nOnderwerp: Uw bestelling\n\nKunt u een foto sturen?",
		},
		{
			name:       "original message separator",
			text:       "See below.\n\n-----Original Message-----\nFrom: a@example.com\nHello\n",
			wantReply:  "See below.",
			wantQuoted: "-----Original Message-----\nFrom: a@example.com\nHello",
		},
		{
			name:       "oorspronkelijk bericht",
			text:       "Zie hieronder.\n\n-----Oorspronkelijk bericht-----\nVan: a@example.nl\nHallo\n",
			wantReply:  "Zie hieronder.",
			wantQuoted: "-----Oorspronkelijk bericht-----\nVan: a@example.nl\nHallo",
		},
		{
			name:       "dutch iphone signature",
			text:       "Klopt, bedankt.\n\nVerzonden vanaf mijn iPhone\n",
			wantReply:  "Klopt, bedankt.",
			wantQuoted: "Verzonden vanaf mijn iPhone",
		},
		{
			name:       "dash dash signature",
			text:       "Graag een retourlabel.\n\n-- \nJan Jansen\nJansen B.V.\n",
			wantReply:  "Graag een retourlabel.",
			wantQuoted: "-- \nJan Jansen\nJansen B.V.",
		},
		{
			name:       "bottom posting keeps the interleaved answer",
			text:       "> Which order?\n\nOrder 1234.\n\n> And the size?\n\nL.\n\n> Thanks\n",
			wantReply:  "> Which order?\n\nOrder 1234.\n\n> And the size?\n\nL.",
			wantQuoted: "> Thanks",
		},
		{
			name:       "only a quote keeps everything",
			text:       "> forwarded text\n> more\n",
			wantReply:  "> forwarded text\n> more",
			wantQuoted: "",
		},
		{
			name:       "plain message untouched",
			text:       "Mijn pakket is niet aangekomen.\nOrdernummer 1234.",
			wantReply:  "Mijn pakket is niet aangekomen.\nOrdernummer 1234.",
			wantQuoted: "",
		},
		{
			name:       "on at line start that is not a header",
			text:       "On Monday I called you.\nNobody answered:\n\nPlease call back.",
			wantReply:  "On Monday I called you.\nNobody answered:\n\nPlease call back.",
			wantQuoted: "",
		},
		{
			name:       "empty",
			text:       "",
			wantReply:  "",
			wantQuoted: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, quoted := StripReply(tt.text)
			if reply != tt.wantReply {
				t.Errorf("reply = %q, want %q", reply, tt.wantReply)
			}
			if quoted != tt.wantQuoted {
				t.Errorf("quoted = %q, want %q", quoted, tt.wantQuoted)
			}
		})
	}
}
