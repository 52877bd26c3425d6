package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/balie-dev/balie/internal/desk"
)

// Password length limits, in characters. The maximum bounds the work an
// attacker can make us do per login attempt; passphrases fit easily.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams returns the parameters for new hashes: the OWASP baseline for
// argon2id (19 MiB, 2 passes, 1 lane). One check took about 85 ms on a busy
// 2-core machine (BenchmarkHashPasswordDefault), so such a server verifies
// some 20-40 logins per second, ample for a team of agents, while a stolen
// hash costs an attacker 19 MiB and two passes per guess. One lane, so that
// a single login never occupies both cores; Options.MaxConcurrentHashes
// bounds the memory of simultaneous logins.
// Raising a value here makes CheckPassword report NeedsRehash, and Login
// upgrades the stored hash on the next successful login.
func DefaultParams() Params {
	return Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Bounds on parameters read from a stored hash, so that a corrupted or
// planted row cannot make one login allocate gigabytes or spin for minutes.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 64
	minSaltLen = 8
	minKeyLen  = 16
	maxKeyLen  = 128
)

// errMalformedHash reports a stored hash that is not a PHC argon2id string.
var errMalformedHash = errors.New("auth: malformed password hash")

// ValidatePassword checks a new password's length; it returns a
// desk.ValidationError for field "password".
func ValidatePassword(password string) error {
	if !utf8.ValidString(password) {
		return desk.Invalid("password", "must be valid UTF-8")
	}
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLen {
		return desk.Invalid("password", fmt.Sprintf("must be at least %d characters", MinPasswordLen))
	}
	if n > MaxPasswordLen {
		return desk.Invalid("password", fmt.Sprintf("must be at most %d characters", MaxPasswordLen))
	}
	return nil
}

// HashPassword validates password and hashes it with DefaultParams.
func HashPassword(password string) (string, error) {
	return HashPasswordWith(password, DefaultParams())
}

// HashPasswordWith validates password and hashes it with p, returning the PHC
// string $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash> (salt and
// hash in unpadded standard base64).
func HashPasswordWith(password string, p Params) (string, error) {
	if err := ValidatePassword(password); err != nil {
		return "", err
	}
	return hash(password, p), nil
}

// hash skips validation; the service uses it for the dummy hash.
func hash(password string, p Params) string {
	salt := make([]byte, p.SaltLen)
	rand.Read(salt) // never fails (crypto/rand panics instead)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key))
}

// CheckPassword reports whether password matches the PHC-encoded hash. The
// comparison is constant-time. An error means the hash itself is unusable.
func CheckPassword(encoded, password string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than p
// (or cannot be read), so that it should be replaced after the next
// successful login.
func NeedsRehash(encoded string, p Params) bool {
	got, _, _, err := decodeHash(encoded)
	return err != nil || got != p
}

func decodeHash(encoded string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errMalformedHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version %q", errMalformedHash, parts[2])
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return p, nil, nil, errMalformedHash
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		s, ok := strings.CutPrefix(fields[i], name)
		if !ok {
			return p, nil, nil, errMalformedHash
		}
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return p, nil, nil, errMalformedHash
		}
		vals[i] = v
	}
	m, t, l := vals[0], vals[1], vals[2]
	if t < 1 || t > maxTime || l < 1 || l > 255 || m < 8*l || m > maxMemory {
		return p, nil, nil, fmt.Errorf("%w: parameters out of range", errMalformedHash)
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen {
		return p, nil, nil, fmt.Errorf("%w: bad salt", errMalformedHash)
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return p, nil, nil, fmt.Errorf("%w: bad key", errMalformedHash)
	}
	p = Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(l), SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	return p, salt, key, nil
}
