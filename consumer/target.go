package main

import (
	"fmt"
	"net"
	"strings"
	"time"

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
func targetPoolConfig(dsn string, parallelism int) (*pgxpool.Config, error) {
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
	return pcfg, nil
}
