package main

import (
	"context"
	"fmt"

	"github.com/mssql2adb/mssql2adb/internal/publish"
)

// scaleTables is how many tables (topics) the scale-out run spreads its
// rows over; each topic has -partitions partitions.
const scaleTables = 3

// scaleOut writes -rows insert-only events spread over scaleTables tables,
// then applies them with 1, 2, … -consumers consumer processes of one
// group (a fresh group and database each time), each run timed from the
// processes' start until every offset is stored in the target.
func scaleOut(ctx context.Context, env stack, o options, progress func(Result)) error {
	const prefix = "benchscale"
	w := workloads[0] // insert-only
	var topics []string
	per := max(o.rows/scaleTables, 1)
	for i := range scaleTables {
		t := benchTable("bench", fmt.Sprintf("Scale%d", i))
		if _, err := produceTable(ctx, env, prefix, t, w, per, o); err != nil {
			return fmt.Errorf("produce %s: %w", t.Name, err)
		}
		topics = append(topics, publish.Topic(prefix, t))
	}
	for k := 1; k <= o.consumers; k++ {
		what := fmt.Sprintf("%d consumer process(es), one group, %d topics × %d partitions, insert-only", k, scaleTables, o.partitions)
		db := fmt.Sprintf("scale_%d", k)
		r, err := consumeTopics(ctx, env, o, prefix, topics, db, what, per*scaleTables, k)
		env.dropDatabase(ctx, db)
		if err != nil {
			return fmt.Errorf("%d consumers: %w", k, err)
		}
		r.Note = fmt.Sprintf("events/s of the group; %.0f per process; peak RSS of the largest process; phases summed over processes", r.PerSec/float64(k))
		progress(r)
	}
	return nil
}
