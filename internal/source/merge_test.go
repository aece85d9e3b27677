package source

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

func testTable() *tableState {
	t := &catalog.Table{Database: "db", Schema: "dbo", Name: "t", CaptureInstance: "dbo_t",
		Columns: []catalog.Column{
			{Name: "id", Ordinal: 1, Type: "int"},
			{Name: "name", Ordinal: 2, Type: "nvarchar", Length: 10, Nullable: true},
			{Name: "notes", Ordinal: 3, Type: "ntext", Nullable: true},
			{Name: "pic", Ordinal: 4, Type: "image", Nullable: true},
		},
		PrimaryKey: []string{"id"}}
	return &tableState{t: t, key: "dbo.t", ords: []int{1, 2, 3, 4}, keyIdx: []int{0}}
}

func isUnchanged(v any) bool { return event.IsUnchanged(v) }

func mkLSN(n int) lsn.LSN {
	var l lsn.LSN
	l[7], l[9] = byte(n>>8), byte(n)
	return l
}

// sliceSource is a changeSource over a fixed, ordered list.
type sliceSource struct {
	items []*change
	err   error
}

func (s *sliceSource) next() (*change, bool, error) {
	if len(s.items) == 0 {
		return nil, false, s.err
	}
	c := s.items[0]
	s.items = s.items[1:]
	return c, true, nil
}

func ch(table, commit, seq, op int) *change {
	return &change{table: table, commit: mkLSN(commit), key: ChangeKey{SeqVal: mkLSN(seq), Operation: op}}
}

func name(c *change) string {
	return fmt.Sprintf("t%d@%d/%d/%d", c.table, c.commit[9], c.key.SeqVal[9], c.key.Operation)
}

func TestMergerOrder(t *testing.T) {
	// Two tables changed in the same transactions: rows must come out in
	// (commit, seqval, operation) order whatever table they are in.
	a := &sliceSource{items: []*change{ch(0, 10, 11, 2), ch(0, 10, 13, 1), ch(0, 10, 13, 2), ch(0, 30, 31, 3)}}
	b := &sliceSource{items: []*change{ch(1, 10, 12, 2), ch(1, 20, 21, 1), ch(1, 30, 32, 2)}}
	empty := &sliceSource{}
	m, err := newMerger([]changeSource{a, empty, b})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		c, ok, err := m.next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, name(c))
	}
	want := []string{"t0@10/11/2", "t1@10/12/2", "t0@10/13/1", "t0@10/13/2", "t1@20/21/1", "t0@30/31/3", "t1@30/32/2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("order\n got %v\nwant %v", got, want)
	}
}

func TestMergerPropagatesError(t *testing.T) {
	boom := errors.New("boom")
	m, err := newMerger([]changeSource{&sliceSource{items: []*change{ch(0, 1, 1, 2)}, err: boom}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.next(); !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
}

// batcherRun feeds changes through a batcher and returns the batches' sizes
// and positions.
func batcherRun(t *testing.T, max int, changes []*change, start Position) []Batch {
	t.Helper()
	return batcherRunWith(t, Config{}, max, changes, start)
}

func batcherRunWith(t *testing.T, cfg Config, max int, changes []*change, start Position) []Batch {
	t.Helper()
	r := &Reader{cfg: cfg.withDefaults(), tables: []*tableState{testTable(), testTable()}}
	r.times.m = map[lsn.LSN]int64{}
	for _, c := range changes {
		r.times.m[c.commit] = 1000
	}
	var out []Batch
	pos := start
	b := batcher{r: r, pos: &pos, max: max, emit: func(_ context.Context, b Batch) error {
		out = append(out, b)
		return nil
	}}
	for _, c := range changes {
		c.op = event.OpCreate
		if err := b.add(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBatcherKeepsTransactionsWhole(t *testing.T) {
	changes := []*change{
		ch(0, 10, 11, 2), ch(1, 10, 12, 2), // tx 10: 2 events
		ch(0, 20, 21, 2), ch(0, 20, 22, 2), // tx 20: 2 events
		ch(0, 30, 31, 2), // tx 30: 1 event
	}
	got := batcherRun(t, 3, changes, Position{})
	// tx 10 (2) fits; adding tx 20 would make 4 > 3, so tx 10 goes alone.
	want := []struct {
		n      int
		commit int
	}{{2, 10}, {3, 30}}
	if len(got) != len(want) {
		t.Fatalf("got %d batches, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		if len(got[i].Events) != w.n || got[i].Position.Stream.CommitLSN != mkLSN(w.commit) || got[i].Position.Stream.InTx {
			t.Errorf("batch %d: %d events, position %s; want %d events ending at commit %d", i, len(got[i].Events), got[i].Position, w.n, w.commit)
		}
	}
}

func TestBatcherSplitsLargeTransaction(t *testing.T) {
	var changes []*change
	for i := 1; i <= 5; i++ {
		changes = append(changes, ch(0, 10, 10+i, 2))
	}
	changes = append(changes, ch(0, 20, 21, 2))
	got := batcherRun(t, 2, changes, Position{})
	if len(got) != 3 {
		t.Fatalf("got %d batches, want 3", len(got))
	}
	p := got[0].Position.Stream
	if !p.InTx || p.CommitLSN != mkLSN(10) || p.Last.SeqVal != mkLSN(12) || p.Emitted != 2 {
		t.Errorf("first batch position %s, want inside commit 10 after seqval 12", got[0].Position)
	}
	p = got[1].Position.Stream
	if !p.InTx || p.Last.SeqVal != mkLSN(14) || p.Emitted != 4 {
		t.Errorf("second batch position %s, want inside commit 10 after seqval 14", got[1].Position)
	}
	// The fifth change ends tx 10; tx 20 follows; both fit in the last batch.
	p = got[2].Position.Stream
	if len(got[2].Events) != 2 || p.InTx || p.CommitLSN != mkLSN(20) {
		t.Errorf("third batch: %d events at %s, want the rest of commit 10 and commit 20", len(got[2].Events), got[2].Position)
	}
	for i, b := range got {
		if len(b.Events) > 2 {
			t.Errorf("batch %d has %d events, above the maximum 2", i, len(b.Events))
		}
	}
}

// Large values close a batch at MaxBatchBytes as MaxBatchEvents would:
// a transaction is split, and every batch of more than one event stays
// within the bound.
func TestBatcherBoundsBytes(t *testing.T) {
	var changes []*change
	for i := 1; i <= 5; i++ {
		c := ch(0, 10, 10+i, 2)
		c.after = event.Row{int64(i), strings.Repeat("x", 40), nil, nil} // 64 bytes by rowBytes
		changes = append(changes, c)
	}
	last := ch(0, 20, 21, 2)
	last.after = event.Row{int64(9), strings.Repeat("y", 40), nil, nil}
	changes = append(changes, last)
	got := batcherRunWith(t, Config{MaxBatchBytes: 150}, 100, changes, Position{})
	var sizes []int
	for i, b := range got {
		sizes = append(sizes, len(b.Events))
		var n int64
		for _, e := range b.Events {
			n += rowBytes(e.After)
		}
		if len(b.Events) > 1 && n > 150 {
			t.Errorf("batch %d holds %d value bytes, above MaxBatchBytes 150", i, n)
		}
	}
	if !slices.Equal(sizes, []int{2, 2, 2}) {
		t.Fatalf("batch sizes %v, want [2 2 2]", sizes)
	}
	if p := got[1].Position.Stream; !p.InTx || p.CommitLSN != mkLSN(10) || p.Emitted != 4 {
		t.Errorf("second batch position %s, want inside commit 10 after 4 events", got[1].Position)
	}
	if p := got[2].Position.Stream; p.InTx || p.CommitLSN != mkLSN(20) {
		t.Errorf("last batch position %s, want after commit 20", got[2].Position)
	}
}

func TestSerialOrdersKeyChange(t *testing.T) {
	del := serial(ChangeKey{Operation: 1})
	ins := serial(ChangeKey{Operation: 2})
	if del >= ins {
		t.Errorf("delete serial %d must be below insert serial %d", del, ins)
	}
}

func TestStreamStart(t *testing.T) {
	snap := Position{Snapshot: SnapshotPosition{Started: true, LSN: mkLSN(5), Done: true}}
	from, _, skip := streamStart(snap)
	if from != mkLSN(6) || skip {
		t.Errorf("after snapshot: from %s skip %v, want %s", from, skip, mkLSN(6))
	}
	in := snap
	in.Stream = StreamPosition{CommitLSN: mkLSN(9), InTx: true}
	from, commit, skip := streamStart(in)
	if from != mkLSN(9) || commit != mkLSN(9) || !skip {
		t.Errorf("inside tx: from %s commit %s skip %v", from, commit, skip)
	}
	done := snap
	done.Stream = StreamPosition{CommitLSN: mkLSN(9)}
	if from, _, _ := streamStart(done); from != mkLSN(10) {
		t.Errorf("after tx: from %s, want %s", from, mkLSN(10))
	}
	if from, _, _ := streamStart(Position{Snapshot: SnapshotPosition{Done: true}}); !from.IsZero() {
		t.Errorf("empty CDC at snapshot: from %s, want zero", from)
	}
}

func TestIncrement(t *testing.T) {
	l := lsn.LSN{0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff}
	if got, want := increment(l), (lsn.LSN{0, 0, 0, 1, 0, 0, 1, 0, 0, 0}); got != want {
		t.Errorf("increment(%s) = %s, want %s", l, got, want)
	}
}

func TestCheckRetention(t *testing.T) {
	z := lsn.Zero
	tests := []struct {
		name                   string
		from, min, snapshotMin lsn.LSN
		want                   lsn.LSN
		ok                     bool
	}{
		{"inside the window", mkLSN(10), mkLSN(5), mkLSN(5), mkLSN(10), true},
		{"at the window's start", mkLSN(5), mkLSN(5), z, mkLSN(5), true},
		{"cleaned up past the position", mkLSN(10), mkLSN(20), mkLSN(5), z, false},
		{"cleaned up, snapshot minimum unknown", mkLSN(10), mkLSN(20), z, z, false},
		{"instance created after the snapshot LSN, not cleaned", mkLSN(10), mkLSN(20), mkLSN(20), mkLSN(20), true},
		{"empty CDC at snapshot, not cleaned", z, mkLSN(7), mkLSN(7), mkLSN(7), true},
		{"empty CDC at snapshot, cleaned since", z, mkLSN(9), mkLSN(7), z, false},
		{"empty CDC, nothing known", z, mkLSN(9), z, mkLSN(9), true},
	}
	for _, tt := range tests {
		got, ok := checkRetention(tt.from, tt.min, tt.snapshotMin)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("%s: checkRetention = %s, %v; want %s, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
