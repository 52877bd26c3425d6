package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestHashPasswordDefaultRoundTrip(t *testing.T) {
	h, err := HashPassword(testPassword)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.MatchString(h) {
		t.Errorf("hash = %q, want PHC argon2id with default params", h)
	}
	for _, tc := range []struct {
		name     string
		password string
		want     bool
	}{
		{"same password", testPassword, true},
		{"wrong password", "correct horse battery!", false},
		{"case differs", "Correct horse battery", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckPassword(h, tc.password)
			if err != nil || got != tc.want {
				t.Errorf("CheckPassword = %v, %v; want %v, nil", got, err, tc.want)
			}
		})
	}
}

func TestHashPasswordSalted(t *testing.T) {
	a, _ := HashPasswordWith(testPassword, cheapParams)
	b, _ := HashPasswordWith(testPassword, cheapParams)
	if a == b {
		t.Errorf("two hashes of one password are equal (%q): salt missing", a)
	}
}

func TestValidatePassword(t *testing.T) {
	for _, tc := range []struct {
		name     string
		password string
		wantErr  bool
	}{
		{"empty", "", true},
		{"nine chars", "123456789", true},
		{"ten chars", "1234567890", false},
		{"ten multibyte chars", strings.Repeat("é", 10), false},
		{"nine multibyte chars", strings.Repeat("é", 9), true},
		{"256 chars", strings.Repeat("a", 256), false},
		{"257 chars", strings.Repeat("a", 257), true},
		{"invalid utf-8", "abcdefghij\xff", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePassword(tc.password)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ValidatePassword = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, desk.ErrInvalid) {
				t.Errorf("error %v does not match desk.ErrInvalid", err)
			}
			_, herr := HashPasswordWith(tc.password, cheapParams)
			if (herr != nil) != tc.wantErr {
				t.Errorf("HashPasswordWith error = %v, want error %v", herr, tc.wantErr)
			}
		})
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	good, _ := HashPasswordWith(testPassword, cheapParams)
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	for _, tc := range []struct{ name, hash string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"params reordered", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"zero time", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"huge memory", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA"},
		{"extra field", good + "$x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := CheckPassword(tc.hash, testPassword)
			if ok || err == nil {
				t.Errorf("CheckPassword(%q) = %v, %v; want false and an error", tc.hash, ok, err)
			}
			if !NeedsRehash(tc.hash, cheapParams) {
				t.Errorf("NeedsRehash(%q) = false, want true", tc.hash)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := HashPasswordWith(testPassword, cheapParams)
	for _, tc := range []struct {
		name string
		p    Params
		want bool
	}{
		{"same params", cheapParams, false},
		{"more memory", Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more passes", Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more lanes", Params{Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}, true},
		{"longer key", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64}, true},
		{"defaults", DefaultParams(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NeedsRehash(h, tc.p); got != tc.want {
				t.Errorf("NeedsRehash = %v, want %v", got, tc.want)
			}
		})
	}
}
