package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// What to do with a target table that exists but was not created by the
// consumer (Config.ExistingTables), as DTS's "processing mode in existed
// target table".
const (
	// ExistingIntercept refuses to write into it (DTS's "precheck and
	// intercept"), the default.
	ExistingIntercept = "intercept"
	// ExistingUse writes into it (DTS's "ignore errors and proceed"): the
	// columns it has are synchronized, the others left out, and it gets the
	// column __source_lsn. It needs a primary key or a unique index on the
	// key columns.
	ExistingUse = "use"
)

// ExistingTableError is a target table that exists, was not created by the
// consumer, and may not be written into as it is.
type ExistingTableError struct {
	Table  string
	Reason string
}

func (e *ExistingTableError) Error() string {
	return fmt.Sprintf("apply: target table %s %s", e.Table, e.Reason)
}

// existing is what the applier learned of a target table that was there
// before it: its columns, and how events' tables project onto them.
type existing struct {
	foreign bool            // exists, and not created by the consumer
	cols    map[string]bool // its columns
	derived map[*catalog.Table]projection
}

type projection struct {
	table *catalog.Table
	keep  []int // indexes of the source columns kept, in order
}

// adopt returns events with the tables of foreign target tables projected
// onto the columns those tables have, after checking, once per target
// table, that it may be written into. Tables that do not exist yet, or that
// the consumer created (they have __source_lsn), pass as they are.
func (a *Applier) adopt(ctx context.Context, tx pgx.Tx, events []*event.Event) ([]*event.Event, error) {
	out, copied := events, false
	native := map[*catalog.Table]bool{} // tables whose target is our own: most events
	for i, e := range events {
		if native[e.Table] {
			continue
		}
		s, n := a.name(e.Table)
		ex, err := a.existingTable(ctx, tx, s, n, e.Table)
		if err != nil {
			return nil, err
		}
		if !ex.foreign {
			native[e.Table] = true
			continue
		}
		p, err := a.project(ex, s, n, e.Table)
		if err != nil {
			return nil, err
		}
		if p.table == e.Table {
			continue
		}
		if !copied {
			out, copied = slices.Clone(events), true
		}
		c := *e
		c.Table = p.table
		c.Before, c.After = pick(e.Before, p.keep), pick(e.After, p.keep)
		out[i] = &c
	}
	return out, nil
}

func pick(row event.Row, keep []int) event.Row {
	if row == nil {
		return nil
	}
	out := make(event.Row, len(keep))
	for i, j := range keep {
		out[i] = row[j]
	}
	return out
}

func (a *Applier) existingTable(ctx context.Context, tx pgx.Tx, schema, name string, src *catalog.Table) (*existing, error) {
	k := schema + "\x00" + name
	a.mu.Lock()
	ex := a.existing[k]
	a.mu.Unlock()
	if ex != nil {
		return ex, nil
	}
	t := &TargetTable{Schema: schema, Name: name}
	cols, err := targetColumns(ctx, tx, t)
	if err != nil {
		return nil, err
	}
	ex = &existing{cols: cols, foreign: len(cols) > 0 && !cols[PositionColumn], derived: map[*catalog.Table]projection{}}
	if ex.foreign {
		if a.existingMode != ExistingUse && !a.noSchemaSync {
			return nil, &ExistingTableError{Table: t.Ident(), Reason: fmt.Sprintf("exists and was not created by this program (EXISTING_TABLES=%s, DTS's "+
				"\"precheck and intercept\"): nothing was written into it. Map the source table %s to another target name in the mapping file, "+
				"rename or drop the existing table, or set EXISTING_TABLES=use to synchronize into it", ExistingIntercept, src.QualifiedName())}
		}
		if err := checkUniqueKey(ctx, tx, t, src.PrimaryKey); err != nil {
			return nil, err
		}
	} else if len(cols) > 0 {
		// A table created for other rules: merged shards before and not
		// now (or the other way round) key it differently, and the upserts'
		// ON CONFLICT would fail with a message that names no setting.
		if err := checkUniqueKey(ctx, tx, t, src.PrimaryKey); err != nil {
			var ete *ExistingTableError
			if !errors.As(err, &ete) {
				return nil, err // the indexes could not be read: no finding about the key
			}
			return nil, &ExistingTableError{Table: t.Ident(), Reason: fmt.Sprintf("was created by this program with another key than the events of %s now have (%s): "+
				"were shards merged into it with %s before and not now, or the other way round? Map the source to a new target table, "+
				"or drop this one and replay the topics into it", src.QualifiedName(), strings.Join(src.PrimaryKey, ", "), DataSourceColumn)}
		}
	}
	a.mu.Lock()
	a.existing[k] = ex
	a.mu.Unlock()
	return ex, nil
}

// checkUniqueKey makes sure t has a primary key or a unique index on
// exactly the key columns: the upserts' ON CONFLICT needs one.
func checkUniqueKey(ctx context.Context, tx pgx.Tx, t *TargetTable, key []string) error {
	rows, err := tx.Query(ctx, `SELECT array_agg(a.attname::text ORDER BY a.attname)
FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
GROUP BY i.indexrelid`, t.Ident())
	if err != nil {
		return fmt.Errorf("apply: read the unique indexes of %s: %w", t.Ident(), err)
	}
	sets, err := pgx.CollectRows(rows, pgx.RowTo[[]string])
	if err != nil {
		return fmt.Errorf("apply: read the unique indexes of %s: %w", t.Ident(), err)
	}
	want := slices.Sorted(slices.Values(key))
	for _, s := range sets {
		if slices.Equal(s, want) {
			return nil
		}
	}
	return &ExistingTableError{Table: t.Ident(), Reason: fmt.Sprintf("has no primary key or unique index on the key columns (%s): add one, "+
		"as DTS requires of target tables, for example ALTER TABLE %s ADD PRIMARY KEY (%s)", strings.Join(key, ", "), t.Ident(), quoteList(key))}
}

// project returns how src's events go into the foreign table ex: the
// columns it has, in source order, logged once.
func (a *Applier) project(ex *existing, schema, name string, src *catalog.Table) (projection, error) {
	a.mu.Lock()
	p, ok := ex.derived[src]
	a.mu.Unlock()
	if ok {
		return p, nil
	}
	ident := (&TargetTable{Schema: schema, Name: name}).Ident()
	var synced, left []string
	d := *src
	d.Columns = nil
	for i, c := range src.Columns {
		if ex.cols[c.Name] {
			p.keep = append(p.keep, i)
			d.Columns = append(d.Columns, c)
			synced = append(synced, c.Name)
		} else {
			left = append(left, c.Name)
		}
	}
	for _, k := range src.PrimaryKey {
		if !ex.cols[k] {
			return p, &ExistingTableError{Table: ident, Reason: fmt.Sprintf("has no column %q of the key of %s: it cannot hold that table's rows", k, src.QualifiedName())}
		}
	}
	var extra []string
	for c := range ex.cols {
		if src.ColumnIndex(c) < 0 && c != PositionColumn {
			extra = append(extra, c)
		}
	}
	slices.Sort(extra)
	p.table = src
	if len(left) > 0 {
		p.table = &d
	}
	a.log.Warn("writing into an existing target table not created by this program (EXISTING_TABLES=use)", "table", ident, "source", src.QualifiedName(),
		"synchronized_columns", strings.Join(synced, ","), "left_out_source_columns", strings.Join(left, ","),
		"target_columns_not_in_source", strings.Join(extra, ","))
	a.mu.Lock()
	ex.derived[src] = p
	a.mu.Unlock()
	return p, nil
}
