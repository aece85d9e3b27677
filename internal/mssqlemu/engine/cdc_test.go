package engine

import (
	"strings"
	"testing"
)

func cdcHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.ok(`CREATE DATABASE src; USE src;
CREATE TABLE dbo.item (id int NOT NULL PRIMARY KEY, name varchar(20), qty int, note text);
EXEC sys.sp_cdc_enable_db;
EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'item', @role_name = NULL, @supports_net_changes = 1;`)
	return h
}

func TestCDCAllChanges(t *testing.T) {
	h := cdcHarness(t)
	h.ok(`INSERT INTO item (id, name, qty, note) VALUES (1, 'a', 1, 'long'), (2, 'b', 2, NULL)`)
	h.ok(`BEGIN TRAN; UPDATE item SET qty = 10 WHERE id = 1; DELETE FROM item WHERE id = 2; COMMIT`)
	h.ok(`UPDATE item SET id = 5 WHERE id = 1`)
	got := flat(h.rows(`DECLARE @from binary(10) = sys.fn_cdc_get_min_lsn('dbo_item'), @to binary(10) = sys.fn_cdc_get_max_lsn();
SELECT __$operation, __$update_mask, id, name, qty, note FROM cdc.fn_cdc_get_all_changes_dbo_item(@from, @to, N'all update old')`))
	want := strings.Join([]string{
		"2,0x0F,1,a,1,long", "2,0x0F,2,b,2,NULL",
		"3,0x04,1,a,1,NULL", "4,0x04,1,a,10,NULL", "1,0x0F,2,b,2,NULL",
		"1,0x0F,1,a,10,NULL", "2,0x0F,5,a,10,long",
	}, ";")
	if got != want {
		t.Fatalf("all changes:\n got %s\nwant %s", got, want)
	}
	// One commit LSN per transaction, strictly increasing.
	lsns := h.rows(`SELECT DISTINCT __$start_lsn FROM cdc.dbo_item_CT ORDER BY __$start_lsn`)
	if len(lsns) != 3 {
		t.Fatalf("want 3 transactions, got %v", lsns)
	}
	if got := flat(h.rows(`SELECT COUNT(*) FROM cdc.lsn_time_mapping WHERE tran_id <> 0x00000000000000000000`)); got != "3" {
		t.Fatalf("lsn_time_mapping rows: %s", got)
	}
	net := flat(h.rows(`DECLARE @from binary(10) = sys.fn_cdc_get_min_lsn('dbo_item'), @to binary(10) = sys.fn_cdc_get_max_lsn();
SELECT __$operation, id, qty FROM cdc.fn_cdc_get_net_changes_dbo_item(@from, @to, N'all') ORDER BY id`))
	if net != "2,5,10" {
		t.Fatalf("net changes: %s", net)
	}
}

func TestCDCErrors(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE d2; USE d2; CREATE TABLE t (a int)`)
	if n, _ := h.errNum(`EXEC sys.sp_cdc_enable_table @source_schema = 'dbo', @source_name = 't', @role_name = NULL`); n != 22901 {
		t.Fatalf("not enabled: %d", n)
	}
	h.ok(`EXEC sys.sp_cdc_enable_db`)
	if n, _ := h.errNum(`EXEC sys.sp_cdc_enable_table @source_schema = 'dbo', @source_name = 't', @role_name = NULL, @supports_net_changes = 1`); n != 22939 {
		t.Fatalf("net without pk: %d", n)
	}
	h.ok(`EXEC sys.sp_cdc_enable_table 'dbo', 't', NULL, 'ci1'`)
	h.ok(`EXEC sys.sp_cdc_enable_table 'dbo', 't', NULL, 'ci2'`)
	if n, _ := h.errNum(`EXEC sys.sp_cdc_enable_table 'dbo', 't', NULL, 'ci3'`); n != 22962 {
		t.Fatalf("third instance: %d", n)
	}
	n, text := h.errNum(`SELECT * FROM cdc.fn_cdc_get_all_changes_ci1(0x00000000000000000000, sys.fn_cdc_get_max_lsn(), 'all')`)
	if n != 313 || !strings.Contains(text, "cdc.fn_cdc_get_all_changes_ ...") {
		t.Fatalf("below min: %d %s", n, text)
	}
}

func TestMaxLSNIsSnapshotConsistent(t *testing.T) {
	h := cdcHarness(t)
	h.ok(`ALTER DATABASE src SET ALLOW_SNAPSHOT_ISOLATION ON; INSERT INTO item (id) VALUES (1)`)
	r := h.session()
	before := flat(r.rows(`SET TRANSACTION ISOLATION LEVEL SNAPSHOT; BEGIN TRAN; SELECT sys.fn_cdc_get_max_lsn()`))
	h.ok(`INSERT INTO item (id) VALUES (2)`)
	if got := flat(r.rows(`SELECT sys.fn_cdc_get_max_lsn()`)); got != before {
		t.Fatalf("max LSN moved inside a snapshot: %s → %s", before, got)
	}
	if got := flat(r.rows(`SELECT COUNT(*) FROM item; COMMIT`)); got != "1" {
		t.Fatalf("snapshot rows: %s", got)
	}
	if got := flat(r.rows(`SELECT sys.fn_cdc_get_max_lsn()`)); got == before {
		t.Fatal("max LSN did not move after the snapshot ended")
	}
}

func TestDisableDB(t *testing.T) {
	h := cdcHarness(t)
	h.ok(`EXEC sys.sp_cdc_disable_db`)
	if got := flat(h.rows(`SELECT is_cdc_enabled FROM sys.databases WHERE name = 'src'; SELECT COUNT(*) FROM sys.schemas WHERE name = 'cdc'`)); got != "0" {
		t.Fatalf("cdc schema after disable: %s", got)
	}
	if got := flat(h.rows(`SELECT is_tracked_by_cdc FROM sys.tables WHERE name = 'item'`)); got != "0" {
		t.Fatalf("still tracked: %s", got)
	}
	if n, _ := h.errNum(`SELECT * FROM cdc.dbo_item_CT`); n != 208 {
		t.Fatalf("change table after disable: %d", n)
	}
}

func TestNetChangesOptions(t *testing.T) {
	h := cdcHarness(t)
	h.ok(`INSERT INTO item (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 2)`)
	from := flat(h.rows(`SELECT sys.fn_cdc_increment_lsn(sys.fn_cdc_get_max_lsn())`))
	h.ok(`UPDATE item SET qty = 5 WHERE id = 1; UPDATE item SET name = 'z' WHERE id = 1; DELETE FROM item WHERE id = 2; INSERT INTO item (id) VALUES (3)`)
	q := func(opt string) string {
		return flat(h.rows(`SELECT __$operation, __$update_mask, id FROM cdc.fn_cdc_get_net_changes_dbo_item(` + from + `, sys.fn_cdc_get_max_lsn(), N'` + opt + `') ORDER BY id`))
	}
	if got := q("all"); got != "4,NULL,1;1,NULL,2;2,NULL,3" {
		t.Fatalf("all: %s", got)
	}
	if got := q("all with mask"); got != "4,0x06,1;1,NULL,2;2,NULL,3" {
		t.Fatalf("all with mask: %s", got)
	}
	if got := q("all with merge"); got != "5,NULL,1;1,NULL,2;5,NULL,3" {
		t.Fatalf("all with merge: %s", got)
	}
}

// TestCDCLargeValueImages checks SQL Server's documented rules for large
// values in change rows: text, ntext and image are NULL in deletes and
// before images (and in after images when unchanged); the (max) types are
// NULL in before images unless the update changed them, and have their
// value in deletes.
func TestCDCLargeValueImages(t *testing.T) {
	h := newHarness(t)
	h.ok(`CREATE DATABASE lobs; USE lobs;
CREATE TABLE dbo.doc (id int NOT NULL PRIMARY KEY, qty int, t text, m nvarchar(max), b varbinary(max));
EXEC sys.sp_cdc_enable_db;
EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'doc', @role_name = NULL;`)
	h.ok(`INSERT INTO doc VALUES (1, 1, 'tv', N'mv', 0x01)`)
	h.ok(`UPDATE doc SET qty = 2 WHERE id = 1`)
	h.ok(`UPDATE doc SET m = N'm2' WHERE id = 1`)
	h.ok(`DELETE FROM doc WHERE id = 1`)
	got := flat(h.rows(`DECLARE @from binary(10) = sys.fn_cdc_get_min_lsn('dbo_doc'), @to binary(10) = sys.fn_cdc_get_max_lsn();
SELECT __$operation, qty, t, m, b FROM cdc.fn_cdc_get_all_changes_dbo_doc(@from, @to, N'all update old')`))
	want := strings.Join([]string{
		"2,1,tv,mv,0x01",
		"3,1,NULL,NULL,NULL", "4,2,NULL,mv,0x01",
		"3,2,NULL,mv,NULL", "4,2,NULL,m2,0x01",
		"1,2,NULL,m2,0x01",
	}, ";")
	if got != want {
		t.Fatalf("large values in change rows:\n got %s\nwant %s", got, want)
	}
}
