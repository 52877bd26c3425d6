package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/balie-dev/balie/internal/app"
	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/kb/kbfile"
)

// openKB opens the store and a knowledge-base service on it. Running
// servers pick up what a command changes within their poll interval.
func openKB(ctx context.Context, c common) (*kb.Service, desk.Store, error) {
	st, _, err := app.OpenStore(ctx, c.config())
	if err != nil {
		return nil, nil, err
	}
	return kb.New(st, bus.NewLocal(0), desk.SystemClock{}, slog.New(slog.DiscardHandler), kb.Options{}), st, nil
}

// cmdImportKB reads Markdown files with front matter into the knowledge base.
//
//	balie import kb DIR [--as EMAIL]
func cmdImportKB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import kb", flag.ContinueOnError)
	var c common
	c.register(fs)
	as := fs.String("as", "", "agent email to record as the author (default: none)")
	dir, rest := splitDir(args)
	if err := parse(fs, rest); err != nil {
		return err
	}
	if dir == "" {
		return errors.New("usage: balie import kb DIR [--data ...|--database-url ...] [--as EMAIL]")
	}
	files, errs := kbfile.ReadDir(dir)
	for _, err := range errs {
		fmt.Fprintln(stderr, "skipped:", err)
	}
	svc, st, err := openKB(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	var by *desk.Agent
	if *as != "" {
		if by, err = st.AgentByEmail(ctx, *as); err != nil {
			return fmt.Errorf("import kb: --as %s: %w", *as, err)
		}
	}
	bar := newProgress(stderr, "importing")
	rep := svc.Import(ctx, by, files, bar.update)
	bar.done()
	for _, err := range rep.Errors {
		fmt.Fprintln(stderr, "error:", err)
	}
	fmt.Fprintf(stdout, "%d created, %d updated, %d unchanged, %d categories created, %d errors\n",
		rep.Created, rep.Updated, rep.Unchanged, rep.Categories, len(rep.Errors)+len(errs))
	if n := len(rep.Errors) + len(errs); n > 0 {
		return fmt.Errorf("import kb: %d files failed", n)
	}
	return nil
}

// cmdExportKB writes every article as DIR/<locale>/<slug>.md.
//
//	balie export kb DIR
func cmdExportKB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export kb", flag.ContinueOnError)
	var c common
	c.register(fs)
	dir, rest := splitDir(args)
	if err := parse(fs, rest); err != nil {
		return err
	}
	if dir == "" {
		return errors.New("usage: balie export kb DIR [--data ...|--database-url ...]")
	}
	svc, st, err := openKB(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	files, err := svc.Export(ctx)
	if err != nil {
		return err
	}
	bar := newProgress(stderr, "exporting")
	for i, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(kbfile.FileName(f)))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("export kb: %w", err)
		}
		if err := os.WriteFile(path, f.Marshal(), 0o644); err != nil {
			return fmt.Errorf("export kb: %w", err)
		}
		bar.update(i+1, len(files))
	}
	bar.done()
	fmt.Fprintf(stdout, "%d articles written to %s\n", len(files), dir)
	return nil
}

// splitDir takes the first argument that is not a flag as the directory,
// so that it may come before or after the flags.
func splitDir(args []string) (string, []string) {
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if i > 0 && !strings.Contains(args[i-1], "=") && flagTakesValue(args[i-1]) {
			continue
		}
		return a, append(append([]string{}, args[:i]...), args[i+1:]...)
	}
	return "", args
}

func flagTakesValue(f string) bool {
	switch strings.TrimLeft(f, "-") {
	case "data", "database-url", "log-level", "as":
		return true
	}
	return false
}

// progress draws a progress bar on a terminal, and a line every 10% elsewhere.
type progress struct {
	w     io.Writer
	label string
	tty   bool
	last  int
	start time.Time
}

func newProgress(w io.Writer, label string) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, label: label, tty: tty, last: -1, start: time.Now()}
}

func (p *progress) update(done, total int) {
	if total == 0 {
		return
	}
	pct := done * 100 / total
	if p.tty {
		const width = 30
		fill := done * width / total
		fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d", p.label, strings.Repeat("#", fill), strings.Repeat(" ", width-fill), done, total)
		return
	}
	if pct/10 != p.last/10 || done == total {
		p.last = pct
		fmt.Fprintf(p.w, "%s: %d/%d (%d%%)\n", p.label, done, total, pct)
	}
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintf(p.w, " %s\n", time.Since(p.start).Round(time.Millisecond))
	}
}
