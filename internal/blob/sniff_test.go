package blob

import "testing"

func TestSniffMedia(t *testing.T) {
	ftyp := func(brand string) []byte { return append([]byte("\x00\x00\x00\x20ftyp"), brand...) }
	tests := []struct {
		name string
		data []byte
		want string
		ok   bool
	}{
		{"ogg voice note", []byte("OggS\x00\x02"), "audio/ogg", true},
		{"amr", []byte("#!AMR\n"), "audio/amr", true},
		{"wav", []byte("RIFF\x00\x00\x00\x00WAVEfmt "), "audio/wav", true},
		{"webm", []byte("\x1A\x45\xDF\xA3\x01"), "video/webm", true},
		{"mp4", ftyp("isom"), "video/mp4", true},
		{"3gp", ftyp("3gp5"), "video/3gpp", true},
		{"m4a", ftyp("M4A "), "audio/mp4", true},
		{"quicktime", ftyp("qt  "), "video/quicktime", true},
		{"mp3 with id3", []byte("ID3\x04\x00"), "audio/mpeg", true},
		{"mp3 frame", []byte{0xFF, 0xFB, 0x90, 0x00}, "audio/mpeg", true},
		{"aac adts", []byte{0xFF, 0xF1, 0x50, 0x80}, "audio/aac", true},
		{"png still an image", []byte("\x89PNG\r\n\x1a\n"), "image/png", true},
		{"jpeg not taken for audio", []byte{0xFF, 0xD8, 0xFF, 0xE0}, "image/jpeg", true},
		{"html refused", []byte("<html><script>"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := SniffMedia(tt.data, "file")
			if got != tt.want || ok != tt.ok {
				t.Errorf("SniffMedia = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
