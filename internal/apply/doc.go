// Package apply writes change events into PostgreSQL or AnalyticDB for
// PostgreSQL: it creates target schemas and tables from the source catalog
// (types mapped in types.go, see TYPES.md), adds columns the source gained,
// and applies each batch in one transaction (or one per Kafka partition,
// Config.Parallelism) — per table, events compacted by key (ahead of time
// with Prepare), new rows copied straight into the table when none is
// there yet (direct.go), the others COPY'd into a temporary staging table
// kept for the connection and merged with set-based DELETE … USING and
// INSERT … ON CONFLICT DO UPDATE — together with the Kafka offsets that
// produced it. The COPY data is encoded here (copy.go).
//
// Every target row carries the source position (commit LSN, change LSN,
// serial number) of the change that wrote it, in the hidden bytea column
// __source_lsn, and deleted keys are remembered with their position in
// <bookkeeping schema>.deleted_keys, so a replayed older event can move
// neither a row nor a deletion backwards.
//
// A consumer typically does:
//
//	a, err := apply.New(ctx, pool, apply.Config{}) // dialect detected from version()
//	next, err := a.Offsets(ctx, group, topic)       // resume after what the target holds
//	// ... decode records into events, then for each bounded batch:
//	b := apply.Batch{Group: group, Events: events, From: origins, Offsets: offsets}
//	a.Prepare(&b) // optional: compacts b while the previous batch is applied
//	err = a.Apply(ctx, b)
package apply
