package idtoken

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

const secret = "s3cr3t-of-the-company-site"

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func sign(t *testing.T, c Claims) string {
	t.Helper()
	tok, err := Sign(secret, c)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}

func TestVerify(t *testing.T) {
	valid := Claims{ExternalID: "c-1042", Email: "sanne@example.com", Name: "Sanne", Exp: now.Add(time.Hour).Unix()}
	good := sign(t, valid)
	payload, sig, _ := strings.Cut(good, ".")
	other := sign(t, Claims{ExternalID: "c-9999", Exp: now.Add(time.Hour).Unix()})
	otherPayload, _, _ := strings.Cut(other, ".")
	tests := []struct {
		name    string
		secret  string
		token   string
		now     time.Time
		wantErr error
	}{
		{"valid", secret, good, now, nil},
		{"replay within expiry is fine", secret, good, now.Add(59 * time.Minute), nil},
		{"within skew after exp", secret, good, now.Add(time.Hour + time.Minute), nil},
		{"expired", secret, good, now.Add(time.Hour + Skew), ErrExpired},
		{"wrong secret", "another-secret-of-16+", good, now, ErrInvalid},
		{"tampered payload", secret, otherPayload + "." + sig, now, ErrInvalid},
		{"tampered signature", secret, payload + "." + base64.RawURLEncoding.EncodeToString([]byte("nope")), now, ErrInvalid},
		{"no signature", secret, payload, now, ErrInvalid},
		{"three parts", secret, good + ".x", now, ErrInvalid},
		{"empty", secret, "", now, ErrInvalid},
		{"too long", secret, strings.Repeat("a", MaxLen+1), now, ErrInvalid},
		{"no secret configured", "", good, now, ErrInvalid},
		{"exp too far ahead", secret, sign(t, Claims{Email: "a@b.nl", Exp: now.Add(48 * time.Hour).Unix()}), now, ErrInvalid},
		{"no exp", secret, sign(t, Claims{Email: "a@b.nl"}), now, ErrInvalid},
		{"no subject", secret, sign(t, Claims{Name: "Nobody", Exp: now.Add(time.Hour).Unix()}), now, ErrInvalid},
		{"unknown field", secret, signRaw(`{"email":"a@b.nl","exp":` + itoa(now.Add(time.Hour).Unix()) + `,"admin":true}`), now, ErrInvalid},
		{"misspelt claim", secret, signRaw(`{"emial":"a@b.nl","external_id":"7","exp":` + itoa(now.Add(time.Hour).Unix()) + `}`), now, ErrInvalid},
		{"standard JWT claims are fine", secret, signRaw(`{"external_id":"c-1042","email":"sanne@example.com","name":"Sanne","exp":` + itoa(valid.Exp) +
			`,"iat":` + itoa(now.Unix()) + `,"sub":"7","aud":"balie","iss":"shop","jti":"x","nbf":` + itoa(now.Unix()) + `}`), now, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Verify(tc.secret, tc.token, tc.now)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if got != (Claims{}) {
					t.Errorf("claims on error = %+v, want none", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want nil", err)
			}
			if got != valid {
				t.Errorf("claims = %+v, want %+v", got, valid)
			}
		})
	}
}

func signRaw(payload string) string {
	p := base64.RawURLEncoding.EncodeToString([]byte(payload))
	return p + "." + base64.RawURLEncoding.EncodeToString(mac(secret, p))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestSignRefusesShortSecret(t *testing.T) {
	if _, err := Sign("short", Claims{Email: "a@b.nl", Exp: now.Unix()}); err == nil {
		t.Error("Sign with a short secret: err = nil, want an error")
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(signRaw(`{"email":"a@b.nl","exp":1772445600}`))
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := Verify(secret, tok, now)
		if err == nil && c.ExternalID == "" && c.Email == "" {
			t.Errorf("accepted %q without a subject", tok)
		}
	})
}
