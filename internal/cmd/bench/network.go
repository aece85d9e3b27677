package main

import (
	"context"
	"fmt"

	"github.com/mssql2adb/mssql2adb/internal/faultproxy"
	"github.com/mssql2adb/mssql2adb/internal/publish"
)

// networkBaselineRows bounds the row-at-a-time baseline over a network: it
// pays a round trip per row.
const networkBaselineRows = 10_000

// overNetwork runs the row-at-a-time baseline and the consumer's
// insert-only stream again with PostgreSQL behind a proxy that delays every
// byte by half of o.targetRTT each way, as a warehouse across a network
// is: there a round trip per row, not the server, bounds a row-at-a-time
// sink, while COPY streams. On one machine the baseline pays no network at
// all, which flatters it.
func overNetwork(ctx context.Context, env stack, o options, progress func(Result)) error {
	px, err := faultproxy.Start(fmt.Sprintf("127.0.0.1:%d", env.pg.Port()))
	if err != nil {
		return err
	}
	defer px.Close()
	px.SetDelay(o.targetRTT / 2)
	remote := env
	remote.via = px.Addr()
	over := fmt.Sprintf(" over a %s round trip", o.targetRTT)

	b, err := rowAtATime(ctx, remote, "baseline_network", min(o.baselineRows, networkBaselineRows))
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	b.What += over
	progress(b)

	w := workloads[0] // insert-only
	const prefix = "benchnet"
	if _, err := produce(ctx, env, prefix, w, o); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	t := w.tableFor("bench", "insert_only")
	c, err := consumeTopic(ctx, remote, o, prefix, publish.Topic(prefix, t), "consumer_network", "consumer "+w.name+over, w.rowsFor(o))
	env.dropDatabase(ctx, "consumer_network")
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	c.vsCeiling = true
	c.Note += fmt.Sprintf("; %.0f × the row-at-a-time baseline over the same round trip", c.PerSec/b.PerSec)
	progress(c)
	return nil
}
