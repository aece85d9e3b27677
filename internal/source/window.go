package source

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// Between an ALTER TABLE … ADD and the start of the capture instance that
// captures the new column, changes reach only the old instance, which has no
// value for the column (SQL Server's design: the new instance cannot be
// created before the DDL commits, and a transaction may write rows before
// and after the ALTER). When the switch completes, the rows those changes
// left are read again from the table and emitted as updates without a
// before image (as Debezium's are for tables without full row images),
// positioned just after the last change read from the old instance: the
// target gets the new columns' values, and every later change, from the new
// instance, still wins. (Not as read events: a snapshot reads a key once.)

// qWindowKeys lists the keys of the rows a capture instance changed in
// [@p1, @p2].
func qWindowKeys(t *catalog.Table) string {
	keys := make([]string, len(t.PrimaryKey))
	for i, k := range t.PrimaryKey {
		keys[i] = quoteName(k)
	}
	return "SELECT " + strings.Join(keys, ", ") + " FROM cdc." + quoteName("fn_cdc_get_all_changes_"+t.CaptureInstance) + "(@p1, @p2, N'all')"
}

// qRowByKey reads one row by primary key (@p1... in key order).
func qRowByKey(t *catalog.Table) string {
	var sb strings.Builder
	sb.WriteString("SELECT " + columnList(t) + " FROM " + tableName(t) + " WHERE ")
	for i, k := range t.PrimaryKey {
		if i > 0 {
			sb.WriteString(" AND ")
		}
		fmt.Fprintf(&sb, "%s = @p%d", quoteName(k), i+1)
	}
	return sb.String()
}

// windowEvents re-reads the rows the old instance of ts changed after
// ts.addLSN (the ADD COLUMN) up to ts.oldReadTo, as the new instance's
// table describes them.
func (r *Reader) windowEvents(ctx context.Context, ts *tableState) ([]*event.Event, error) {
	if ts.next == nil || ts.addLSN.IsZero() {
		return nil, nil
	}
	from, to := increment(ts.addLSN), ts.oldReadTo
	if minL, err := r.minLSN(ctx, ts.t.CaptureInstance); err != nil {
		return nil, err
	} else if from.Compare(minL) < 0 {
		from = minL
	}
	if from.Compare(to) > 0 {
		return nil, nil
	}
	qual := ts.t.QualifiedName()
	rows, err := r.db.QueryContext(ctx, qWindowKeys(ts.t), from.Bytes(), to.Bytes())
	if err != nil {
		return nil, fmt.Errorf("table %s: read the keys changed while switching capture instances: %w", qual, err)
	}
	seen := map[string]bool{}
	var keys [][]any
	keyCols := make([]*catalog.Column, len(ts.keyIdx))
	for i, j := range ts.keyIdx {
		keyCols[i] = &ts.t.Columns[j]
	}
	for rows.Next() {
		raw := make([]any, len(keyCols))
		ptrs := make([]any, len(raw))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("table %s: %w", qual, err)
		}
		texts := make([]string, len(raw))
		params := make([]any, len(raw))
		for i, c := range keyCols {
			v, err := convert(c, raw[i])
			if err == nil {
				texts[i], err = keyText(c, v)
			}
			if err == nil {
				params[i], err = keyParam(c, v)
			}
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("table %s: %w", qual, err)
			}
		}
		if k := strings.Join(texts, "\x00"); !seen[k] {
			seen[k] = true
			keys = append(keys, params)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("table %s: %w", qual, err)
	}
	nt := ts.next
	now := time.Now().UnixMilli()
	var out []*event.Event
	for _, k := range keys {
		got, err := r.readRow(ctx, nt, k)
		if err != nil {
			return nil, err
		}
		if got == nil {
			continue // deleted since: its delete is in the stream
		}
		out = append(out, &event.Event{Table: nt.t, Op: event.OpUpdate, After: got, TsMs: now,
			Source: r.sourceBlock(nt, "false", now, to, to, 0)})
	}
	if len(out) > 0 {
		r.cfg.Logger.Info("source: re-read rows changed between ADD COLUMN and the new capture instance", "table", qual, "rows", len(out))
	}
	return out, nil
}

func (r *Reader) readRow(ctx context.Context, ts *tableState, key []any) (event.Row, error) {
	rows, err := r.db.QueryContext(ctx, qRowByKey(ts.t), key...)
	if err != nil {
		return nil, fmt.Errorf("table %s: read a row by key: %w", ts.t.QualifiedName(), err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, closeRows(rows)
	}
	raw := make([]any, len(ts.t.Columns))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("table %s: read a row by key: %w", ts.t.QualifiedName(), err)
	}
	row := make(event.Row, len(raw))
	for i := range raw {
		if row[i], err = convert(&ts.t.Columns[i], raw[i]); err != nil {
			return nil, fmt.Errorf("table %s: %w", ts.t.QualifiedName(), err)
		}
	}
	return row, closeRows(rows)
}

// addLSN is the LSN of the first DDL recorded on the table since from that
// names one of the columns.
func (v *schemaView) addLSN(objectID int64, from lsn.LSN, columns []string) lsn.LSN {
	for _, d := range v.ddl { // in ddl_lsn order
		if d.objectID != objectID || d.lsn.Compare(from) < 0 {
			continue
		}
		for _, c := range columns {
			if strings.Contains(lower(d.command), lower(c)) {
				return d.lsn
			}
		}
	}
	return lsn.Zero
}
