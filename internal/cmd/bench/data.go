package main

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// benchTable is the generated source table: twelve columns of the types a
// typical OLTP table mixes, keyed by a bigint.
func benchTable(schema, name string) *catalog.Table {
	return &catalog.Table{Database: "benchdb", Schema: schema, Name: name, PrimaryKey: []string{"Id"},
		Columns: []catalog.Column{
			{Name: "Id", Ordinal: 1, Type: "bigint"},
			{Name: "CustomerId", Ordinal: 2, Type: "int", Nullable: true},
			{Name: "Name", Ordinal: 3, Type: "nvarchar", Length: 100, Nullable: true},
			{Name: "Email", Ordinal: 4, Type: "nvarchar", Length: 200, Nullable: true},
			{Name: "Amount", Ordinal: 5, Type: "decimal", Precision: 18, Scale: 2, Nullable: true},
			{Name: "Rate", Ordinal: 6, Type: "float", Nullable: true},
			{Name: "Active", Ordinal: 7, Type: "bit", Nullable: true},
			{Name: "BirthDate", Ordinal: 8, Type: "date", Nullable: true},
			{Name: "CreatedAt", Ordinal: 9, Type: "datetime2", Scale: 7, Nullable: true},
			{Name: "Ref", Ordinal: 10, Type: "uniqueidentifier", Nullable: true},
			{Name: "Qty", Ordinal: 11, Type: "smallint", Nullable: true},
			{Name: "Note", Ordinal: 12, Type: "nvarchar", Length: 400, Nullable: true},
		}}
}

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// rowValues are the values of key id at version v, as the producer's
// decoder delivers them (event.Row: int64, string, *big.Rat, ...).
func rowValues(id int64, v int) event.Row {
	return event.Row{
		id,
		id%50000 + int64(v),
		fmt.Sprintf("Customer %d v%d", id, v),
		fmt.Sprintf("customer%d@example.com", id),
		big.NewRat(id*137%1000000+int64(v), 100),
		float64(id%1000) / 7,
		id%3 != 0,
		time.Date(1950+int(id%60), time.Month(1+id%12), 1+int(id%28), 0, 0, 0, 0, time.UTC),
		epoch.Add(time.Duration(id)*time.Second + time.Duration(v)*time.Millisecond),
		fmt.Sprintf("%08X-0000-4000-8000-%012X", uint32(id), id*7919),
		id%1000 + int64(v),
		strings.Repeat("note ", 1+int(id%20)),
	}
}

// pgValues are the same values in the types pgx encodes natively, for the
// ceiling and the baseline.
func pgValues(r event.Row) []any {
	amount := r[4].(*big.Rat)
	n := new(big.Int).Mul(amount.Num(), big.NewInt(100))
	n.Quo(n, amount.Denom())
	return []any{r[0], int32(r[1].(int64)), r[2], r[3], pgtype.Numeric{Int: n, Exp: -2, Valid: true},
		r[5], r[6], r[7], r[8], r[9], int16(r[10].(int64)), r[11]}
}

// workload is a named stream of change events.
type workload struct {
	name   string
	what   string // how the README and the table describe it
	events func(t *catalog.Table, rows int, emit func(*event.Event) error) error
	// table is benchTable unless set; rows is -rows unless set.
	table func(schema, name string) *catalog.Table
	rows  func(o options) int
}

var workloads = []workload{
	{name: "insert-only", what: "every key inserted once", events: insertOnly},
	{name: "update-heavy", what: "1/5 of the keys inserted, each then updated 4 times", events: updateHeavy},
	{name: "delete-mixed", what: "60% inserts, 20% updates, 20% deletes of inserted keys", events: deleteMixed},
	{name: "large-values", what: "rows with a 3 MB nvarchar(max) value, for memory", events: largeValues, table: largeTable,
		rows: func(o options) int { return o.largeRows }},
}

func (w workload) tableFor(schema, name string) *catalog.Table {
	if w.table != nil {
		return w.table(schema, name)
	}
	return benchTable(schema, name)
}

func (w workload) rowsFor(o options) int {
	if w.rows != nil {
		return w.rows(o)
	}
	return o.rows
}

// largeValueBytes is the size of each large value.
const largeValueBytes = 3 << 20

func largeTable(schema, name string) *catalog.Table {
	return &catalog.Table{Database: "benchdb", Schema: schema, Name: name, PrimaryKey: []string{"Id"},
		Columns: []catalog.Column{
			{Name: "Id", Ordinal: 1, Type: "bigint"},
			{Name: "Doc", Ordinal: 2, Type: "nvarchar", Length: catalog.MaxLength, Nullable: true},
		}}
}

func largeValues(t *catalog.Table, rows int, emit func(*event.Event) error) error {
	g := &gen{t: t}
	rnd := rand.New(rand.NewPCG(1, 2))
	raw := make([]byte, largeValueBytes*3/4)
	for i := range rows {
		// Random text: it compresses about as little as real documents
		// that are already compressed, so Kafka's compression does not
		// hide how much the consumer holds.
		for j := range raw {
			raw[j] = byte(rnd.Uint32())
		}
		doc := base64.StdEncoding.EncodeToString(raw)
		if err := emit(g.ev(event.OpCreate, nil, event.Row{int64(i), doc})); err != nil {
			return err
		}
	}
	return nil
}

type gen struct {
	t   *catalog.Table
	seq uint64
}

func (g *gen) ev(op event.Op, before, after event.Row) *event.Event {
	g.seq++
	var l lsn.LSN
	for i, s := 9, g.seq; i >= 0 && s > 0; i, s = i-1, s>>8 {
		l[i] = byte(s)
	}
	return &event.Event{Table: g.t, Op: op, Before: before, After: after, TsMs: time.Now().UnixMilli(),
		Source: event.Source{Version: "bench", Connector: "sqlserver", Name: "bench", TsMs: time.Now().UnixMilli(), Snapshot: "false",
			Db: g.t.Database, Schema: g.t.Schema, Table: g.t.Name, ChangeLSN: l, CommitLSN: l}}
}

func insertOnly(t *catalog.Table, rows int, emit func(*event.Event) error) error {
	g := &gen{t: t}
	for i := range rows {
		if err := emit(g.ev(event.OpCreate, nil, rowValues(int64(i), 0))); err != nil {
			return err
		}
	}
	return nil
}

// updateHeavy: rows/5 keys, each inserted then updated 4 times, the
// updates of one key spread over the stream (round by round).
func updateHeavy(t *catalog.Table, rows int, emit func(*event.Event) error) error {
	g := &gen{t: t}
	keys := max(rows/5, 1)
	for v := range 5 {
		for i := range keys {
			var e *event.Event
			if v == 0 {
				e = g.ev(event.OpCreate, nil, rowValues(int64(i), 0))
			} else {
				e = g.ev(event.OpUpdate, rowValues(int64(i), v-1), rowValues(int64(i), v))
			}
			if err := emit(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteMixed: in each run of 5 events, 3 inserts, an update of an earlier
// key and a delete of another earlier key.
func deleteMixed(t *catalog.Table, rows int, emit func(*event.Event) error) error {
	g := &gen{t: t}
	var next, upd, del int64
	del = 1
	for n := 0; n < rows; {
		for range 3 {
			if err := emit(g.ev(event.OpCreate, nil, rowValues(next, 0))); err != nil {
				return err
			}
			next++
			n++
		}
		// Updates walk the even keys, deletes the odd ones: never the same.
		if upd < next {
			if err := emit(g.ev(event.OpUpdate, rowValues(upd, 0), rowValues(upd, 1))); err != nil {
				return err
			}
			upd += 2
			n++
		}
		if del < next {
			if err := emit(g.ev(event.OpDelete, rowValues(del, 0), nil)); err != nil {
				return err
			}
			del += 2
			n++
		}
	}
	return nil
}
