package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// targetConnectTimeout bounds connecting to the target when TARGET_DSN sets
// no connect_timeout: a server that accepts connections and never answers
// (stalled, or half dead) must not hold a new connection for ever.
const targetConnectTimeout = 30 * time.Second

// targetKeepAlive makes the kernel probe an idle connection to the target
// after 30 s and drop it after three probes 10 s apart go unanswered, so a
// pooled connection to a server that died without a reset is found out in
// about a minute rather than pgx's default dialer's five minutes and more.
var targetKeepAlive = net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 10 * time.Second, Count: 3}

// targetPoolConfig parses TARGET_DSN into a pool configuration with the
// connect timeout and TCP keepalives above. Statements are bounded per
// batch by TARGET_STATEMENT_TIMEOUT (sink.Config.ApplyTimeout).
func targetPoolConfig(dsn string, parallelism int, idleInTx time.Duration) (*pgxpool.Config, error) {
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("TARGET_DSN does not parse (postgres://user:pass@host:5432/db or key=value form): %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") && int(pcfg.MaxConns) < parallelism+2 {
		// APPLY_PARALLELISM transactions, plus the analyze of deleted
		// keys and the status reads beside them.
		pcfg.MaxConns = int32(parallelism + 2)
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = targetConnectTimeout
	}
	d := &net.Dialer{KeepAliveConfig: targetKeepAlive}
	pcfg.ConnConfig.DialFunc = d.DialContext
	if idleInTx > 0 {
		pcfg.AfterConnect = endIdleTransactionsAfter(idleInTx)
	}
	return pcfg, nil
}

// endIdleTransactionsAfter has the server end a session whose transaction
// waits longer than d for the consumer's next statement. The consumer never
// does between two statements of an attempt (TARGET_STATEMENT_TIMEOUT bounds
// the whole of it), but a connection can be lost while the server still
// holds its end open (a network that dropped it without a reset): the
// server then keeps that transaction, and the offsets rows and DDL locks it
// holds, for as long as the TCP connection lives (hours), and every retry
// of the batch waits on them. Servers without the setting (Greenplum 6,
// PostgreSQL before 9.6) are left as they are.
func endIdleTransactionsAfter(d time.Duration) func(context.Context, *pgx.Conn) error {
	set := fmt.Sprintf("SET idle_in_transaction_session_timeout = %d", max(d.Milliseconds(), 1))
	return func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, set)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42704" { // undefined_object: the server has no such setting
			return nil
		}
		if err != nil {
			return fmt.Errorf("set idle_in_transaction_session_timeout on the target connection: %w", err)
		}
		return nil
	}
}
