package source

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// TestE2EParallelSnapshot: three readers snapshot at once a table split
// into key ranges, a table with a text key (read as one range) and a small
// table, each in its own SNAPSHOT transaction, while rows change in every
// range, in and out of the key bounds; the run is stopped in the middle and
// resumed with new read points. Replaying the events gives every table's
// rows, no row is read twice, and every snapshot row was read at or after
// the point the stream starts from.
func TestE2EParallelSnapshot(t *testing.T) {
	e := newEnv(t, true)
	e.exec(`CREATE TABLE dbo.big (id int NOT NULL PRIMARY KEY, v nvarchar(40) NULL)`)
	e.exec(`CREATE TABLE dbo.txt (code nvarchar(20) NOT NULL PRIMARY KEY, n int NULL)`)
	e.exec(`CREATE TABLE dbo.small (id int NOT NULL PRIMARY KEY, n int NULL)`)
	var sb strings.Builder
	sb.WriteString("BEGIN TRAN;")
	for i := 1; i <= 300; i++ {
		fmt.Fprintf(&sb, " INSERT INTO dbo.big (id, v) VALUES (%d, N'v%d');", 3*i, i)
	}
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&sb, " INSERT INTO dbo.txt (code, n) VALUES (N'k%03d', %d);", i, i)
	}
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&sb, " INSERT INTO dbo.small (id, n) VALUES (%d, %d);", i, i)
	}
	e.exec(sb.String() + " COMMIT;")
	for _, tbl := range []string{"big", "txt", "small"} {
		e.enableTable(tbl, "")
	}
	cfg := e.config()
	cfg.SnapshotChunkRows, cfg.MaxBatchEvents, cfg.SnapshotParallelism = 10, 10, 3
	tables, _, err := Discover(context.Background(), e.db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 3 {
		t.Fatalf("Discover found %d tables, want 3", len(tables))
	}

	// mutate changes rows in every range of dbo.big (the middle, both ends,
	// beyond the bounds read when it was split, a key moved across ranges)
	// and in dbo.txt, in one transaction.
	mutate := func(round int) error {
		q := fmt.Sprintf(`BEGIN TRAN;
			UPDATE dbo.big SET v = N'r%[1]d' WHERE id IN (%[2]d, %[3]d, %[4]d);
			DELETE FROM dbo.big WHERE id = %[5]d;
			INSERT INTO dbo.big (id, v) VALUES (%[6]d, N'new'), (%[7]d, N'new');
			UPDATE dbo.big SET id = %[8]d WHERE id = %[9]d;
			UPDATE dbo.txt SET n = n + 100 WHERE code = N'k%03[10]d';
			INSERT INTO dbo.txt (code, n) VALUES (N'z%[1]d', %[1]d);
			COMMIT;`,
			round, 3*(10+round), 3*(150+round), 3*(290-round), 3*(50+7*round), 2000+round, -round,
			3*(200+round)+1, 3*(20+round), 5+round)
		ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
		defer cancel()
		if _, err := e.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("round %d of changes: %w", round, err)
		}
		return nil
	}

	// Run 1: the first batch waits until the three readers hold their
	// SNAPSHOT transactions at once; rows change after the third batch; the
	// ninth batch is refused, as a failed Kafka transaction would be.
	ru := startRun(t, NewReader(e.db, cfg, tables), Position{}, func(n int, b Batch) error {
		switch n {
		case 0:
			return waitSnapshotReaders(e.db, 3)
		case 3:
			return mutate(1)
		case 8:
			return errRefused
		}
		return nil
	})
	if err := ru.wait(); err != errRefused {
		t.Fatalf("Run 1 ended with %v, want the refusal", err)
	}
	first := ru.batches()
	pos := ru.position()
	big := pos.Snapshot.Tables["dbo.big"]
	if len(big.Ranges) != 3 {
		t.Fatalf("dbo.big was split into %d ranges, want 3: %+v", len(big.Ranges), big)
	}
	if big.Ranges[0].From != "" || big.Ranges[2].To != "" {
		t.Errorf("the first range must be open below and the last open above: %+v", big.Ranges)
	}
	if len(pos.Snapshot.Tables["dbo.txt"].Ranges) != 0 {
		t.Errorf("dbo.txt (nvarchar key) was split: %+v", pos.Snapshot.Tables["dbo.txt"].Ranges)
	}
	if pos.Snapshot.Done {
		t.Fatalf("the snapshot is done after 8 batches of 10 rows; the test needs it stopped in the middle")
	}

	if err := mutate(2); err != nil {
		t.Fatal(err)
	}
	// Run 2 resumes every range from the saved position, in new
	// transactions with newer read points; rows change during it too.
	r2 := NewReader(e.db, cfg, tables)
	ru2 := startRun(t, r2, pos, func(n int, b Batch) error {
		if n == 2 {
			return mutate(3)
		}
		return nil
	})
	ru2.waitFor("the snapshot's end", snapshotDone)
	if err := mutate(4); err != nil {
		t.Fatal(err)
	}
	want := map[*catalog.Table]map[string]string{}
	for _, tbl := range tables {
		want[tbl] = readState(t, e.db, tbl)
	}
	same := func(bs []Batch) bool {
		evs := events(append(append([]Batch(nil), first...), bs...))
		for _, tbl := range tables {
			if diffStates(want[tbl], replay(t, streamOf(evs, tbl, true))) != "" {
				return false
			}
		}
		return true
	}
	ru2.waitFor("the source's rows", same)
	evs := events(append(append([]Batch(nil), first...), ru2.batches()...))
	var end Position
	for _, b := range ru2.batches() {
		if b.Position.Snapshot.Done {
			end = b.Position
			break
		}
	}
	for _, tbl := range tables {
		assertNoDuplicates(t, streamOf(evs, tbl, true))
		if d := diffStates(want[tbl], replay(t, streamOf(evs, tbl, true))); d != "" {
			t.Errorf("%s: replayed events differ from the source:\n%s", tbl.Name, d)
		}
	}
	for _, ev := range evs {
		if ev.Op == event.OpRead && ev.Source.CommitLSN.Compare(end.Snapshot.LSN) < 0 {
			t.Errorf("snapshot row of %s read at %s, before the stream's start %s: changes between them would be lost",
				ev.Table.Name, ev.Source.CommitLSN, end.Snapshot.LSN)
		}
	}
	if end.Snapshot.LSN != first[len(first)-1].Position.Snapshot.LSN {
		t.Errorf("the resumed snapshot moved the stream's start from %s to %s; it must keep the oldest",
			first[len(first)-1].Position.Snapshot.LSN, end.Snapshot.LSN)
	}
	// Progress counts each table's rows over both runs, as the position does.
	prog := r2.Progress()
	if prog.SnapshotTablesDone != 3 || len(prog.Tables) != 3 {
		t.Errorf("progress: %d of %d tables done, want 3 of 3", prog.SnapshotTablesDone, len(prog.Tables))
	}
	for _, tp := range prog.Tables {
		if st := end.Snapshot.Tables[tp.Table]; !tp.Done || tp.RowsDone != st.Rows {
			t.Errorf("progress of %s: %d rows (done %v), the position says %d", tp.Table, tp.RowsDone, tp.Done, st.Rows)
		}
	}
	last := map[string]int{}
	for _, ev := range evs {
		if ev.Source.Snapshot == "last" {
			last[ev.Table.Name]++
		}
	}
	for _, tbl := range tables {
		if last[tbl.Name] != 1 {
			t.Errorf("%s: %d rows marked as the snapshot's last, want 1", tbl.Name, last[tbl.Name])
		}
	}
}

// waitSnapshotReaders waits until n sessions are in a SNAPSHOT transaction
// at once (transaction_isolation_level 5).
func waitSnapshotReaders(db *sql.DB, n int) error {
	deadline := time.Now().Add(e2eWait)
	for {
		var got int
		err := db.QueryRow(`SELECT COUNT(*) FROM sys.dm_exec_sessions WHERE transaction_isolation_level = 5 AND open_transaction_count > 0`).Scan(&got)
		if err == nil && got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d sessions in a SNAPSHOT transaction after %s, want %d (err %v)", got, e2eWait, n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
