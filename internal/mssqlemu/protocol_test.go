package mssqlemu_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-sql/sqlexp"
	mssql "github.com/microsoft/go-mssqldb"
)

// TestDoneAfterEveryStatement: SQL Server ends each statement of a batch
// with a DONE token, PRINT included, which go-mssqldb's message queue
// turns into one MsgNextResultSet per statement (the sequence its own
// TestMessageQueue expects from SQL Server).
func TestDoneAfterEveryStatement(t *testing.T) {
	emu := startEmu(t)
	db := open(t, emu.DSN("master"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	retmsg := &sqlexp.ReturnMessage{}
	rows, err := db.QueryContext(ctx, "PRINT 'msg1'; select 100 as c; PRINT 'msg2'", retmsg)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := []any{
		sqlexp.MsgNotice{}, sqlexp.MsgNextResultSet{},
		sqlexp.MsgNext{}, sqlexp.MsgRowsAffected{}, sqlexp.MsgNextResultSet{},
		sqlexp.MsgNotice{}, sqlexp.MsgNextResultSet{}, sqlexp.MsgNextResultSet{},
	}
	var got []string
	for active := true; active; {
		msg := retmsg.Message(ctx)
		got = append(got, reflect.TypeOf(msg).Name())
		switch msg.(type) {
		case sqlexp.MsgNextResultSet:
			active = rows.NextResultSet()
		case sqlexp.MsgNext:
			// One row: reading on would consume the statement's DONE.
			var c int
			if !rows.Next() || rows.Scan(&c) != nil || c != 100 {
				t.Fatal("the row of select 100")
			}
		}
		if len(got) > len(want)+2 {
			break
		}
	}
	var wantNames []string
	for _, w := range want {
		wantNames = append(wantNames, reflect.TypeOf(w).Name())
	}
	if fmt.Sprint(got) != fmt.Sprint(wantNames) {
		t.Errorf("messages\n got %v\nwant %v", got, wantNames)
	}
}

// TestFatalErrorClosesConnection: "Severity levels from 20 through 25 are
// considered fatal. If a fatal severity level is encountered, the client
// connection is terminated after receiving the message"; above 18 needs
// WITH LOG (Msg 2754).
// https://learn.microsoft.com/en-us/sql/t-sql/language-elements/raiserror-transact-sql
func TestFatalErrorClosesConnection(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	db := open(t, emu.DSN("master"))
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	var me mssql.Error
	if _, err := db.ExecContext(ctx, "RAISERROR('too severe', 19, 1)"); !errors.As(err, &me) || me.Number != 2754 {
		t.Fatalf("severity 19 without WITH LOG: %v", err)
	}
	var spid int
	if err := db.QueryRowContext(ctx, "SELECT @@SPID").Scan(&spid); err != nil {
		t.Fatal(err)
	}
	// The final DONE carries DONE_SRVERROR, which go-mssqldb reports as a
	// ServerError (a broken connection would be a net.OpError).
	_, err := db.ExecContext(ctx, "BEGIN TRAN; RAISERROR('fatal error', 20, 1) WITH LOG; SELECT 1")
	var se mssql.ServerError
	var ne *net.OpError
	if !errors.As(err, &se) && !errors.As(err, &ne) {
		t.Fatalf("fatal error: %#v", err)
	}
	// The pool drops the broken connection; the next query gets a new one.
	var spid2 int
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = db.QueryRowContext(ctx, "SELECT @@SPID").Scan(&spid2)
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || spid2 == spid {
		t.Fatalf("after the fatal error: spid %d (was %d), %v", spid2, spid, err)
	}
}

// TestDMExecConnections: one row per network connection, with its
// addresses and whether it is encrypted
// (https://learn.microsoft.com/en-us/sql/relational-databases/system-dynamic-management-views/sys-dm-exec-connections-transact-sql).
func TestDMExecConnections(t *testing.T) {
	emu := startEmu(t)
	ctx := context.Background()
	for _, c := range []struct{ params, enc string }{{"encrypt=disable", "FALSE"}, {"encrypt=true&trustservercertificate=true", "TRUE"}} {
		db := open(t, strings.Replace(emu.DSN("master"), "encrypt=disable", c.params, 1))
		var enc, transport, local string
		var n int
		if err := db.QueryRowContext(ctx, `SELECT encrypt_option, net_transport, local_net_address,
			(SELECT COUNT(*) FROM sys.dm_exec_connections) FROM sys.dm_exec_connections WHERE session_id = @@SPID`).Scan(&enc, &transport, &local, &n); err != nil {
			t.Fatal(err)
		}
		if enc != c.enc || transport != "TCP" || local != "127.0.0.1" || n < 1 {
			t.Errorf("%s: encrypt_option %s, net_transport %s, local_net_address %s, %d connections", c.params, enc, transport, local, n)
		}
	}
}
