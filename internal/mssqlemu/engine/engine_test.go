package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tds"
)

// harness runs batches on one session and records what they produce.
type harness struct {
	t testing.TB
	e *Engine
	s tds.Session
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	e := New(Config{})
	t.Cleanup(func() { _ = e.Close() })
	s, err := e.NewSession("master")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &harness{t: t, e: e, s: s}
}

func (h *harness) session() *harness {
	s, err := h.e.NewSession(h.s.Database())
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = s.Close() })
	return &harness{t: h.t, e: h.e, s: s}
}

// run executes sql; a batch-aborting error is recorded as a message.
func (h *harness) run(sql string) *Recorder {
	h.t.Helper()
	var rec Recorder
	if err := h.s.ExecBatch(context.Background(), sql, &rec); err != nil {
		m, ok := err.(*tds.Message)
		if !ok {
			h.t.Fatalf("%s: %v", sql, err)
		}
		rec.Messages = append(rec.Messages, m)
	}
	return &rec
}

// ok runs sql and fails on any error message.
func (h *harness) ok(sql string) *Recorder {
	h.t.Helper()
	rec := h.run(sql)
	if errs := rec.Errors(); len(errs) > 0 {
		h.t.Fatalf("%s:\n%v", sql, errs[0])
	}
	return rec
}

// errNum runs sql and returns the first error's number (0 when none).
func (h *harness) errNum(sql string) (int32, string) {
	h.t.Helper()
	errs := h.run(sql).Errors()
	if len(errs) == 0 {
		return 0, ""
	}
	return errs[0].Number, errs[0].Text
}

// rows runs a query and renders its last result set as strings.
func (h *harness) rows(sql string) [][]string {
	h.t.Helper()
	rec := h.ok(sql)
	if len(rec.Sets) == 0 {
		h.t.Fatalf("%s: no result set", sql)
	}
	set := rec.Sets[len(rec.Sets)-1]
	out := make([][]string, len(set.Rows))
	for i, r := range set.Rows {
		out[i] = make([]string, len(r))
		for j, v := range r {
			out[i][j] = render(v, set.Columns[j].Type)
		}
	}
	return out
}

func render(v any, t sqltypes.Type) string {
	if v == nil {
		return "NULL"
	}
	if b, ok := v.([]byte); ok {
		return fmt.Sprintf("0x%X", b)
	}
	style := -1
	if t.ID == sqltypes.DateTime || t.ID == sqltypes.SmallDateTime {
		style = 121
	}
	s, _ := sqltypes.ToString(v, t, style)
	return s
}

func flat(rows [][]string) string {
	var parts []string
	for _, r := range rows {
		parts = append(parts, strings.Join(r, ","))
	}
	return strings.Join(parts, ";")
}

func TestBasicTableRoundTrip(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE shop; USE shop;
CREATE TABLE dbo.customer (id int NOT NULL PRIMARY KEY, name nvarchar(50) NULL, balance decimal(10,2) DEFAULT 0, created datetime2(3));
INSERT INTO dbo.customer (id, name, balance, created) VALUES (1, N'Ann', 10.5, '2024-01-02T03:04:05.123'), (2, N'Bob', 3, NULL);
INSERT INTO customer (id, name) VALUES (3, 'Cy')`)
	got := flat(h.rows(`SELECT id, name, balance, created FROM customer WHERE balance >= 0 ORDER BY id DESC`))
	want := "3,Cy,0.00,NULL;2,Bob,3.00,NULL;1,Ann,10.50,2024-01-02 03:04:05.123"
	if got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	if got := flat(h.rows(`SELECT COUNT(*), MAX(id), SUM(balance) FROM customer`)); got != "3,3,13.50" {
		t.Fatalf("aggregates: %s", got)
	}
	if got := flat(h.rows(`SELECT TOP 1 name FROM customer WHERE name LIKE 'b%' OR id IN (7, 8)`)); got != "Bob" {
		t.Fatalf("like: %s", got)
	}
}
