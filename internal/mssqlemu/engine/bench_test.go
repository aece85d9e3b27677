package engine

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkInsertBatch measures multi-row INSERTs into a CDC-tracked table.
func BenchmarkInsertBatch(b *testing.B) {
	h := newHarness(b)
	h.ok(`CREATE DATABASE bench; USE bench; CREATE TABLE t (id int PRIMARY KEY, name nvarchar(40), amount decimal(12,2));
EXEC sys.sp_cdc_enable_db; EXEC sys.sp_cdc_enable_table @source_schema = 'dbo', @source_name = 't', @role_name = NULL`)
	id := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var vals []string
		for j := 0; j < 100; j++ {
			id++
			vals = append(vals, fmt.Sprintf("(%d, N'name %d', %d.25)", id, id, id))
		}
		h.ok("INSERT INTO t VALUES " + strings.Join(vals, ","))
	}
}

// BenchmarkKeysetChunk measures one snapshot chunk read by keyset
// pagination from a 10,000-row table.
func BenchmarkKeysetChunk(b *testing.B) {
	h := newHarness(b)
	h.ok(`CREATE DATABASE bench; USE bench; CREATE TABLE t (id int PRIMARY KEY, name nvarchar(40))`)
	for lo := 0; lo < 10000; lo += 500 {
		var vals []string
		for j := lo; j < lo+500; j++ {
			vals = append(vals, fmt.Sprintf("(%d, N'n%d')", j, j))
		}
		h.ok("INSERT INTO t VALUES " + strings.Join(vals, ","))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.ok(fmt.Sprintf("SELECT TOP (500) id, name FROM t WHERE id > %d ORDER BY id", (i*500)%9500))
	}
}

// BenchmarkPointUpdate measures UPDATE ... WHERE id = n on a 10,000-row
// table (primary-key lookup rather than a scan).
func BenchmarkPointUpdate(b *testing.B) {
	h := newHarness(b)
	h.ok(`CREATE DATABASE bench; USE bench; CREATE TABLE t (id int PRIMARY KEY, n int)`)
	for lo := 0; lo < 10000; lo += 500 {
		var vals []string
		for j := lo; j < lo+500; j++ {
			vals = append(vals, fmt.Sprintf("(%d, 0)", j))
		}
		h.ok("INSERT INTO t VALUES " + strings.Join(vals, ","))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.ok(fmt.Sprintf("UPDATE t SET n = n + 1 WHERE id = %d", i%10000))
	}
}
