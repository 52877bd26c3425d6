// Command balie is the customer-contact platform: one binary that serves the
// agent workspace, the web-chat widget and the API, and administers them.
// Run `balie help` for the subcommands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "balie:", err)
		os.Exit(1)
	}
}
