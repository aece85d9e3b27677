package source

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// PositionVersion is the version of Position's JSON form.
const PositionVersion = 1

// Position is where the reader is in the source: the snapshot's progress and
// then the streaming position. It is one value, saved with the events that
// led to it and handed back to Run to resume. The zero value means "start
// from the beginning": take a snapshot, then stream.
type Position struct {
	// Incarnation is the life of the source database the position belongs
	// to (see Incarnation); empty in positions saved by older versions.
	Incarnation string
	Snapshot    SnapshotPosition
	Stream      StreamPosition
}

// SnapshotPosition is the progress of the initial snapshot.
type SnapshotPosition struct {
	// Started is set once a snapshot transaction recorded LSN.
	Started bool
	// LSN is the oldest snapshot LSN of any chunk read (sys.fn_cdc_get_max_lsn
	// inside the first snapshot transaction). Streaming starts after it.
	LSN lsn.LSN
	// Done is set when every table's snapshot is complete.
	Done bool
	// Tables holds each table's progress, by "schema.table".
	Tables map[string]TableSnapshot
}

// TableSnapshot is one table's snapshot progress.
type TableSnapshot struct {
	Done bool
	// Rows is the number of rows emitted so far.
	Rows int64
	// LastKey is the primary key of the last row emitted, as text (see
	// keyText), in key order; nil before the first chunk.
	LastKey []string
	// InstanceMinLSN is the capture instance's sys.fn_cdc_get_min_lsn when the
	// snapshot began: while it has not moved, no change was cleaned up, so an
	// instance created after the snapshot LSN is read from its start.
	InstanceMinLSN lsn.LSN
	// Added names the columns the table gained while synchronized: events
	// carry them as optional fields from then on, across restarts.
	Added []string
	// Stopped says why the table is no longer read (DDL the pipeline cannot
	// follow, CDC disabled); empty while it is read.
	Stopped string
	// Resnapshot is the capture instance's minimum LSN when changes of the
	// table were found cleaned up before they were read and the table was
	// snapshotted again (Config.ResnapshotLost); zero if never. Its events
	// carry it in their incarnation (event.TableIncarnation).
	Resnapshot lsn.LSN
	// Estimate is the table's estimated rows when its snapshot (re)started,
	// StartedMs when it first started and UpdatedMs when its last chunk
	// was read (Unix milliseconds): for progress shown without the
	// producer (consumer status), never for correctness.
	Estimate             int64
	StartedMs, UpdatedMs int64
	// Ranges, when set, split the table's snapshot into ranges of its first
	// key column read in parallel (see Config.SnapshotParallelism); each
	// keeps its own progress and LastKey is unused. Rows and Done are then
	// the sums over the ranges.
	Ranges []KeyRange
}

// KeyRange is one part of a table's snapshot: the rows whose first key
// column k satisfies From <= k < To (an empty bound is open), read in key
// order by keyset pagination like a whole table.
type KeyRange struct {
	From, To string
	Done     bool
	Rows     int64
	// LastKey is the whole primary key of the last row emitted from the
	// range, as text (see keyText); nil before its first chunk.
	LastKey []string
}

// StreamPosition is the position in the change tables.
type StreamPosition struct {
	// CommitLSN is the __$start_lsn of the last transaction whose events were
	// emitted, or the last LSN up to which nothing was left to emit. Zero
	// before streaming emitted anything: start after Snapshot.LSN.
	CommitLSN lsn.LSN
	// InTx is set when a transaction was split across batches and only part
	// of CommitLSN's events were emitted; Last says which one came last.
	InTx bool
	Last ChangeKey
	// Emitted counts the events of CommitLSN emitted so far (for logs).
	Emitted int64
	// CommitMs is CommitLSN's commit time at the source (Unix
	// milliseconds; 0 when not known): for status, never for correctness.
	CommitMs int64
}

// ChangeKey is the order of a change inside its transaction: __$seqval,
// then __$operation (an update's key has operation 3, its first image).
type ChangeKey struct {
	SeqVal    lsn.LSN
	Operation int
}

// Compare orders change keys as the change tables are read.
func (k ChangeKey) Compare(o ChangeKey) int {
	switch {
	case k.SeqVal != o.SeqVal:
		return k.SeqVal.Compare(o.SeqVal)
	case k.Operation != o.Operation:
		if k.Operation < o.Operation {
			return -1
		}
		return 1
	}
	return 0
}

// String is a short form for logs.
func (p Position) String() string {
	var sb strings.Builder
	if !p.Snapshot.Done {
		done := 0
		var rows int64
		for _, t := range p.Snapshot.Tables {
			if t.Done {
				done++
			}
			rows += t.Rows
		}
		fmt.Fprintf(&sb, "snapshot(lsn=%s tables_done=%d rows=%d)", p.Snapshot.LSN, done, rows)
		return sb.String()
	}
	if p.Stream.CommitLSN.IsZero() {
		fmt.Fprintf(&sb, "stream(after snapshot lsn=%s)", p.Snapshot.LSN)
		return sb.String()
	}
	fmt.Fprintf(&sb, "stream(commit=%s", p.Stream.CommitLSN)
	if p.Stream.InTx {
		fmt.Fprintf(&sb, " inside after seqval=%s op=%d emitted=%d",
			p.Stream.Last.SeqVal, p.Stream.Last.Operation, p.Stream.Emitted)
	}
	sb.WriteString(")")
	return sb.String()
}

// clone returns a deep copy, so that a Batch's Position is not changed by
// later progress.
func (p Position) clone() Position {
	c := p
	if p.Snapshot.Tables != nil {
		c.Snapshot.Tables = make(map[string]TableSnapshot, len(p.Snapshot.Tables))
		for k, v := range p.Snapshot.Tables {
			v.LastKey = append([]string(nil), v.LastKey...)
			v.Added = append([]string(nil), v.Added...)
			if v.Ranges != nil {
				v.Ranges = slices.Clone(v.Ranges)
				for i := range v.Ranges {
					v.Ranges[i].LastKey = append([]string(nil), v.Ranges[i].LastKey...)
				}
			}
			c.Snapshot.Tables[k] = v
		}
	}
	return c
}

// The JSON form writes LSNs in their Debezium text form.
type positionJSON struct {
	V           int          `json:"v"`
	Incarnation string       `json:"incarnation,omitempty"`
	Snapshot    snapshotJSON `json:"snapshot"`
	Stream      streamJSON   `json:"stream"`
}

type snapshotJSON struct {
	Started bool                         `json:"started,omitempty"`
	LSN     string                       `json:"lsn"`
	Done    bool                         `json:"done,omitempty"`
	Tables  map[string]tableSnapshotJSON `json:"tables,omitempty"`
}

type tableSnapshotJSON struct {
	Done           bool        `json:"done,omitempty"`
	Rows           int64       `json:"rows"`
	LastKey        []string    `json:"last_key,omitempty"`
	InstanceMinLSN string      `json:"instance_min_lsn,omitempty"`
	Added          []string    `json:"added,omitempty"`
	Stopped        string      `json:"stopped,omitempty"`
	Resnapshot     string      `json:"resnapshot,omitempty"`
	Estimate       int64       `json:"estimate,omitempty"`
	StartedMs      int64       `json:"started_ms,omitempty"`
	UpdatedMs      int64       `json:"updated_ms,omitempty"`
	Ranges         []rangeJSON `json:"ranges,omitempty"`
}

type rangeJSON struct {
	From    string   `json:"from,omitempty"`
	To      string   `json:"to,omitempty"`
	Done    bool     `json:"done,omitempty"`
	Rows    int64    `json:"rows"`
	LastKey []string `json:"last_key,omitempty"`
}

type streamJSON struct {
	CommitLSN string `json:"commit_lsn"`
	InTx      bool   `json:"in_tx,omitempty"`
	SeqVal    string `json:"seqval,omitempty"`
	Operation int    `json:"operation,omitempty"`
	Emitted   int64  `json:"emitted,omitempty"`
	CommitMs  int64  `json:"commit_ms,omitempty"`
}

// MarshalJSON writes the versioned JSON form.
func (p Position) MarshalJSON() ([]byte, error) {
	j := positionJSON{V: PositionVersion, Incarnation: p.Incarnation}
	j.Snapshot = snapshotJSON{Started: p.Snapshot.Started, LSN: p.Snapshot.LSN.String(), Done: p.Snapshot.Done}
	if len(p.Snapshot.Tables) > 0 {
		j.Snapshot.Tables = make(map[string]tableSnapshotJSON, len(p.Snapshot.Tables))
		for k, t := range p.Snapshot.Tables {
			tj := tableSnapshotJSON{Done: t.Done, Rows: t.Rows, LastKey: t.LastKey, Added: t.Added, Stopped: t.Stopped,
				Estimate: t.Estimate, StartedMs: t.StartedMs, UpdatedMs: t.UpdatedMs}
			if !t.InstanceMinLSN.IsZero() {
				tj.InstanceMinLSN = t.InstanceMinLSN.String()
			}
			if !t.Resnapshot.IsZero() {
				tj.Resnapshot = t.Resnapshot.String()
			}
			for _, kr := range t.Ranges {
				tj.Ranges = append(tj.Ranges, rangeJSON(kr))
			}
			j.Snapshot.Tables[k] = tj
		}
	}
	j.Stream = streamJSON{CommitLSN: p.Stream.CommitLSN.String(), InTx: p.Stream.InTx, Emitted: p.Stream.Emitted, CommitMs: p.Stream.CommitMs}
	if p.Stream.InTx {
		j.Stream.SeqVal = p.Stream.Last.SeqVal.String()
		j.Stream.Operation = p.Stream.Last.Operation
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the JSON form, refusing versions it does not know.
func (p *Position) UnmarshalJSON(b []byte) error {
	var j positionJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("source position: %w", err)
	}
	if j.V != PositionVersion {
		return fmt.Errorf("source position: version %d is not supported (this program writes version %d)", j.V, PositionVersion)
	}
	var q Position
	var err error
	q.Incarnation = j.Incarnation
	q.Snapshot.Started, q.Snapshot.Done = j.Snapshot.Started, j.Snapshot.Done
	if q.Snapshot.LSN, err = parseLSN(j.Snapshot.LSN); err != nil {
		return fmt.Errorf("source position: snapshot lsn: %w", err)
	}
	if len(j.Snapshot.Tables) > 0 {
		q.Snapshot.Tables = make(map[string]TableSnapshot, len(j.Snapshot.Tables))
		for k, tj := range j.Snapshot.Tables {
			t := TableSnapshot{Done: tj.Done, Rows: tj.Rows, LastKey: tj.LastKey, Added: tj.Added, Stopped: tj.Stopped,
				Estimate: tj.Estimate, StartedMs: tj.StartedMs, UpdatedMs: tj.UpdatedMs}
			if t.InstanceMinLSN, err = parseLSN(tj.InstanceMinLSN); err != nil {
				return fmt.Errorf("source position: table %s: %w", k, err)
			}
			if t.Resnapshot, err = parseLSN(tj.Resnapshot); err != nil {
				return fmt.Errorf("source position: table %s: resnapshot: %w", k, err)
			}
			for _, rj := range tj.Ranges {
				t.Ranges = append(t.Ranges, KeyRange(rj))
			}
			q.Snapshot.Tables[k] = t
		}
	}
	q.Stream.InTx, q.Stream.Emitted, q.Stream.CommitMs = j.Stream.InTx, j.Stream.Emitted, j.Stream.CommitMs
	if q.Stream.CommitLSN, err = parseLSN(j.Stream.CommitLSN); err != nil {
		return fmt.Errorf("source position: commit lsn: %w", err)
	}
	if q.Stream.InTx {
		q.Stream.Last.Operation = j.Stream.Operation
		if q.Stream.Last.SeqVal, err = parseLSN(j.Stream.SeqVal); err != nil {
			return fmt.Errorf("source position: seqval: %w", err)
		}
	}
	*p = q
	return nil
}

func parseLSN(s string) (lsn.LSN, error) {
	if s == "" {
		return lsn.Zero, nil
	}
	return lsn.Parse(s)
}
