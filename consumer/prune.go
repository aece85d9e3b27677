package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// pruner is what pruneDeletedKeys needs of the applier.
type pruner interface {
	PruneDeletedKeys(ctx context.Context, olderThan time.Duration) (int64, error)
}

// pruneEvery is how often deleted keys older than retention are pruned:
// hourly, or four times per retention when that is shorter.
func pruneEvery(retention time.Duration) time.Duration {
	return max(min(time.Hour, retention/4), time.Second)
}

// pruneDeletedKeys prunes the deleted keys older than retention at start
// and then every pruneEvery(retention), until ctx ends. A failed prune is
// logged and tried again at the next tick: the keys are only kept longer.
func pruneDeletedKeys(ctx context.Context, log *slog.Logger, p pruner, retention time.Duration, pruned prometheus.Counter) {
	tick := time.NewTicker(pruneEvery(retention))
	defer tick.Stop()
	for {
		n, err := p.PruneDeletedKeys(ctx, retention)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("could not prune deleted keys; trying again later", "retention", retention, "err", err)
		case n > 0:
			pruned.Add(float64(n))
			log.Info("pruned deleted keys", "keys", n, "older_than", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
