package webhooksig

import (
	"net/http"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"message.created"}`)
	h := http.Header{}
	Sign(h, "s3cret", "message.created", "d1", now, body)
	tests := []struct {
		name    string
		secret  string
		body    []byte
		now     time.Time
		wantErr bool
	}{
		{"valid", "s3cret", body, now, false},
		{"wrong secret", "other", body, now, true},
		{"tampered body", "s3cret", []byte(`{"type":"x"}`), now, true},
		{"replayed later", "s3cret", body, now.Add(10 * time.Minute), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(h, tc.secret, tc.body, tc.now, 5*time.Minute)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Verify() error = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
	// A vector computed independently (Python hmac) pins the format.
	if got, want := Compute("key", "1", []byte("body")), "91b5374b153842ad05b2c4eab9349b8321b14703165bd3fb8b034dfb8be98ae5"; got != want {
		t.Fatalf("Compute() = %s, want %s", got, want)
	}
}
