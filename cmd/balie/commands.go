package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/balie-dev/balie/internal/app"
)

const usage = `balie: customer contact, every channel, one inbox.

Usage: balie <command> [flags]

Commands:
  serve            run the server (SQLite in --data, or PostgreSQL with --database-url)
  demo             run the server with a demo company loaded (prints where to log in)
  migrate          create or migrate the database schema, then exit
  user add         add an agent: --email E --role admin|supervisor|agent [--name N]
                   (password from stdin when it is not a terminal, else prompted)
  token create     print a new API token: --user EMAIL --name NAME
  bench            run the standard workload against a running server (docs/benchmarks.md);
                   with --data/--database-url and no --token it makes its own token
  import kb DIR    import knowledge-base articles from Markdown files with front matter
  export kb DIR    export every article as DIR/<locale>/<slug>.md
  eval faq|intent  measure search and intent classification on ../shared/data (--set, --data-dir);
                   eval intent --train F [--test F] --format banking77|clinc150|bitext|xsid --json
  eval search      measure help-center search end to end: --corpus F --queries F --qrels F
                   [--feedback-queries F --feedback-qrels F | --folds K] (or --set stackfaq|covidfaq)
  eval bot         simulate customers talking to the bot: shares solved, handed over, stuck
  eval forecast    backtest the staffing forecast on synthetic history: MAPE/WAPE per channel
                   and method [--weeks 12 --seeds 201-210 --channels chat,... --json]
  version          print the version

Common flags (every command): --data DIR (default ./balie-data; demo: ./balie-demo-data),
  --database-url URL (or BALIE_DATABASE_URL; postgres://... uses PostgreSQL).
serve and demo: --addr HOST:PORT (default 127.0.0.1:8080);
  --secure-cookies (default: on unless --addr is loopback);
  --trusted-proxy CIDR,... (reverse proxies whose X-Forwarded-For is believed);
  --public-url URL (or BALIE_PUBLIC_URL; canonical links and sitemap of the help center);
  --smtp-addr HOST:PORT (take in email for email inboxes; --smtp-hostname NAME);
  --commerce-url URL (or BALIE_COMMERCE_URL; orders from the company's endpoint, signed with
  BALIE_COMMERCE_SECRET; default: the built-in order store);
  --allow-private-targets (webhooks may reach loopback/private addresses: tests, bench);
  --debug-addr HOST:PORT (Go profiler, keep it on loopback).
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr, false)
	case "demo":
		return cmdServe(ctx, rest, stdout, stderr, true)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout, stderr)
	case "user":
		if len(rest) == 0 || rest[0] != "add" {
			return errors.New("usage: balie user add --email E --role admin|supervisor|agent")
		}
		return cmdUserAdd(ctx, rest[1:], stdin, stdout, stderr)
	case "token":
		if len(rest) == 0 || rest[0] != "create" {
			return errors.New("usage: balie token create --user EMAIL --name NAME")
		}
		return cmdTokenCreate(ctx, rest[1:], stdout, stderr)
	case "bench":
		return cmdBench(ctx, rest, stdout)
	case "import", "export":
		if len(rest) == 0 || rest[0] != "kb" {
			return fmt.Errorf("usage: balie %s kb DIR", cmd)
		}
		if cmd == "import" {
			return cmdImportKB(ctx, rest[1:], stdout, stderr)
		}
		return cmdExportKB(ctx, rest[1:], stdout, stderr)
	case "eval":
		if len(rest) > 0 && rest[0] == "search" {
			return cmdEvalSearch(ctx, rest[1:], stdout, stderr)
		}
		if len(rest) > 0 && rest[0] == "bot" {
			return cmdEvalBot(ctx, rest[1:], stdout)
		}
		return cmdEval(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "balie", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// common holds the flags every command takes.
type common struct {
	data        string
	databaseURL string
	logLevel    string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", "./balie-data", "data directory (SQLite database, attachments)")
	fs.StringVar(&c.databaseURL, "database-url", os.Getenv("BALIE_DATABASE_URL"), "PostgreSQL URL; empty: embedded SQLite")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
}

func (c common) config() app.Config {
	return app.Config{DataDir: c.data, DatabaseURL: c.databaseURL, SecretKey: os.Getenv("BALIE_SECRET_KEY")}
}

func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), strings.Join(fs.Args(), " "))
	}
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
