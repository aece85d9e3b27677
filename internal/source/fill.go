package source

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// Columns added while a table is synchronized: they stay optional fields of
// its events across restarts (the position lists them), and the value SQL
// Server gave the rows that existed then travels as catalog.Column.Fill.

// restoreSchemaState applies what the position says about tables: the
// columns added while synchronized stay optional fields, stopped tables
// stay stopped.
func (r *Reader) restoreSchemaState(ctx context.Context, pos Position) error {
	var v *schemaView
	for _, ts := range r.tables {
		st := pos.Snapshot.Tables[ts.key]
		ts.resnapshot = st.Resnapshot
		if st.Stopped != "" && ts.stopped == "" {
			ts.stopped = st.Stopped
			r.update(func(p *Progress) { p.TablesStopped++ })
			r.cfg.Logger.Error("source: table stopped earlier: "+st.Stopped+"; "+redoHint, "table", ts.t.QualifiedName())
			continue
		}
		if len(st.Added) == 0 {
			continue
		}
		if v == nil {
			var err error
			if v, err = r.readSchemaView(ctx); err != nil {
				return err
			}
		}
		sys, ok := findTable(v.tables, ts.t.Schema, ts.t.Name)
		if !ok {
			continue // the schema check stops it
		}
		t, err := r.markAdded(ctx, ts.t, sys.ObjectID, st.Added, v)
		if err != nil {
			return err
		}
		ts.t = t
	}
	return nil
}

// markAdded returns t with the named columns marked Optional and, where SQL
// Server gave the existing rows a constant default, their Fill. It returns
// t itself when nothing changes (the codec caches tables by pointer).
func (r *Reader) markAdded(ctx context.Context, t *catalog.Table, objectID int64, added []string, v *schemaView) (*catalog.Table, error) {
	var defs map[int]string
	out := *t
	out.Columns = append([]catalog.Column(nil), t.Columns...)
	changed := false
	for _, name := range added {
		i := out.ColumnIndex(name)
		if i < 0 {
			continue
		}
		c := &out.Columns[i]
		if !c.Optional {
			c.Optional, changed = true, true
		}
		if defs == nil {
			var err error
			if defs, err = r.readDefaults(ctx, objectID); err != nil {
				return nil, err
			}
		}
		def, ok := defs[c.Ordinal]
		if !ok || (c.Nullable && !v.addedWithValues(objectID, c.Name)) {
			continue
		}
		fill, ok, err := r.evalFill(ctx, c, def)
		if err != nil {
			return nil, err
		}
		if !ok {
			r.cfg.Logger.Warn("source: added column's default is not a constant: existing target rows get NULL in it", "table", t.QualifiedName(),
				"column", c.Name, "default", def)
			continue
		}
		if !c.HasFill || c.Fill != fill {
			c.Fill, c.HasFill, changed = fill, true, true
		}
	}
	if !changed {
		return t, nil
	}
	return &out, nil
}

// addedWithValues reports whether the DDL that added a nullable column
// asked for its default in existing rows (DEFAULT … WITH VALUES).
func (v *schemaView) addedWithValues(objectID int64, column string) bool {
	for _, d := range v.ddl {
		cmd := lower(d.command)
		if d.objectID == objectID && strings.Contains(cmd, lower(column)) && withValues.MatchString(cmd) {
			return true
		}
	}
	return false
}

var withValues = regexp.MustCompile(`\bwith\s+values\b`)

func (r *Reader) readDefaults(ctx context.Context, objectID int64) (map[int]string, error) {
	rows, err := r.db.QueryContext(ctx, qDefaults, objectID)
	if err != nil {
		return nil, fmt.Errorf("read sys.default_constraints: %w", err)
	}
	out := map[int]string{}
	for rows.Next() {
		var col int64
		var def string
		if err := rows.Scan(&col, &def); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read sys.default_constraints: %w", err)
		}
		out[int(col)] = def
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read sys.default_constraints: %w", err)
	}
	return out, nil
}

// constantDefault matches the definitions of constant defaults as
// sys.default_constraints shows them: ((0)), (N'x'), ((1.5)), (0x0A).
var constantDefault = regexp.MustCompile(`^\(*\s*(N?'(?:[^']|'')*'|[-+]?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|0x[0-9A-Fa-f]*)\s*\)*$`)

// evalFill computes the value SQL Server stored in existing rows for a
// constant default, converted as change rows are, in FillText form. ok is
// false for other defaults (getdate(), newid(), expressions).
func (r *Reader) evalFill(ctx context.Context, c *catalog.Column, def string) (string, bool, error) {
	m := constantDefault.FindStringSubmatch(strings.TrimSpace(def))
	if m == nil {
		return "", false, nil
	}
	var raw any
	if err := r.db.QueryRowContext(ctx, "SELECT CAST("+m[1]+" AS "+c.TypeString()+")").Scan(&raw); err != nil {
		return "", false, fmt.Errorf("evaluate the default %s of column %s: %w", def, c.Name, err)
	}
	v, err := convert(c, raw)
	if err != nil {
		return "", false, fmt.Errorf("default %s of column %s: %w", def, c.Name, err)
	}
	if v == nil {
		return "", false, nil
	}
	s, err := FillText(v)
	if err != nil {
		return "", false, fmt.Errorf("default %s of column %s: %w", def, c.Name, err)
	}
	return s, true, nil
}

// FillText renders a column value (an event.Row value) as the text that
// catalog.Column.Fill holds: ISO forms that PostgreSQL reads for the mapped
// type (numbers in decimal, true/false, '\x' hex for binary, RFC 3339 for
// times, hh:mm:ss.ffffff for time of day).
func FillText(v any) (string, error) {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case *big.Rat:
		return ratDecimal(x), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	case string:
		return x, nil
	case []byte:
		return `\x` + hex.EncodeToString(x), nil
	case time.Time:
		return x.Format("2006-01-02T15:04:05.999999999Z07:00"), nil
	case time.Duration:
		d := x.Round(time.Microsecond)
		h, m := d/time.Hour, (d%time.Hour)/time.Minute
		sec := float64(d%time.Minute) / float64(time.Second)
		return fmt.Sprintf("%02d:%02d:%09.6f", h, m, sec), nil
	}
	return "", fmt.Errorf("no text form for a %T", v)
}

// ratDecimal writes a decimal exactly (SQL Server's defaults have at most
// 38 digits).
func ratDecimal(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	return strings.TrimRight(strings.TrimRight(r.FloatString(38), "0"), ".")
}
