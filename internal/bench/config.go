package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config says what to run and against which server.
type Config struct {
	// Target is the server's base URL, e.g. http://127.0.0.1:8080. It must be
	// a loopback address: the bench refuses to load anything else.
	Target string
	// Token is an admin API token (creating the bench inbox needs admin).
	Token string
	// Phases lists "W1".."W4"; "all" (or empty) means all four, run in order.
	Phases []string
	// N is the number of W1 conversations per concurrency level (default 10,000).
	N int
	// C overrides the concurrency levels of every phase; empty means the
	// per-phase defaults of BENCHMARK.md (W1 8,32; W2 8,32; W3 1,8).
	C []int
	// Seed makes the data set (default 1).
	Seed int64
	// Duration is how long W2 runs per concurrency level (default 30 s).
	Duration time.Duration
	// OutFile, when set, receives the report as JSON.
	OutFile string

	// Knobs tests turn down so the suite stays fast; zero means the default.
	w3PerKind    int           // W3 queries per kind and level
	w3MaxWall    time.Duration // W3 stops a level early after this long
	w4Count      int           // W4 inbound messages per run
	w4Interval   time.Duration // W4 gap between messages
	drainTimeout time.Duration // W1 outbox drain wait
	w4Settle     time.Duration // W4 wait for late WebSocket events
}

// Defaults from BENCHMARK.md.
const (
	defaultTarget       = "http://127.0.0.1:8080"
	defaultN            = 10_000
	defaultSeed         = 1
	defaultDuration     = 30 * time.Second
	defaultW3PerKind    = 200
	defaultW3MaxWall    = time.Minute
	defaultW4Count      = 200
	defaultW4Interval   = 50 * time.Millisecond
	defaultDrainTimeout = 5 * time.Minute
	defaultW4Settle     = 5 * time.Second
	// w4BackgroundC is the concurrency of the ingest load W4 runs under.
	w4BackgroundC = 8
)

var allPhases = []string{"W1", "W2", "W3", "W4"}

var defaultLevels = map[string][]int{
	"W1": {8, 32},
	"W2": {8, 32},
	"W3": {1, 8},
}

// ParseFlags parses the arguments of `balie bench` (without the subcommand):
// --target URL --token T --phase W1|W2|W3|W4|all (or a comma list) --n N
// --c 8,32 --seed S --duration 30s --out FILE.
func ParseFlags(args []string) (Config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cfg Config
	var phase, levels string
	fs.StringVar(&cfg.Target, "target", defaultTarget, "server base URL (loopback only)")
	fs.StringVar(&cfg.Token, "token", "", "admin API token")
	fs.StringVar(&phase, "phase", "all", "W1, W2, W3, W4, a comma list, or all")
	fs.IntVar(&cfg.N, "n", defaultN, "W1 conversations per concurrency level")
	fs.StringVar(&levels, "c", "", "concurrency levels, e.g. 8,32 (default per phase)")
	fs.Int64Var(&cfg.Seed, "seed", defaultSeed, "data set seed")
	fs.DurationVar(&cfg.Duration, "duration", defaultDuration, "W2 duration per level")
	fs.StringVar(&cfg.OutFile, "out", "", "write the report as JSON to FILE")
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("bench: flags: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("bench: flags: unexpected argument %q", fs.Arg(0))
	}
	var err error
	if cfg.Phases, err = parsePhases(phase); err != nil {
		return Config{}, err
	}
	if levels != "" {
		if cfg.C, err = parseLevels(levels); err != nil {
			return Config{}, err
		}
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func parsePhases(s string) ([]string, error) {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		p = strings.ToUpper(strings.TrimSpace(p))
		switch {
		case p == "ALL":
			return slices.Clone(allPhases), nil
		case slices.Contains(allPhases, p):
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		default:
			return nil, fmt.Errorf("bench: phase %q: want W1, W2, W3, W4 or all", p)
		}
	}
	return out, nil
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			return nil, fmt.Errorf("bench: concurrency %q: want a positive integer", f)
		}
		out = append(out, c)
	}
	return out, nil
}

// normalized fills in defaults and puts the phases in their canonical order.
func (cfg Config) normalized() (Config, error) {
	if len(cfg.Phases) == 0 {
		cfg.Phases = slices.Clone(allPhases)
	}
	var phases []string
	for _, p := range cfg.Phases {
		ps, err := parsePhases(p)
		if err != nil {
			return cfg, err
		}
		phases = append(phases, ps...)
	}
	cfg.Phases = nil
	for _, p := range allPhases {
		if slices.Contains(phases, p) {
			cfg.Phases = append(cfg.Phases, p)
		}
	}
	if cfg.Target == "" {
		cfg.Target = defaultTarget
	}
	cfg.Target = strings.TrimRight(cfg.Target, "/")
	if cfg.N == 0 {
		cfg.N = defaultN
	}
	if cfg.Duration == 0 {
		cfg.Duration = defaultDuration
	}
	if cfg.w3PerKind == 0 {
		cfg.w3PerKind = defaultW3PerKind
	}
	if cfg.w3MaxWall == 0 {
		cfg.w3MaxWall = defaultW3MaxWall
	}
	if cfg.w4Count == 0 {
		cfg.w4Count = defaultW4Count
	}
	if cfg.w4Interval == 0 {
		cfg.w4Interval = defaultW4Interval
	}
	if cfg.drainTimeout == 0 {
		cfg.drainTimeout = defaultDrainTimeout
	}
	if cfg.w4Settle == 0 {
		cfg.w4Settle = defaultW4Settle
	}
	if cfg.Token == "" {
		return cfg, errors.New("bench: config: a token is required (--token)")
	}
	return cfg, cfg.validate()
}

// validate checks what flags can get wrong; the token is checked by Run so
// that the caller may fill it in from elsewhere (an environment variable).
func (cfg Config) validate() error {
	if cfg.N < 0 {
		return fmt.Errorf("bench: config: n %d: must be positive", cfg.N)
	}
	if cfg.Duration < 0 {
		return fmt.Errorf("bench: config: duration %s: must be positive", cfg.Duration)
	}
	for _, c := range cfg.C {
		if c < 1 {
			return fmt.Errorf("bench: config: concurrency %d: must be positive", c)
		}
	}
	return checkLoopbackURL(cfg.Target)
}

// levels returns the concurrency levels of a phase.
func (cfg Config) levels(phase string) []int {
	if len(cfg.C) > 0 {
		return cfg.C
	}
	return defaultLevels[phase]
}

// checkLoopbackURL refuses targets that are not http(s) on a loopback host:
// a load generator pointed at someone else's server is an attack.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bench: target %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("bench: target %q: want an http:// or https:// URL", raw)
	}
	if !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("bench: target %q: only loopback addresses (127.0.0.0/8, ::1, localhost) are allowed", raw)
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
