package apply

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/bits"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
)

// The consumer writes its COPY data in PostgreSQL's binary format itself
// instead of through pgx's CopyFrom. pgx converts every value through its
// type map (two map lookups and the boxing of our already converted value)
// and that, with the conversion before it, was a third of the consumer's
// CPU in make bench's profile, on a machine where the consumer shares its
// cores with the target. The hand-written encoders below cover the value
// and column types the consumer writes all the time (integers, text,
// booleans, floats, timestamps, dates, bytea, numerics that fit 64 bits);
// every other pair (a target table created by the user with other types,
// xml, a numeric beyond 64 bits) goes through toPG and pgx's own encoder,
// as before. TestCopyEncodingMatchesPgx holds the two to the same bytes.

// copySource is a table batch's rows as a COPY writes them.
type copySource interface {
	// Next moves to the next row; false at the end.
	Next() bool
	// Row is the row's values as the events hold them (toPG not applied).
	Row() []any
	// Columns is the source column of each value, nil for the consumer's
	// own values (op, key, position, keep flags), which pgx types encode.
	Columns() []*catalog.Column
	// ValueError wraps err, met on value i of the current row, with the
	// table, key and column.
	ValueError(i int, err error) error
}

// copyIn copies src's rows into table's columns names in tx, encoded here
// (see above), and returns the number of rows.
func (a *Applier) copyIn(ctx context.Context, tx pgx.Tx, table pgx.Identifier, names []string, src copySource) (int64, error) {
	oids, cached, err := a.columnOIDs(ctx, tx, table, names)
	if err != nil {
		return 0, err
	}
	w := &copyWriter{m: tx.Conn().TypeMap(), oids: oids, stripNUL: a.stripNUL, src: src, cols: src.Columns()}
	w.buf = append(w.buf, "PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000"...)
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, w, fmt.Sprintf("COPY %s ( %s ) FROM STDIN BINARY", table.Sanitize(), quoteList(names)))
	if verr := w.valueErr(); verr != nil {
		// The server only saw the copy fail: keep the value's own error,
		// so callers can tell it (ErrValue).
		err = verr
	}
	if err != nil {
		if cached && a.typesChanged(ctx, table, names, oids) {
			return 0, fmt.Errorf("apply: copy into %s: %w (it failed with: %v)", table.Sanitize(), ErrColumnTypesChanged, err)
		}
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// ErrColumnTypesChanged is a COPY that failed because a target table's
// column types changed since they were read (an ALTER TABLE by someone
// else): the batch is applied again, with the new types, not dead-lettered.
var ErrColumnTypesChanged = errors.New("the target table's column types changed while the batch was applied (ALTER TABLE?); it is applied again with the new types")

// typesChanged forgets the cached column types of table, after a failed
// COPY, and reports whether they differ from what the server says now. A
// staging table (one name, no schema) is the consumer's own and temporary:
// its types cannot change, and another connection cannot see it.
func (a *Applier) typesChanged(ctx context.Context, table pgx.Identifier, names []string, cached []uint32) bool {
	sql := describeSQL(table, names)
	a.mu.Lock()
	delete(a.oids, sql)
	a.mu.Unlock()
	if len(table) < 2 {
		return false
	}
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return false
	}
	defer conn.Release()
	sd, err := conn.Conn().PgConn().Prepare(ctx, "", sql, nil)
	if err != nil || len(sd.Fields) != len(cached) {
		return err == nil
	}
	for i, f := range sd.Fields {
		if f.DataTypeOID != cached[i] {
			return true
		}
	}
	return false
}

func describeSQL(table pgx.Identifier, names []string) string {
	return "SELECT " + quoteList(names) + " FROM " + table.Sanitize()
}

// columnOIDs are the type OIDs of table's columns names, as the server
// describes them (a target table the user made may differ from ours),
// cached: pgx's CopyFrom caches the same description in its statement cache.
// cached reports whether they came from the cache.
func (a *Applier) columnOIDs(ctx context.Context, tx pgx.Tx, table pgx.Identifier, names []string) (oids []uint32, cached bool, err error) {
	sql := describeSQL(table, names)
	a.mu.Lock()
	oids = a.oids[sql]
	a.mu.Unlock()
	if oids != nil {
		return oids, true, nil
	}
	sd, err := tx.Conn().PgConn().Prepare(ctx, "", sql, nil)
	if err != nil {
		return nil, false, fmt.Errorf("describe the columns of %s: %w", table.Sanitize(), err)
	}
	if len(sd.Fields) != len(names) {
		return nil, false, fmt.Errorf("describe the columns of %s: %d columns for %d names", table.Sanitize(), len(sd.Fields), len(names))
	}
	oids = make([]uint32, len(sd.Fields))
	for i, f := range sd.Fields {
		oids[i] = f.DataTypeOID
	}
	a.mu.Lock()
	a.oids[sql] = oids
	a.mu.Unlock()
	return oids, false, nil
}

// copyWriter is the io.Reader pgconn's CopyFrom reads the COPY data from:
// it encodes rows as they are asked for, about 64 KiB at a time.
type copyWriter struct {
	m        *pgtype.Map
	oids     []uint32
	cols     []*catalog.Column
	stripNUL bool
	src      copySource
	buf      []byte
	off      int
	done     bool

	mu  sync.Mutex // err is set in pgconn's goroutine, read after CopyFrom
	err error
}

const copyChunk = 64 << 10

func (w *copyWriter) Read(p []byte) (int, error) {
	for w.off == len(w.buf) {
		if w.done {
			return 0, io.EOF
		}
		w.buf, w.off = w.buf[:0], 0
		if err := w.fill(); err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			return 0, err
		}
	}
	n := copy(p, w.buf[w.off:])
	w.off += n
	return n, nil
}

func (w *copyWriter) valueErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// fill encodes rows into buf until it holds about copyChunk bytes or the
// rows end (then with the trailer).
func (w *copyWriter) fill() error {
	for len(w.buf) < copyChunk {
		if !w.src.Next() {
			w.buf = binary.BigEndian.AppendUint16(w.buf, 0xffff)
			w.done = true
			return nil
		}
		row := w.src.Row()
		if len(row) != len(w.oids) {
			return fmt.Errorf("copy: a row of %d values for %d columns", len(row), len(w.oids))
		}
		w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(len(row)))
		for i, v := range row {
			var err error
			if w.buf, err = w.value(w.buf, i, v); err != nil {
				return w.src.ValueError(i, err)
			}
		}
	}
	return nil
}

// value appends value v of column i, with its length.
func (w *copyWriter) value(buf []byte, i int, v any) ([]byte, error) {
	if v == nil {
		return binary.BigEndian.AppendUint32(buf, math.MaxUint32), nil // -1: NULL
	}
	oid := w.oids[i]
	if c := w.cols[i]; c != nil {
		if out, ok := appendSourceValue(buf, oid, c, v); ok {
			return out, nil
		}
		pv, err := toPG(*c, v, w.stripNUL)
		if err != nil {
			return nil, err
		}
		if pv == nil {
			return binary.BigEndian.AppendUint32(buf, math.MaxUint32), nil
		}
		v = pv
	} else if out, ok := appendGoValue(buf, oid, v); ok {
		return out, nil
	}
	sp := len(buf)
	buf = binary.BigEndian.AppendUint32(buf, 0)
	out, err := w.m.Encode(oid, pgtype.BinaryFormatCode, v, buf)
	if s, ok := v.(string); ok && err != nil {
		// As pgx's CopyFrom: text for a column of another type (exact
		// decimal text into numeric) is read as that type's text form.
		var typed any
		if serr := w.m.Scan(oid, pgtype.TextFormatCode, []byte(s), &typed); serr == nil {
			out, err = w.m.Encode(oid, pgtype.BinaryFormatCode, typed, buf)
		}
	}
	if err != nil {
		return nil, err
	}
	if out == nil { // NULL
		return binary.BigEndian.AppendUint32(buf[:sp], math.MaxUint32), nil
	}
	binary.BigEndian.PutUint32(out[sp:], uint32(len(out)-sp-4))
	return out, nil
}

// appendGoValue encodes the consumer's own values (op, key, position, keep
// flags) when their type is the column's; ok is false otherwise.
func appendGoValue(buf []byte, oid uint32, v any) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		if oid == pgtype.TextOID || oid == pgtype.VarcharOID || oid == pgtype.BPCharOID {
			return appendBytes(buf, x), true
		}
	case []byte:
		if oid == pgtype.ByteaOID {
			return appendBytes(buf, x), true
		}
	case bool:
		if oid == pgtype.BoolOID {
			return appendBool(buf, x), true
		}
	}
	return buf, false
}

// appendSourceValue encodes an event value of source column c as toPG and
// pgx would for a column of type oid, when it is a pair written here; ok
// is false for the others, which take toPG and pgx's encoder.
func appendSourceValue(buf []byte, oid uint32, c *catalog.Column, v any) ([]byte, bool) {
	switch c.Type {
	case "tinyint", "smallint", "int", "bigint":
		n, ok := v.(int64)
		if !ok {
			return buf, false
		}
		switch {
		case oid == pgtype.Int8OID:
			return binary.BigEndian.AppendUint64(append(buf, 0, 0, 0, 8), uint64(n)), true
		case oid == pgtype.Int4OID && n >= math.MinInt32 && n <= math.MaxInt32:
			return binary.BigEndian.AppendUint32(append(buf, 0, 0, 0, 4), uint32(int32(n))), true
		case oid == pgtype.Int2OID && n >= math.MinInt16 && n <= math.MaxInt16:
			return binary.BigEndian.AppendUint16(append(buf, 0, 0, 0, 2), uint16(int16(n))), true
		}
	case "decimal", "numeric", "money", "smallmoney":
		if r, ok := v.(*big.Rat); ok && oid == pgtype.NumericOID {
			return appendNumeric(buf, r, scaleOf(*c))
		}
	case "date", "datetime", "datetime2", "smalldatetime":
		t, ok := v.(time.Time)
		if !ok {
			return buf, false
		}
		switch oid {
		case pgtype.TimestampOID:
			// pgx writes a timestamp's wall clock, whatever its zone.
			wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
			return appendMicros(buf, wall), true
		case pgtype.DateOID:
			days := (time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() - y2k) / 86400
			return binary.BigEndian.AppendUint32(append(buf, 0, 0, 0, 4), uint32(int32(days))), true
		}
	case "datetimeoffset":
		if t, ok := v.(time.Time); ok && oid == pgtype.TimestamptzOID {
			return appendMicros(buf, roundOffsetTime(t)), true
		}
	case "time":
		if d, ok := v.(time.Duration); ok && oid == pgtype.TimeOID && d >= 0 && d < 24*time.Hour {
			return binary.BigEndian.AppendUint64(append(buf, 0, 0, 0, 8), uint64(d/time.Microsecond)), true
		}
	case "bit":
		if b, ok := v.(bool); ok && oid == pgtype.BoolOID {
			return appendBool(buf, b), true
		}
	case "float":
		if f, ok := v.(float64); ok && oid == pgtype.Float8OID {
			return binary.BigEndian.AppendUint64(append(buf, 0, 0, 0, 8), math.Float64bits(f)), true
		}
	case "real":
		if f, ok := v.(float32); ok && oid == pgtype.Float4OID {
			return binary.BigEndian.AppendUint32(append(buf, 0, 0, 0, 4), math.Float32bits(f)), true
		}
	case "binary", "varbinary", "image":
		if b, ok := v.([]byte); ok && oid == pgtype.ByteaOID {
			return appendBytes(buf, b), true
		}
	case "xml":
		// pgx's xml encoder: left to it.
	default: // character types, uniqueidentifier
		s, ok := v.(string)
		if ok && (oid == pgtype.TextOID || oid == pgtype.VarcharOID || oid == pgtype.BPCharOID) && strings.IndexByte(s, 0) < 0 {
			return appendBytes(buf, s), true
		}
	}
	return buf, false
}

// y2k is PostgreSQL's epoch for dates and timestamps, in Unix seconds.
const y2k = 946684800

// appendMicros writes t as microseconds since 2000-01-01 UTC, as pgx does
// (truncated; the producer already rounded to the microsecond).
func appendMicros(buf []byte, t time.Time) []byte {
	us := (t.Unix()-y2k)*1000000 + int64(t.Nanosecond())/1000
	return binary.BigEndian.AppendUint64(append(buf, 0, 0, 0, 8), uint64(us))
}

func appendBytes[T string | []byte](buf []byte, b T) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
	return append(buf, b...)
}

func appendBool(buf []byte, b bool) []byte {
	if b {
		return append(buf, 0, 0, 0, 1, 1)
	}
	return append(buf, 0, 0, 0, 1, 0)
}

// appendNumeric writes r, with scale digits after the point, in
// PostgreSQL's binary numeric form (base-10000 digits, most significant
// first, with their weight, sign and display scale), when r is the usual
// case ratToNumeric computes without big arithmetic and the result fits in
// 64 bits; ok is false otherwise.
func appendNumeric(buf []byte, r *big.Rat, scale int) ([]byte, bool) {
	if scale < 0 || scale >= len(pow10) || !r.Num().IsInt64() || !r.Denom().IsInt64() {
		return buf, false
	}
	n, d, p := r.Num().Int64(), r.Denom().Int64(), pow10[scale]
	if p%d != 0 {
		return buf, false
	}
	m := p / d
	q := n * m
	if n != 0 && (q/m != n || q/n != m) {
		return buf, false
	}
	neg := q < 0
	u := uint64(q)
	if neg {
		u = -u
	}
	// Align the fraction to whole base-10000 digits.
	pad := (4 - scale%4) % 4
	hi, lo := bits.Mul64(u, uint64(pow10[pad]))
	if hi != 0 {
		return buf, false
	}
	u = lo
	var g [5]uint16 // base-10000 digits, least significant first; 10^20 > 2^64
	nd := 0
	for ; u > 0; nd++ {
		g[nd] = uint16(u % 10000)
		u /= 10000
	}
	low := 0 // trailing zero digits are left out
	for low < nd && g[low] == 0 {
		low++
	}
	weight := nd - 1 - (scale+pad)/4
	sign := uint16(0)
	if neg {
		sign = 0x4000
	}
	if nd == 0 {
		weight = 0
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(8+2*(nd-low)))
	buf = binary.BigEndian.AppendUint16(buf, uint16(nd-low))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(scale))
	for i := nd - 1; i >= low; i-- {
		buf = binary.BigEndian.AppendUint16(buf, g[i])
	}
	return buf, true
}
