package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"

	"github.com/balie-dev/balie/internal/app"
	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/demo"
	"github.com/balie-dev/balie/internal/server"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, withDemo bool) error {
	name := "serve"
	if withDemo {
		name = "demo"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var c common
	c.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	secure := fs.Bool("secure-cookies", false, "mark session cookies Secure (default: on, unless --addr is a loopback address)")
	allowPrivate := fs.Bool("allow-private-targets", false, "let webhooks and API-channel replies reach loopback and private addresses (tests, balie bench)")
	smtpAddr := fs.String("smtp-addr", "", "take in email for email inboxes with balie's own SMTP server on this address (\":25\", \"127.0.0.1:2525\")")
	smtpHost := fs.String("smtp-hostname", "", "the name the SMTP server greets with (default: the machine's)")
	publicURL := fs.String("public-url", os.Getenv("BALIE_PUBLIC_URL"), "the site's absolute address (\"https://help.example.com\"), the base of links in mails and messages and of canonical links (default: http://ADDR when --addr is a loopback address; otherwise none, and no login mails are sent)")
	commerceURL := fs.String("commerce-url", os.Getenv("BALIE_COMMERCE_URL"), "the company's order endpoint (docs/commerce.md); its signing secret comes from BALIE_COMMERCE_SECRET (default: balie's built-in order store)")
	trustedProxy := fs.String("trusted-proxy", "", "comma-separated CIDR ranges of reverse proxies whose X-Forwarded-For names the client")
	debugAddr := fs.String("debug-addr", "", "serve Go's profiler (/debug/pprof) on this address; keep it on loopback")
	if withDemo {
		// The demo company goes into its own directory, so it never mixes
		// with a real installation's data.
		fs.Lookup("data").DefValue = "./balie-demo-data"
		c.data = "./balie-demo-data"
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	log := newLogger(os.Stderr, c.logLevel)
	secureCookies := server.DefaultSecureCookies(*addr)
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "secure-cookies" {
			secureCookies = *secure // said explicitly, either way
		}
	})
	if *publicURL == "" {
		if !server.DefaultSecureCookies(*addr) {
			// On this machine only: the address it listens on is the one.
			*publicURL = "http://" + *addr
		} else {
			log.Warn("no --public-url: links in mails and messages (portal login, status links, surveys) cannot be sent; set it to the address customers reach balie at")
		}
	}
	proxies, err := server.ParseTrustedProxies(*trustedProxy)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, app.Config{DataDir: c.data, DatabaseURL: c.databaseURL, SecretKey: os.Getenv("BALIE_SECRET_KEY"), SecureCookies: secureCookies,
		AllowPrivateTargets: *allowPrivate, TrustedProxies: proxies, PublicURL: *publicURL, SMTPAddr: *smtpAddr, SMTPHostname: *smtpHost, Log: log,
		CommerceURL: *commerceURL, CommerceSecret: os.Getenv("BALIE_COMMERCE_SECRET")})
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if withDemo {
		res, err := demo.Seed(ctx, demo.Deps{Store: a.Store, Conversations: a.Conversations, HashPassword: auth.HashPassword, Clock: a.Clock})
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		printDemo(stdout, ln.Addr().String(), res)
	}
	if *debugAddr != "" {
		go servePprof(*debugAddr, log)
	}
	bctx, stopWorkers := context.WithCancel(context.Background())
	a.Start(bctx)
	// On the way out: stop serving, then let the workers finish what they
	// hold (an outbox delivery in flight records its result), then close
	// the store (deferred above).
	defer func() {
		stopWorkers()
		a.Wait()
	}()
	srv := server.New(*addr, a.Handler, log)
	log.Info("balie is running", "url", "http://"+ln.Addr().String(), "store", a.Where, "version", version,
		"secure_cookies", secureCookies, "trusted_proxies", len(proxies))
	if secureCookies {
		log.Info("session cookies are Secure: open balie through HTTPS (a reverse proxy), or pass --secure-cookies=false")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func printDemo(w io.Writer, addr string, res *demo.Result) {
	fmt.Fprintf(w, "\nbalie demo: Fietsenwinkel De Spaak is loaded.\n")
	fmt.Fprintf(w, "  Agent workspace:    http://%s/app\n", addr)
	fmt.Fprintf(w, "  Log in as admin:    %s / %s\n", res.AdminEmail, res.AdminPassword)
	for _, l := range res.Agents {
		fmt.Fprintf(w, "  or as:              %s / %s (%s)\n", l.Email, l.Password, l.Role)
	}
	fmt.Fprintf(w, "  Chat as a customer: http://%s/widget/demo?inbox=%s\n\n", addr, res.WebchatKey)
}

// servePprof exposes the profiler on its own listener, never on the public one.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	log.Info("profiler listening", "addr", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Error("profiler", "err", err)
	}
}
