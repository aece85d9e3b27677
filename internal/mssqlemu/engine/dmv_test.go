package engine

import (
	"strings"
	"testing"
)

// TestSessionDMVs: sys.dm_exec_sessions, sys.dm_exec_requests (a session
// waiting for a lock shows who blocks it) and
// sys.dm_tran_session_transactions (one row per open transaction).
func TestSessionDMVs(t *testing.T) {
	a := newHarness(t)
	a.ok(`CREATE DATABASE dm; USE dm; CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)`)
	b, c := a.session(), a.session()
	aID := flat(a.rows(`SELECT @@SPID`))
	bID := flat(b.rows(`SELECT @@SPID`))
	a.ok(`BEGIN TRAN; UPDATE t SET id = 1 WHERE id = 1`)
	done := b.async(`UPDATE t SET id = 1 WHERE id = 1`)
	b.blocked()
	got := flat(c.rows(`SELECT session_id, status, blocking_session_id, wait_type FROM sys.dm_exec_requests WHERE session_id <> @@SPID`))
	if want := bID + ",suspended," + aID + ",LCK_M_X"; got != want {
		t.Errorf("dm_exec_requests: got %s, want %s", got, want)
	}
	got = flat(c.rows(`SELECT session_id, is_user_transaction, open_transaction_count FROM sys.dm_tran_session_transactions ORDER BY session_id`))
	if !strings.HasPrefix(got, aID+",1,1;"+bID+",0,0") {
		t.Errorf("dm_tran_session_transactions: %s", got)
	}
	a.ok(`COMMIT`)
	<-done
	if got := flat(c.rows(`SELECT COUNT(*) FROM sys.dm_exec_sessions WHERE is_user_process = 1 AND database_id = DB_ID('dm')`)); got != "3" {
		t.Errorf("dm_exec_sessions: %s sessions in dm", got)
	}
	if got := flat(c.rows(`SELECT COUNT(*) FROM sys.dm_tran_session_transactions`)); got != "0" {
		t.Errorf("no transaction left: %s", got)
	}
}

// TestOptionsAndVersion: @@OPTIONS follows SET (bits from the user options
// page), @@MICROSOFTVERSION encodes @@VERSION's 15.0.4322 as
// major<<24 | minor<<16 | build, and sp_databases lists the databases.
func TestOptionsAndVersion(t *testing.T) {
	h := newHarness(t)
	if got := flat(h.rows(`SET XACT_ABORT ON; SET ARITHIGNORE ON; SET NOCOUNT ON; SET ANSI_NULLS ON; SELECT @@OPTIONS & (16384 | 128 | 512 | 32), @@MICROSOFTVERSION / 16777216, @@MICROSOFTVERSION % 65536`)); got != "17056,15,4322" {
		t.Fatalf("got %s", got)
	}
	if got := flat(h.rows(`SET XACT_ABORT OFF; SELECT @@OPTIONS & 16384`)); got != "0" {
		t.Fatalf("XACT_ABORT OFF: %s", got)
	}
	rec := h.ok(`EXEC sp_databases`)
	if len(rec.Sets) != 1 || len(rec.Sets[0].Rows) != 4 || rec.Sets[0].Columns[0].Name != "DATABASE_NAME" {
		t.Fatalf("sp_databases: %+v", rec.Sets)
	}
}
