// Package apply writes change events into PostgreSQL or AnalyticDB for
// PostgreSQL: it creates target schemas and tables from the source catalog
// (types mapped in types.go, see TYPES.md), adds columns the source gained,
// and applies each batch in one transaction — per table, events compacted by
// key, COPY into a temporary staging table, set-based DELETE … USING and
// INSERT … ON CONFLICT DO UPDATE — together with the Kafka offsets that
// produced it.
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
//	err = a.Apply(ctx, apply.Batch{Group: group, Events: events, From: origins, Offsets: offsets})
package apply
