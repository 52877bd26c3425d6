package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
)

// Store is the part of desk.Store the service needs.
type Store interface {
	AgentByID(ctx context.Context, id int64) (*desk.Agent, error)
	AgentByEmail(ctx context.Context, email string) (*desk.Agent, error)
	UpdateAgent(ctx context.Context, a *desk.Agent) error

	CreateSession(ctx context.Context, s *desk.Session) error
	SessionByID(ctx context.Context, id string) (*desk.Session, error)
	DeleteSession(ctx context.Context, id string) error
	TouchSession(ctx context.Context, id string, expiresAt time.Time) error
	DeleteAgentSessions(ctx context.Context, agentID int64, exceptID string) error

	CreateAPIToken(ctx context.Context, t *desk.APIToken) error
	APITokenByHash(ctx context.Context, hash string) (*desk.APIToken, error)
	ListAPITokens(ctx context.Context, agentID int64) ([]desk.APIToken, error)
	DeleteAPIToken(ctx context.Context, id int64) error
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
}

// Options tune the service. Zero values take the defaults documented on
// each field.
type Options struct {
	// Params for new password hashes; zero: DefaultParams().
	Params Params
	// MaxConcurrentHashes bounds argon2 computations running at once (each
	// takes Params.Memory); zero: GOMAXPROCS. Further logins wait their turn.
	MaxConcurrentHashes int

	// SessionIdle ends a session not used for this long (each use moves
	// its expiry on); zero: 12h, a long shift. SessionMax ends any session
	// this long after login; zero: 7 days.
	SessionIdle time.Duration
	SessionMax  time.Duration

	// LoginAttempts is the number of failed logins allowed per email address
	// per LoginWindow, LoginAttemptsPerIP the same per client address (IPv6:
	// per /64). Zero: 10 per email, 30 per address (offices share one
	// address), per 15 minutes. The allowance refills gradually.
	LoginAttempts      int
	LoginAttemptsPerIP int
	LoginWindow        time.Duration
	// LimiterSize bounds the keys each limiter remembers; zero: 100,000.
	LimiterSize int

	// TokenCacheTTL is how long a token's agent is served from memory; a
	// token revoked on another node, or an agent disabled or demoted
	// elsewhere, keeps working here for at most this long. Zero: 30s.
	TokenCacheTTL time.Duration
	// TokenCacheSize bounds the cached tokens; zero: 10,000.
	TokenCacheSize int
	// TokenTouchEvery limits LastUsedAt writes per token; zero: 1 minute.
	TokenTouchEvery time.Duration

	// ErrorWriter answers requests that Require rejects, with an error
	// matching desk.ErrUnauthorized or desk.ErrForbidden. Nil: http.Error
	// with the status text.
	ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)
	// Logger receives problems that do not fail the request (a failed
	// LastUsedAt write, a corrupt stored hash). Nil: discarded.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Params == (Params{}) {
		o.Params = DefaultParams()
	}
	if o.MaxConcurrentHashes <= 0 {
		o.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = 12 * time.Hour
	}
	if o.SessionMax <= 0 {
		o.SessionMax = 7 * 24 * time.Hour
	}
	o.SessionIdle = min(o.SessionIdle, o.SessionMax)
	if o.LoginAttempts <= 0 {
		o.LoginAttempts = 10
	}
	if o.LoginAttemptsPerIP <= 0 {
		o.LoginAttemptsPerIP = 30
	}
	if o.LoginWindow <= 0 {
		o.LoginWindow = 15 * time.Minute
	}
	if o.LimiterSize <= 0 {
		o.LimiterSize = 100_000
	}
	if o.TokenCacheTTL <= 0 {
		o.TokenCacheTTL = 30 * time.Second
	}
	if o.TokenCacheSize <= 0 {
		o.TokenCacheSize = 10_000
	}
	if o.TokenTouchEvery <= 0 {
		o.TokenTouchEvery = time.Minute
	}
	if o.ErrorWriter == nil {
		o.ErrorWriter = plainError
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Service authenticates agents. It is safe for concurrent use.
type Service struct {
	store Store
	clock desk.Clock
	opts  Options

	hashSlots chan struct{}
	dummyHash func() string
	// verify checks a password against a stored hash; tests replace it to
	// observe which hash a login compared against.
	verify func(encoded, password string) (bool, error)

	byEmail *limiter
	byIP    *limiter
	tokens  *tokenCache
}

// New returns a service on store.
func New(store Store, clock desk.Clock, opts Options) *Service {
	opts = opts.withDefaults()
	s := &Service{
		store:     store,
		clock:     clock,
		opts:      opts,
		hashSlots: make(chan struct{}, opts.MaxConcurrentHashes),
		verify:    CheckPassword,
		byEmail:   newLimiter(opts.LoginAttempts, opts.LoginWindow, opts.LimiterSize),
		byIP:      newLimiter(opts.LoginAttemptsPerIP, opts.LoginWindow, opts.LimiterSize),
		tokens:    newTokenCache(opts.TokenCacheSize),
	}
	// The dummy hash makes a login for an unknown address cost the same as
	// one for a known address; computed on first use to keep New cheap.
	s.dummyHash = sync.OnceValue(func() string {
		return hash(rand.Text(), opts.Params)
	})
	return s
}

// acquireHash waits for a free argon2 slot.
func (s *Service) acquireHash(ctx context.Context) (release func(), err error) {
	select {
	case s.hashSlots <- struct{}{}:
		return func() { <-s.hashSlots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Login checks an agent's email and password and opens a session. It returns
// the cookie value to hand to the browser (SetSessionCookie); only its
// SHA-256 is stored.
//
// An unknown email, a wrong password, a disabled agent and an agent without a
// password all return the same desk.ErrUnauthorized after the same argon2
// work. After too many failures for the email or the client address it
// returns desk.ErrRateLimited without checking anything.
func (s *Service) Login(ctx context.Context, email, password, remoteIP string) (*desk.Agent, *desk.Session, string, error) {
	now := s.clock.Now()
	emailKey := strings.ToLower(strings.TrimSpace(email))
	ipk := ipKey(remoteIP)
	if !s.byEmail.allowed(emailKey, now) || (ipk != "" && !s.byIP.allowed(ipk, now)) {
		return nil, nil, "", fmt.Errorf("auth: login: %w", desk.ErrRateLimited)
	}
	fail := func() (*desk.Agent, *desk.Session, string, error) {
		s.byEmail.fail(emailKey, now)
		if ipk != "" {
			s.byIP.fail(ipk, now)
		}
		return nil, nil, "", fmt.Errorf("auth: login: %w", desk.ErrUnauthorized)
	}
	// Overlong input is rejected before hashing; its length says nothing
	// about the account.
	if len(emailKey) > 320 || len(password) > 4*MaxPasswordLen || utf8.RuneCountInString(password) > MaxPasswordLen {
		return fail()
	}

	agent, err := s.store.AgentByEmail(ctx, emailKey)
	if err != nil && !errors.Is(err, desk.ErrNotFound) {
		return nil, nil, "", fmt.Errorf("auth: login: %w", err)
	}
	stored := ""
	if agent != nil {
		stored = agent.PasswordHash
	}
	ok, err := s.checkPassword(ctx, stored, password)
	if err != nil {
		return nil, nil, "", fmt.Errorf("auth: login: %w", err)
	}
	if !ok || agent == nil || agent.Disabled {
		return fail()
	}
	s.byEmail.reset(emailKey)

	if NeedsRehash(agent.PasswordHash, s.opts.Params) {
		s.rehash(ctx, agent, password)
	}
	sess, cookie, err := s.newSession(ctx, agent.ID, now)
	if err != nil {
		return nil, nil, "", fmt.Errorf("auth: login: %w", err)
	}
	return agent, sess, cookie, nil
}

// checkPassword verifies password against stored, or against the dummy hash
// when stored is empty or unreadable, so that every path does one argon2
// computation. It errors only when ctx ends while waiting for a slot.
func (s *Service) checkPassword(ctx context.Context, stored, password string) (bool, error) {
	release, err := s.acquireHash(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	if stored != "" {
		ok, err := s.verify(stored, password)
		if err == nil {
			return ok, nil
		}
		s.opts.Logger.Error("auth: stored password hash unusable", "err", err)
	}
	s.verify(s.dummyHash(), password)
	return false, nil
}

// rehash replaces an agent's hash made with old parameters. Failure only
// postpones the upgrade to the next login.
func (s *Service) rehash(ctx context.Context, agent *desk.Agent, password string) {
	release, err := s.acquireHash(ctx)
	if err != nil {
		return
	}
	h := hash(password, s.opts.Params)
	release()
	updated := *agent
	updated.PasswordHash = h
	if err := s.store.UpdateAgent(ctx, &updated); err != nil {
		s.opts.Logger.Warn("auth: rehash password", "agent", agent.ID, "err", err)
		return
	}
	agent.PasswordHash = h
}

// SetPassword validates and stores a new password for an agent and ends
// the agent's other sessions: whoever knew the old password is signed out.
// The session of the request in ctx (PrincipalFrom) is kept when it is the
// agent's own, so that changing one's password does not sign one out.
func (s *Service) SetPassword(ctx context.Context, agentID int64, password string) error {
	if err := ValidatePassword(password); err != nil {
		return fmt.Errorf("auth: set password: %w", err)
	}
	agent, err := s.store.AgentByID(ctx, agentID)
	if err != nil {
		return fmt.Errorf("auth: set password: %w", err)
	}
	release, err := s.acquireHash(ctx)
	if err != nil {
		return fmt.Errorf("auth: set password: %w", err)
	}
	agent.PasswordHash = hash(password, s.opts.Params)
	release()
	if err := s.store.UpdateAgent(ctx, agent); err != nil {
		return fmt.Errorf("auth: set password: %w", err)
	}
	if err := s.store.DeleteAgentSessions(ctx, agentID, ownSessionID(ctx, agentID)); err != nil {
		return fmt.Errorf("auth: set password: end sessions: %w", err)
	}
	return nil
}

// ownSessionID is the id of the session behind ctx's request when it
// belongs to agentID, else "".
func ownSessionID(ctx context.Context, agentID int64) string {
	p, ok := PrincipalFrom(ctx)
	if !ok || p.Session == nil || p.Agent == nil || p.Agent.ID != agentID {
		return ""
	}
	return p.Session.ID
}

// Session cookie values are 32 random bytes in unpadded base64url.
const cookieValueLen = 43

func (s *Service) newSession(ctx context.Context, agentID int64, now time.Time) (*desk.Session, string, error) {
	raw := make([]byte, 32)
	rand.Read(raw)
	cookie := base64.RawURLEncoding.EncodeToString(raw)
	csrf := make([]byte, 32)
	rand.Read(csrf)
	sess := &desk.Session{
		ID:        sessionID(cookie),
		AgentID:   agentID,
		CSRFToken: base64.RawURLEncoding.EncodeToString(csrf),
		CreatedAt: now,
		ExpiresAt: now.Add(s.opts.SessionIdle),
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, "", err
	}
	return sess, cookie, nil
}

// sessionID is the stored id for a cookie value: its SHA-256 in hex.
func sessionID(cookie string) string {
	sum := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(sum[:])
}

func validCookieValue(v string) bool {
	if len(v) != cookieValueLen {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(v)
	return err == nil
}

// CookieExpires is the Expires to give the session cookie: the end of the
// session's life, since its idle expiry moves on with use.
func (s *Service) CookieExpires(sess *desk.Session) time.Time {
	return sess.CreatedAt.Add(s.opts.SessionMax)
}

// SessionAgent returns the agent and session behind a session cookie value.
// Unknown, expired and malformed values, and sessions of disabled agents,
// are desk.ErrUnauthorized.
func (s *Service) SessionAgent(ctx context.Context, cookieValue string) (*desk.Agent, *desk.Session, error) {
	if !validCookieValue(cookieValue) {
		return nil, nil, fmt.Errorf("auth: session: %w", desk.ErrUnauthorized)
	}
	id := sessionID(cookieValue)
	sess, err := s.store.SessionByID(ctx, id)
	if errors.Is(err, desk.ErrNotFound) {
		return nil, nil, fmt.Errorf("auth: session: %w", desk.ErrUnauthorized)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("auth: session: %w", err)
	}
	now := s.clock.Now()
	end := sess.CreatedAt.Add(s.opts.SessionMax)
	if !now.Before(sess.ExpiresAt) || !now.Before(end) {
		return nil, nil, fmt.Errorf("auth: session: %w", desk.ErrUnauthorized)
	}
	agent, err := s.store.AgentByID(ctx, sess.AgentID)
	if errors.Is(err, desk.ErrNotFound) {
		return nil, nil, fmt.Errorf("auth: session: %w", desk.ErrUnauthorized)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("auth: session: %w", err)
	}
	if agent.Disabled {
		return nil, nil, fmt.Errorf("auth: session: %w", desk.ErrUnauthorized)
	}
	s.extend(ctx, sess, now, end)
	return agent, sess, nil
}

// extend slides the idle expiry forward, writing at most once every
// SessionIdle/48 (15 minutes for 12h) rather than on every request.
func (s *Service) extend(ctx context.Context, sess *desk.Session, now, end time.Time) {
	next := now.Add(s.opts.SessionIdle)
	if next.After(end) {
		next = end
	}
	if next.Sub(sess.ExpiresAt) < s.opts.SessionIdle/48 {
		return
	}
	if err := s.store.TouchSession(ctx, sess.ID, next); err != nil {
		s.opts.Logger.Warn("auth: extend session", "agent", sess.AgentID, "err", err)
		return
	}
	sess.ExpiresAt = next
}

// Logout ends the session behind a cookie value. Ending a session that does
// not exist is not an error.
func (s *Service) Logout(ctx context.Context, cookieValue string) error {
	if !validCookieValue(cookieValue) {
		return nil
	}
	err := s.store.DeleteSession(ctx, sessionID(cookieValue))
	if err != nil && !errors.Is(err, desk.ErrNotFound) {
		return fmt.Errorf("auth: logout: %w", err)
	}
	return nil
}
