package source

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// TestE2EInterleavedTransactions: many sessions run long and short
// transactions over the same and different tables; they begin in one
// order and commit (or roll back) in another, and a writer waits for a
// row another transaction holds. The stream must carry each committed
// transaction as one contiguous unit, in commit order, with its changes in
// statement order, nothing of the rolled-back ones, and replay to the
// source's final state. SQL Server orders change rows by __$start_lsn, the
// commit LSN, then __$seqval:
// https://learn.microsoft.com/en-us/sql/relational-databases/system-tables/cdc-capture-instance-ct-transact-sql
func TestE2EInterleavedTransactions(t *testing.T) {
	for _, lag := range []time.Duration{0, 30 * time.Millisecond} {
		t.Run(fmt.Sprintf("capture lag %s", lag), func(t *testing.T) {
			testInterleaved(t, lag)
		})
	}
}

// ilStep is one statement of a transaction and the change it makes.
type ilStep struct {
	sql    string
	change string // table op id, as signature renders events
}

// ilTxn is one transaction of the workload.
type ilTxn struct {
	label    string
	steps    []ilStep
	rollback bool
	conn     *sql.Conn
	tx       *sql.Tx
}

const ilSessions = 8

func testInterleaved(t *testing.T, lag time.Duration) {
	e := newEnvLag(t, true, lag)
	e.exec(`CREATE TABLE dbo.a (id int NOT NULL PRIMARY KEY, v int NOT NULL, txn varchar(20) NOT NULL)`)
	e.exec(`CREATE TABLE dbo.b (id int NOT NULL PRIMARY KEY, v nvarchar(20) NULL, txn varchar(20) NOT NULL)`)
	e.enableTable("a", "")
	e.enableTable("b", "")
	alive := map[string]bool{} // "a 7": the row exists
	for id := 1; id <= 40; id++ {
		e.exec(`INSERT INTO dbo.a VALUES (@p1, 0, 'init'); INSERT INTO dbo.b VALUES (@p1, N'init', 'init')`, id)
		alive[fmt.Sprintf("a %d", id)], alive[fmt.Sprintf("b %d", id)] = true, true
	}
	e.waitCaptured("dbo_a", 40)
	e.waitCaptured("dbo_b", 40)
	tables, _, err := Discover(context.Background(), e.db, e.config())
	if err != nil || len(tables) != 2 {
		t.Fatalf("Discover: %d tables, %v", len(tables), err)
	}
	ru := startRun(t, NewReader(e.db, e.config(), tables), Position{}, nil)
	ru.waitFor("the snapshot", snapshotDone)

	ctx := context.Background()
	conns := make([]*sql.Conn, ilSessions+1)
	for i := range conns {
		c, err := e.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		conns[i] = c
	}
	var committed [][]string // each committed transaction's changes, in commit order
	for round := 0; round < 3; round++ {
		rnd := rand.New(rand.NewSource(int64(round + 1)))
		txns := ilWorkload(rnd, round, alive)
		for i, x := range txns {
			x.conn = conns[i]
		}
		committed = append(committed, ilRun(t, ctx, rnd, txns, conns[ilSessions], alive)...)
	}

	want := map[string]map[string]string{}
	for _, tbl := range tables {
		want[tbl.Name] = readState(t, e.db, tbl)
	}
	ru.waitFor("the source's final state", func(bs []Batch) bool {
		for _, tbl := range tables {
			if diffStates(want[tbl.Name], replay(t, streamOf(events(bs), tbl, true))) != "" {
				return false
			}
		}
		return true
	})
	evs := events(ru.batches())
	for _, tbl := range tables {
		assertNoDuplicates(t, streamOf(evs, tbl, true))
		if d := diffStates(want[tbl.Name], replay(t, streamOf(evs, tbl, true))); d != "" {
			t.Errorf("table %s differs from the source:\n%s", tbl.Name, d)
		}
	}

	// Split the stream into runs of one commit LSN: each run must be one
	// committed transaction, in commit order, its changes in statement order.
	var runs [][]string
	var last *event.Event
	for _, ev := range streamOf(evs, nil, false) {
		if last == nil || ev.Source.CommitLSN != last.Source.CommitLSN {
			if last != nil && ev.Source.CommitLSN.Compare(last.Source.CommitLSN) < 0 {
				t.Errorf("commit LSN %s after %s: the stream is not in commit order", ev.Source.CommitLSN, last.Source.CommitLSN)
			}
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], signature(ev))
		last = ev
	}
	if len(runs) != len(committed) {
		t.Errorf("%d transactions in the stream, %d committed", len(runs), len(committed))
	}
	for i := 0; i < min(len(runs), len(committed)); i++ {
		if got, want := strings.Join(runs[i], ", "), strings.Join(committed[i], ", "); got != want {
			t.Errorf("transaction %d in commit order:\n got %s\nwant %s", i, got, want)
		}
	}
}

// streamOf returns the streamed (not snapshot) events, of tbl only when it
// is given; withSnapshot keeps the snapshot rows too (to replay a table).
func streamOf(evs []*event.Event, tbl *catalog.Table, withSnapshot bool) []*event.Event {
	var out []*event.Event
	for _, ev := range evs {
		if (ev.Op == event.OpRead && !withSnapshot) || (tbl != nil && ev.Table != tbl) {
			continue
		}
		out = append(out, ev)
	}
	return out
}

func signature(ev *event.Event) string {
	row := ev.After
	if ev.Op == event.OpDelete {
		row = ev.Before
	}
	return fmt.Sprintf("%s %s %s", ev.Table.Name, ev.Op, valueString(row[0]))
}

// ilWorkload builds one round: transaction i owns the existing rows whose
// id is i modulo ilSessions and new ids 1000 + round*10000 + i*100 + k
// (the tables start with ids 1..40), so that the transactions never wait
// for each other; every third one is long, two (never 0) roll back.
func ilWorkload(rnd *rand.Rand, round int, alive map[string]bool) []*ilTxn {
	txns := make([]*ilTxn, ilSessions)
	for i := range txns {
		x := &ilTxn{label: fmt.Sprintf("r%d-t%d", round, i), rollback: i == 2 || i == 5}
		n := 1 + rnd.Intn(3)
		if i%3 == 0 {
			n = 6 + rnd.Intn(5)
		}
		mine := map[string]bool{}
		for k, ok := range alive {
			var id int
			fmt.Sscanf(k[2:], "%d", &id)
			if ok && id%ilSessions == i {
				mine[k] = true
			}
		}
		next := 1000 + round*10000 + i*100
		for len(x.steps) < n {
			tbl := []string{"a", "b"}[rnd.Intn(2)]
			op := rnd.Intn(4)
			if i == 0 && (len(x.steps) == 0 || op == 1) {
				// Transaction 0 starts with an update (the waiting writer's
				// row, see ilRun) and deletes nothing.
				op = 2
			}
			switch {
			case op == 0 || len(mine) == 0:
				next++
				v := "1"
				if tbl == "b" {
					v = "N'new'"
				}
				x.steps = append(x.steps, ilStep{fmt.Sprintf("INSERT INTO dbo.%s VALUES (%d, %s, '%s')", tbl, next, v, x.label), fmt.Sprintf("%s c %d", tbl, next)})
				mine[fmt.Sprintf("%s %d", tbl, next)] = true
			default:
				k := anyKey(rnd, mine)
				tbl, id := k[:1], k[2:]
				if op == 1 {
					x.steps = append(x.steps, ilStep{fmt.Sprintf("DELETE FROM dbo.%s WHERE id = %s", tbl, id), fmt.Sprintf("%s d %s", tbl, id)})
					delete(mine, k)
					continue
				}
				set := "v = v + 1"
				if tbl == "b" {
					set = "v = N'" + x.label + "'"
				}
				x.steps = append(x.steps, ilStep{fmt.Sprintf("UPDATE dbo.%s SET %s, txn = '%s' WHERE id = %s", tbl, set, x.label, id), fmt.Sprintf("%s u %s", tbl, id)})
			}
		}
		txns[i] = x
	}
	return txns
}

func anyKey(rnd *rand.Rand, m map[string]bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Sorted so that the seed alone decides the workload.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys[rnd.Intn(len(keys))]
}

// ilRun begins every transaction in order, then runs their statements and
// ends them in a random interleaving. While transaction 0 is open, a writer
// on its own session updates a row transaction 0 changed: it waits, and
// commits right after transaction 0. It returns the committed
// transactions' changes in commit order and applies them to alive.
func ilRun(t *testing.T, ctx context.Context, rnd *rand.Rand, txns []*ilTxn, waiter *sql.Conn, alive map[string]bool) [][]string {
	t.Helper()
	for _, x := range txns {
		tx, err := x.conn.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		x.tx = tx
	}
	var committed [][]string
	next := make([]int, len(txns))
	var waitDone chan error
	var waitChange string
	for {
		var open []int
		for i, x := range txns {
			if next[i] <= len(x.steps) {
				open = append(open, i)
			}
		}
		if len(open) == 0 {
			break
		}
		i := open[rnd.Intn(len(open))]
		x := txns[i]
		if next[i] < len(x.steps) {
			st := x.steps[next[i]]
			next[i]++
			if _, err := x.tx.ExecContext(ctx, st.sql); err != nil {
				t.Fatalf("%s: %s: %v", x.label, st.sql, err)
			}
			if i == 0 && waitDone == nil && strings.Contains(st.change, " u ") {
				tbl, id := st.change[:1], st.change[4:]
				waitChange = tbl + " u " + id
				waitDone = make(chan error, 1)
				go func(q string) {
					_, err := waiter.ExecContext(ctx, q)
					waitDone <- err
				}(fmt.Sprintf("UPDATE dbo.%s SET txn = 'waiter' WHERE id = %s", tbl, id))
			}
			continue
		}
		next[i]++
		var changes []string
		for _, st := range x.steps {
			changes = append(changes, st.change)
		}
		if x.rollback {
			if err := x.tx.Rollback(); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := x.tx.Commit(); err != nil {
				t.Fatal(err)
			}
			committed = append(committed, changes)
			for _, c := range changes {
				f := strings.Fields(c)
				alive[f[0]+" "+f[2]] = f[1] != "d"
			}
		}
		if i == 0 && waitDone != nil {
			if err := <-waitDone; err != nil {
				t.Fatalf("the waiting writer: %v", err)
			}
			committed = append(committed, []string{waitChange})
		}
	}
	return committed
}
