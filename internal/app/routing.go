package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/routing"
)

// routingLock is the PostgreSQL advisory lock whose holder is the one node
// that assigns conversations ("balie" and "rt" in ASCII).
const routingLock int64 = 0x62616c6965_7274

// newRouting makes the routing service: on SQLite the single node routes;
// on PostgreSQL whichever node holds routingLock does.
func (a *App) newRouting(st desk.Store, cfg Config) *routing.Service {
	opts := routing.Options{Clock: a.Clock, Log: a.Log,
		BotHandles: func(in *desk.Inbox, c *desk.Conversation) bool {
			return front.BotConfigOf(in).Enabled && c.HandedOverAt.IsZero()
		}}
	if cfg.DatabaseURL != "" {
		opts.Lead = pgLeader(cfg.DatabaseURL, routingLock, a.Log)
	}
	return routing.NewService(st, a.Conversations, a.Bus, opts)
}

// pgLeader waits until this node holds the advisory lock on a connection
// of its own, and returns a context that ends when the connection (and with
// it the lock) is lost. Another node then takes over within a few seconds.
func pgLeader(dsn string, lock int64, log *slog.Logger) func(ctx context.Context) (context.Context, error) {
	const every = 5 * time.Second
	return func(ctx context.Context) (context.Context, error) {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("advisory lock: %w", err)
		}
		for {
			var got bool
			if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", lock).Scan(&got); err != nil {
				conn.Close(context.WithoutCancel(ctx))
				return nil, fmt.Errorf("advisory lock: %w", err)
			}
			if got {
				break
			}
			select {
			case <-ctx.Done():
				conn.Close(context.WithoutCancel(ctx))
				return nil, ctx.Err()
			case <-time.After(every):
			}
		}
		lctx, cancel := context.WithCancel(ctx)
		go func() {
			defer cancel()
			// Closing the connection releases the lock for the next node.
			defer conn.Close(context.WithoutCancel(ctx))
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-lctx.Done():
					return
				case <-t.C:
					pctx, pcancel := context.WithTimeout(lctx, every)
					err := conn.Ping(pctx)
					pcancel()
					if err != nil && lctx.Err() == nil {
						log.Warn("lost the advisory lock", "lock", lock, "err", err)
						return
					}
				}
			}
		}()
		return lctx, nil
	}
}

// imapLock is the PostgreSQL advisory lock whose holder polls the email
// inboxes' mailboxes ("balie" and "im"): one node fetches each mail once,
// rather than every node fetching it and the store refusing the copies.
const imapLock int64 = 0x62616c6965_696d

// whileLeading runs run for as long as this node leads (lead: see
// routing.Options.Lead; nil: always), and again whenever it leads anew,
// until ctx ends.
func whileLeading(ctx context.Context, lead func(context.Context) (context.Context, error), log *slog.Logger,
	what string, run func(context.Context)) {
	if lead == nil {
		run(ctx)
		return
	}
	for ctx.Err() == nil {
		lctx, err := lead(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("waiting to lead", "what", what, "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(5 * time.Second):
				}
			}
			continue
		}
		log.Info("this node leads", "what", what)
		run(lctx)
	}
}
