package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/balie-dev/balie/internal/app"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/eval"
)

// cmdEvalBot simulates customers with answerable and unanswerable
// questions talking to the bot (see eval.RunBot) and prints the shares
// solved, handed over and stuck as JSON.
//
//	balie eval bot [--data-dir ../shared/data] [--limit N]
func cmdEvalBot(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("eval bot", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "../shared/data", "folder with the public data sets")
	limit := fs.Int("limit", 0, "customers of each kind (0: all)")
	fs.Bool("json", true, "print JSON (the only format)")
	if err := parse(fs, args); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "balie-evalbot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	n := 0
	res, err := eval.RunBot(ctx, eval.BotOptions{DataDir: *dataDir, Limit: *limit,
		Open: func(ctx context.Context) (desk.Store, error) {
			n++
			st, _, err := app.OpenStore(ctx, app.Config{DataDir: filepath.Join(tmp, strconv.Itoa(n))})
			return st, err
		}})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
