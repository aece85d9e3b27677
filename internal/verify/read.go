package verify

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// ScanFunc converts one value as database/sql returned it from SQL Server
// into the event package's Go type for the column (the source reader's
// conversion), so that both sides are canonicalised alike.
type ScanFunc func(c catalog.Column, v any) (any, error)

// ReadSource reads every row of t from SQL Server.
func ReadSource(ctx context.Context, db *sql.DB, t *catalog.Table, conv ScanFunc) (*Side, error) {
	keyIdx, err := t.KeyIndexes()
	if err != nil {
		return nil, err
	}
	side := NewSide()
	if err := ReadSourceInto(ctx, db, t, conv, side, keyIdx); err != nil {
		return nil, err
	}
	return side, nil
}

// ReadSourceInto adds every row of t from SQL Server to side, each followed
// by the values extra (a merged table's __dts_data_source, so that several
// source tables make up one side); keyIdx are the key's indexes in the
// extended row.
func ReadSourceInto(ctx context.Context, db *sql.DB, t *catalog.Table, conv ScanFunc, side *Side, keyIdx []int, extra ...any) error {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = "[" + strings.ReplaceAll(c.Name, "]", "]]") + "]"
	}
	q := fmt.Sprintf("SELECT %s FROM [%s].[%s]", strings.Join(cols, ", "), strings.ReplaceAll(t.Schema, "]", "]]"), strings.ReplaceAll(t.Name, "]", "]]"))
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("read source %s: %w", t.QualifiedName(), err)
	}
	defer rows.Close()
	raw := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read source %s: %w", t.QualifiedName(), err)
		}
		vals := make([]any, len(raw), len(raw)+len(extra))
		for i, v := range raw {
			if vals[i], err = conv(t.Columns[i], v); err != nil {
				return fmt.Errorf("source %s column %s: %w", t.QualifiedName(), t.Columns[i].Name, err)
			}
			vals[i] = AsTarget(t.Columns[i], vals[i])
		}
		if err := side.Add(append(vals, extra...), keyIdx); err != nil {
			return fmt.Errorf("source %s: %w", t.QualifiedName(), err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read source %s: %w", t.QualifiedName(), err)
	}
	return nil
}

// ReadTarget reads the columns of t from its target table (schema and table
// named as at the source). A missing table reads as empty.
func ReadTarget(ctx context.Context, pool *pgxpool.Pool, t *catalog.Table) (*Side, error) {
	keyIdx, err := t.KeyIndexes()
	if err != nil {
		return nil, err
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = pgx.Identifier{c.Name}.Sanitize()
		if c.Type == "xml" {
			cols[i] += "::text" // pgx would parse xml with encoding/xml
		}
	}
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgx.Identifier{t.Schema, t.Name}.Sanitize()).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look for target %s.%s: %w", t.Schema, t.Name, err)
	}
	side := NewSide()
	if !exists {
		return side, nil
	}
	rows, err := pool.Query(ctx, fmt.Sprintf("SELECT %s FROM %s", strings.Join(cols, ", "), pgx.Identifier{t.Schema, t.Name}.Sanitize()))
	if err != nil {
		return nil, fmt.Errorf("read target %s.%s: %w", t.Schema, t.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("read target %s.%s: %w", t.Schema, t.Name, err)
		}
		for i := range vals {
			vals[i] = AsTarget(t.Columns[i], vals[i])
		}
		if err := side.Add(vals, keyIdx); err != nil {
			return nil, fmt.Errorf("target %s.%s: %w", t.Schema, t.Name, err)
		}
	}
	return side, rows.Err()
}

// AsTarget reduces a value of column c, read from either side, to what the
// target type keeps, where Canonical alone cannot tell: datetime becomes
// timestamp(3), so its 1/300 s ticks count to the millisecond (.0033333 is
// .003); time, datetime2 and datetimeoffset never round past the end of
// the day or of year 9999, as the producer rounds them; char and nchar lose their trailing blanks, which both databases
// ignore in comparisons and which differ when an nchar value holds
// characters outside the BMP (SQL Server pads by UTF-16 code units,
// PostgreSQL by characters).
func AsTarget(c catalog.Column, v any) any {
	switch x := v.(type) {
	case time.Time:
		switch c.Type {
		case "datetime":
			return x.Round(time.Millisecond)
		case "datetime2", "datetimeoffset":
			if r := x.Round(time.Microsecond); r.Year() > 9999 {
				return x.Truncate(time.Microsecond)
			}
		}
	case time.Duration:
		if r := x.Round(time.Microsecond); r >= 24*time.Hour {
			return x.Truncate(time.Microsecond)
		}
	case string:
		if c.Type == "char" || c.Type == "nchar" {
			return strings.TrimRight(x, " ")
		}
	}
	return v
}
