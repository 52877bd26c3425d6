package helpcenter

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// settingKey is the setting that holds the help center's signing key:
// form tokens, contact-visit links and visitor keys are HMACs under it.
// It is made once and kept in the settings, so that every node and every
// restart signs alike.
const settingKey = "helpcenter.key"

// formTokenTTL is how long a contact form may stay open before it is sent.
const formTokenTTL = 4 * time.Hour

// signer signs and checks the help center's tokens with the stored key.
type signer struct {
	st    desk.SettingStore
	clock desk.Clock

	mu  sync.Mutex
	key []byte
}

// errNoKey says there is no settings store to keep a key in.
var errNoKey = errors.New("helpcenter: no settings store for the signing key")

// secret returns the key, making and storing one the first time. A failed
// read is tried again on the next request rather than remembered.
func (s *signer) secret(ctx context.Context) ([]byte, error) {
	if s == nil || s.st == nil {
		return nil, errNoKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	v, err := s.st.Setting(ctx, settingKey)
	switch {
	case err == nil && len(v) >= 32:
	case err == nil || errors.Is(err, desk.ErrNotFound):
		b := make([]byte, 32)
		rand.Read(b)
		v = hex.EncodeToString(b)
		if err := s.st.SetSetting(ctx, settingKey, v); err != nil {
			return nil, fmt.Errorf("helpcenter: store the signing key: %w", err)
		}
	default:
		return nil, fmt.Errorf("helpcenter: read the signing key: %w", err)
	}
	s.key = []byte(v)
	return s.key, nil
}

// mac is the hex HMAC of the parts under the key, cut to n hex digits.
func (s *signer) mac(ctx context.Context, n int, parts ...string) (string, error) {
	key, err := s.secret(ctx)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(m.Sum(nil))[:n], nil
}

// network is the part of an address that stays put while a visitor's
// device changes address within their provider's pool: IPv4 /24, IPv6 /48
// (as kb's visitor keys, whose method is not exported).
func network(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		if ip == "" {
			return "unknown"
		}
		return ip
	}
	addr = addr.Unmap()
	bits := 24
	if addr.Is6() {
		bits = 48
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return addr.String()
	}
	return p.String()
}

// visitorKey is a contact-page visitor: a keyed hash of their network,
// which cannot be turned back into an address.
func (s *signer) visitorKey(ctx context.Context, ip string) (string, error) {
	return s.mac(ctx, 24, "visitor", network(ip))
}

// formToken is a token for the contact forms, bound to the visitor's
// network and to the time it was made. The help center sets no cookies,
// so this is what keeps other sites from posting the forms through a
// visitor's browser: a token fetched by another site's server is for
// another network.
func (s *signer) formToken(ctx context.Context, ip string) (string, error) {
	ts := strconv.FormatInt(s.clock.Now().Unix(), 36)
	m, err := s.mac(ctx, 32, "form", network(ip), ts)
	if err != nil {
		return "", err
	}
	return ts + "." + m, nil
}

// checkFormToken reports whether tok is a form token for ip that has not
// expired.
func (s *signer) checkFormToken(ctx context.Context, ip, tok string) bool {
	ts, sig, ok := strings.Cut(tok, ".")
	if !ok || len(ts) > 13 || len(sig) != 32 {
		return false
	}
	sec, err := strconv.ParseInt(ts, 36, 64)
	if err != nil {
		return false
	}
	age := s.clock.Now().Sub(time.Unix(sec, 0))
	if age < -5*time.Minute || age > formTokenTTL {
		return false
	}
	want, err := s.mac(ctx, 32, "form", network(ip), ts)
	return err == nil && subtle.ConstantTimeCompare([]byte(sig), []byte(want)) == 1
}

// visitToken is a contact visit's id, signed: the links that carry it
// cannot be made up for other visits.
func (s *signer) visitToken(ctx context.Context, id int64) (string, error) {
	n := strconv.FormatInt(id, 10)
	m, err := s.mac(ctx, 16, "visit", n)
	if err != nil {
		return "", err
	}
	return n + "." + m, nil
}

// visitID checks a visit token and returns its id; 0 when it is not one.
func (s *signer) visitID(ctx context.Context, tok string) int64 {
	n, sig, ok := strings.Cut(tok, ".")
	if !ok || len(n) > 19 || len(sig) != 16 {
		return 0
	}
	id, err := strconv.ParseInt(n, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	want, err := s.mac(ctx, 16, "visit", n)
	if err != nil || subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return 0
	}
	return id
}

// newRunKey is the visitor key of a flow run on a help-center page: random,
// carried in the page's form and address, never in a cookie.
func newRunKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
