package tsql

import (
	"fmt"
	"strings"
	"testing"
)

// insert1000 is an INSERT of 1,000 rows of typical values.
func insert1000() string {
	var b strings.Builder
	b.WriteString("INSERT INTO dbo.customer (id, name, email, balance, created, active, token) VALUES\n")
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "(%d, N'Customer %d', 'c%d@example.com', %d.%02d, '2024-01-02T03:04:05.1234567', %d, 0x%08X)",
			i, i, i, i*7, i%100, i%2, i*2654435761%(1<<32))
	}
	return b.String()
}

func BenchmarkParseInsert1000(b *testing.B) {
	sql := insert1000()
	b.SetBytes(int64(len(sql)))
	b.ReportAllocs()
	for b.Loop() {
		stmts, err := Parse(sql)
		if err != nil || len(stmts[0].(*InsertStmt).Values) != 1000 {
			b.Fatalf("parse: %v", err)
		}
	}
}

func BenchmarkParseCDCQuery(b *testing.B) {
	sql := `DECLARE @from_lsn binary(10), @to_lsn binary(10);
SET @from_lsn = sys.fn_cdc_get_min_lsn('dbo_customer');
SET @to_lsn = sys.fn_cdc_get_max_lsn();
SELECT * FROM cdc.fn_cdc_get_all_changes_dbo_customer(@from_lsn, @to_lsn, N'all update old')
ORDER BY __$start_lsn, __$command_id, __$seqval, __$operation;`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(sql); err != nil {
			b.Fatal(err)
		}
	}
}

func TestInsert1000Parses(t *testing.T) {
	stmts, err := Parse(insert1000())
	if err != nil {
		t.Fatal(err)
	}
	ins := stmts[0].(*InsertStmt)
	if len(ins.Values) != 1000 || len(ins.Values[999]) != 7 {
		t.Fatalf("got %d rows of %d values", len(ins.Values), len(ins.Values[999]))
	}
	if s, ok := ins.Values[999][1].(*StringLit); !ok || s.Value != "Customer 999" || !s.Unicode {
		t.Fatalf("row 999 name = %#v", ins.Values[999][1])
	}
}
