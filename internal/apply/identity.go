package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// SourcesTable is the bookkeeping table that records, for each target table
// the consumer writes, which source table its rows come from and from which
// life of the source database (event.Identity). Events of another source,
// or of another life of the same database, are never applied over them.
const SourcesTable = "table_sources"

// DataSourceColumn is the column a merged target table tells its sources
// apart by, as DTS's "merge multi tables" does: <source name>:<database>.<schema>.<table>.
// It is part of the table's key, so shards that reuse key values keep their
// own rows; a merged target table holds the rows of several source tables.
const DataSourceColumn = "__dts_data_source"

// merged reports whether e's table carries the data-source column.
func merged(e *event.Event) bool {
	i := e.Table.ColumnIndex(DataSourceColumn)
	return i >= 0 && e.Table.Columns[i].Name == DataSourceColumn
}

// SourceChangedError is a batch whose events come from another life of the
// source database (dropped and recreated, or restored) than the rows of
// their target table. Nothing of the batch was applied.
type SourceChangedError struct {
	Target string // the target table, quoted
	Topic  string
	Stored event.Identity
	Found  event.Identity
}

func (e *SourceChangedError) Error() string {
	return fmt.Sprintf("apply: target table %s holds rows of %s, but topic %s now carries rows of %s: the source database was dropped and recreated, "+
		"or restored, and its rows are other rows with the same keys. Nothing was applied. Ways out: set STALE_STATE=rebuild to replace the table's rows "+
		"with what the topic holds for the new database, in one transaction; or drop the target table and delete its row in %s and the group's offsets for the topic",
		e.Target, e.Stored, e.topic(), e.Found, SourcesTable)
}

func (e *SourceChangedError) topic() string {
	if e.Topic == "" {
		return "(unknown)"
	}
	return e.Topic
}

// SourceConflictError is a batch whose events come from another source
// table than the rows its target table holds (two databases with a
// same-named table, say). Nothing of the batch was applied.
type SourceConflictError struct {
	Target string
	Topic  string
	Stored event.Identity
	Found  event.Identity
}

func (e *SourceConflictError) Error() string {
	topic := e.Topic
	if topic == "" {
		topic = "(unknown)"
	}
	return fmt.Sprintf("apply: target table %s holds rows of %s, and topic %s carries rows of another source table, %s, for the same target table: "+
		"they would overwrite each other's rows. Nothing was applied. Ways out: map them to different target tables, or merge them into one table "+
		"told apart by "+DataSourceColumn+" (target_schema, target_table and merge: true in the mapping file, MAPPING_FILE), "+
		"or drop the target table and its row in %s if it should now hold the other source",
		e.Target, e.Stored.String(), topic, e.Found.String(), SourcesTable)
}

// found is one distinct source identity of a batch's events for a target.
type found struct {
	id     event.Identity
	topic  string
	merged bool
}

// checkSources makes sure every event's source may write its target table:
// a target table holds the rows of one source table from one life of its
// database. The first source seen for a target is recorded in SourcesTable
// in tx; an identity recorded without an incarnation (by an older version)
// adopts the events'. It returns the identities now known per target, to
// cache once tx commits.
func (a *Applier) checkSources(ctx context.Context, tx pgx.Tx, events []*event.Event, origins []Origin) (map[string][]event.Identity, error) {
	byTarget := map[string][]found{}
	idents := map[string]string{} // target key → quoted name, for messages
	var keys []string
	type named struct {
		s, n, k string
		merged  bool
	}
	names := map[*catalog.Table]named{} // events of one table share it
	var last found                      // the previous event's: most events repeat it
	lastK := ""
	for i, e := range events {
		nm, ok := names[e.Table]
		if !ok {
			nm.s, nm.n = a.name(e.Table)
			nm.k = nm.s + "\x00" + nm.n
			nm.merged = merged(e)
			names[e.Table] = nm
		}
		s, n, k := nm.s, nm.n, nm.k
		f := found{id: e.Identity(), merged: nm.merged}
		if origins != nil {
			f.topic = origins[i].Topic
		}
		if i > 0 && k == lastK && f == last {
			continue
		}
		last, lastK = f, k
		if _, ok := byTarget[k]; !ok {
			keys = append(keys, k)
			idents[k] = (&TargetTable{Schema: s, Name: n}).Ident()
		}
		if !slices.ContainsFunc(byTarget[k], func(g found) bool { return g.id == f.id }) {
			byTarget[k] = append(byTarget[k], f)
		}
	}
	// Targets whose events all match what was committed need no query.
	a.mu.Lock()
	var check []string
	for _, k := range keys {
		known := a.sources[k]
		for _, f := range byTarget[k] {
			if !slices.Contains(known, f.id) {
				check = append(check, k)
				break
			}
		}
	}
	a.mu.Unlock()
	if len(check) == 0 {
		return nil, nil
	}
	// Serialize with other consumers recording a first source for the same
	// targets (two sources racing for one target must not both win). The
	// locks are taken in one order, and before any DDL lock.
	slices.Sort(check)
	for _, k := range check {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "mssql2adb sources:"+idents[k]); err != nil {
			return nil, fmt.Errorf("apply: lock the source record of %s: %w", idents[k], err)
		}
	}
	out := map[string][]event.Identity{}
	for _, k := range check {
		schema, name, _ := strings.Cut(k, "\x00")
		stored, err := a.storedSources(ctx, tx, schema, name)
		if err != nil {
			return nil, err
		}
		for _, f := range byTarget[k] {
			i := slices.IndexFunc(stored, func(s event.Identity) bool { return s.SameObject(f.id) })
			switch {
			case i < 0 && len(stored) > 0 && !f.merged:
				return nil, &SourceConflictError{Target: idents[k], Topic: f.topic, Stored: stored[0], Found: f.id}
			case i < 0:
				if err := a.recordSource(ctx, tx, schema, name, f); err != nil {
					return nil, err
				}
				stored = append(stored, f.id)
			case stored[i].Incarnation == f.id.Incarnation || f.id.Incarnation == "":
			case stored[i].Incarnation == "":
				if err := a.recordSource(ctx, tx, schema, name, f); err != nil {
					return nil, err
				}
				stored[i] = f.id
			default:
				return nil, &SourceChangedError{Target: idents[k], Topic: f.topic, Stored: stored[i], Found: f.id}
			}
		}
		out[k] = stored
		for _, f := range byTarget[k] {
			if !slices.Contains(out[k], f.id) { // accepted without an incarnation
				out[k] = append(out[k], f.id)
			}
		}
	}
	return out, nil
}

func (a *Applier) storedSources(ctx context.Context, tx pgx.Tx, schema, name string) ([]event.Identity, error) {
	rows, err := tx.Query(ctx, "SELECT source_name, source_database, source_schema, source_table, source_incarnation FROM "+
		quote(a.bk)+"."+SourcesTable+" WHERE target_schema = $1 AND target_table = $2 ORDER BY recorded_at", schema, name)
	if err != nil {
		return nil, fmt.Errorf("apply: read the sources of %s.%s: %w", schema, name, err)
	}
	ids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (event.Identity, error) {
		var id event.Identity
		err := r.Scan(&id.Name, &id.Database, &id.Schema, &id.Table, &id.Incarnation)
		return id, err
	})
	if err != nil {
		return nil, fmt.Errorf("apply: read the sources of %s.%s: %w", schema, name, err)
	}
	return ids, nil
}

// recordSource stores f as the source of the target table (replacing the
// incarnation of the same source object).
func (a *Applier) recordSource(ctx context.Context, tx pgx.Tx, schema, name string, f found) error {
	_, err := tx.Exec(ctx, "INSERT INTO "+quote(a.bk)+"."+SourcesTable+
		" AS s (target_schema, target_table, source_name, source_database, source_schema, source_table, source_incarnation, topic)\n"+
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8)\n"+
		"ON CONFLICT (target_schema, target_table, source_name, source_database, source_schema, source_table)\n"+
		"DO UPDATE SET source_incarnation = EXCLUDED.source_incarnation, topic = EXCLUDED.topic, recorded_at = now()",
		schema, name, f.id.Name, f.id.Database, f.id.Schema, f.id.Table, f.id.Incarnation, f.topic)
	if err != nil {
		return fmt.Errorf("apply: record the source of %s.%s: %w", schema, name, err)
	}
	return nil
}
