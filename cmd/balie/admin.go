package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/balie-dev/balie/internal/app"
	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/bench"
	"github.com/balie-dev/balie/internal/desk"
)

const shutdownGrace = 15 * time.Second

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var c common
	c.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	st, where, err := app.OpenStore(ctx, c.config())
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "schema is up to date (%s)\n", where)
	return nil
}

func cmdUserAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	var c common
	c.register(fs)
	email := fs.String("email", "", "the agent's email address (login)")
	role := fs.String("role", "agent", "admin, supervisor or agent")
	name := fs.String("name", "", "display name (default: from the email)")
	locale := fs.String("locale", "nl", "UI language: nl or en")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("user add: --email is required")
	}
	if !desk.Role(*role).Valid() {
		return errors.New("user add: --role must be admin, supervisor or agent")
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	st, _, err := app.OpenStore(ctx, c.config())
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := auth.NewAgents(st, nil).Create(ctx, *email, *name, desk.Role(*role), *locale, password)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(stdout, "added %s (%s) as %s\n", a.Email, a.Name, a.Role)
	return nil
}

// readPassword prompts on a terminal (twice, without echo) or reads the
// first line of stdin otherwise.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}

func cmdTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	var c common
	c.register(fs)
	user := fs.String("user", "", "the agent the token acts for (email)")
	name := fs.String("name", "", "what the token is for")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *user == "" || *name == "" {
		return errors.New("token create: --user and --name are required")
	}
	st, _, err := app.OpenStore(ctx, c.config())
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := st.AgentByEmail(ctx, *user)
	if err != nil {
		return fmt.Errorf("token create: agent %s: %w", *user, err)
	}
	svc := auth.New(st, desk.SystemClock{}, auth.Options{})
	plain, _, err := svc.CreateToken(ctx, a.ID, *name)
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	fmt.Fprintln(stdout, plain)
	return nil
}

// cmdBench runs the standard workload. Besides bench's own flags it takes
// the common --data / --database-url: without --token it then creates a
// bench agent and token in that database (the one the server under test
// uses), so one command is enough.
func cmdBench(ctx context.Context, args []string, stdout io.Writer) error {
	var c common
	var rest []string
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") || (name != "data" && name != "database-url") {
			rest = append(rest, args[i])
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return fmt.Errorf("bench: --%s needs a value", name)
			}
			i++
			value = args[i]
		}
		if name == "data" {
			c.data = value
		} else {
			c.databaseURL = value
		}
	}
	cfg, err := bench.ParseFlags(rest)
	if err != nil {
		return err
	}
	if cfg.Token == "" && (c.data != "" || c.databaseURL != "") {
		if c.data == "" {
			c.data = "./balie-data"
		}
		if cfg.Token, err = benchToken(ctx, c); err != nil {
			return err
		}
	}
	_, err = bench.Run(ctx, cfg, stdout)
	return err
}

// benchToken makes sure a bench admin exists in the store and returns a new
// API token for it.
func benchToken(ctx context.Context, c common) (string, error) {
	st, _, err := app.OpenStore(ctx, c.config())
	if err != nil {
		return "", err
	}
	defer st.Close()
	const email = "bench@balie.invalid"
	a, err := st.AgentByEmail(ctx, email)
	if errors.Is(err, desk.ErrNotFound) {
		a, err = auth.NewAgents(st, nil).Create(ctx, email, "balie bench", desk.RoleAdmin, "en", rand.Text())
	}
	if err != nil {
		return "", fmt.Errorf("bench: agent: %w", err)
	}
	plain, _, err := auth.New(st, desk.SystemClock{}, auth.Options{}).CreateToken(ctx, a.ID, "balie bench")
	if err != nil {
		return "", fmt.Errorf("bench: token: %w", err)
	}
	return plain, nil
}
