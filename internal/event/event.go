// Package event holds one change of one source row, as the producer reads it
// from SQL Server and the consumer applies it to the target. It is the value
// that flows between the source reader, the Avro codec and the target applier.
package event

import (
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// Op is the kind of change, with Debezium's letters.
type Op byte

const (
	OpRead   Op = 'r' // a row of the initial snapshot
	OpCreate Op = 'c' // an insert
	OpUpdate Op = 'u' // an update
	OpDelete Op = 'd' // a delete
)

func (o Op) String() string { return string(rune(o)) }

// Row holds one value per column of its Table, in Table.Columns order.
// Each value is nil (SQL NULL), Unchanged, or the Go type fixed for its
// column's SQL Server type:
//
//	bit                                   bool
//	tinyint, smallint, int, bigint        int64
//	decimal, numeric, money, smallmoney   *big.Rat (exact; the column's Scale gives the digits)
//	float                                 float64
//	real                                  float32
//	char, varchar, nchar, nvarchar,
//	text, ntext, xml                      string (UTF-8, whatever the source collation)
//	binary, varbinary, image              []byte
//	uniqueidentifier                      string, SQL Server's text form: "6F9619FF-8B86-D011-B42D-00C04FC964FF"
//	date                                  time.Time, midnight UTC
//	time                                  time.Duration since midnight (100 ns resolution kept)
//	datetime, datetime2, smalldatetime    time.Time in UTC holding the wall-clock value (no zone at the source)
//	datetimeoffset                        time.Time in a fixed zone with the source's offset
type Row []any

// unchanged marks a large-value column whose value an update did not change
// and whose value SQL Server's change table therefore does not hold.
type unchanged struct{}

// Unchanged stands in a Row for a large-value column that an update did not
// touch: the target must keep the value it has.
var Unchanged any = unchanged{}

// IsUnchanged reports whether v is the Unchanged marker.
func IsUnchanged(v any) bool { _, ok := v.(unchanged); return ok }

// Source is the envelope's source block: where and when the change happened.
// Its fields follow Debezium's SQL Server connector so that tools reading
// Debezium topics can read ours.
type Source struct {
	Version   string // this program's version
	Connector string // "sqlserver"
	Name      string // the topic prefix
	TsMs      int64  // commit time at the source (snapshot: read time)
	// Snapshot is "true" for snapshot rows, "last" for the last row of a
	// table's snapshot, "false" for streamed changes.
	Snapshot string
	Db       string
	Schema   string
	Table    string
	// ChangeLSN is the change's __$seqval; zero for snapshot rows.
	ChangeLSN lsn.LSN
	// CommitLSN is the __$start_lsn of the transaction; for snapshot rows, the
	// LSN the snapshot was consistent with.
	CommitLSN lsn.LSN
	// EventSerialNo orders events that share ChangeLSN (the two halves of an
	// update that SQL Server records as delete + insert, __$command_id).
	EventSerialNo int64
	// Incarnation identifies this life of the source database (see
	// source.Incarnation): it changes when the database is dropped and
	// recreated or restored, when LSNs start over and rows with the same
	// keys are other rows. Empty in events of older producers.
	Incarnation string
}

// Identity is where a row comes from: the source object and the life of
// its database. Two events with equal identities describe the same rows.
type Identity struct {
	Name, Database, Schema, Table string
	Incarnation                   string
}

// Identity returns the event's source identity, from its source block
// (falling back to its table for names an older event leaves empty).
func (e *Event) Identity() Identity {
	id := Identity{Name: e.Source.Name, Database: e.Source.Db, Schema: e.Source.Schema, Table: e.Source.Table, Incarnation: e.Source.Incarnation}
	if e.Table != nil {
		if id.Database == "" {
			id.Database = e.Table.Database
		}
		if id.Schema == "" {
			id.Schema = e.Table.Schema
		}
		if id.Table == "" {
			id.Table = e.Table.Name
		}
	}
	return id
}

// SameObject reports whether a and b name the same source table, whatever
// the life of its database.
func (a Identity) SameObject(b Identity) bool {
	return a.Name == b.Name && a.Database == b.Database && a.Schema == b.Schema && a.Table == b.Table
}

// resnapshotMark separates, in an event's incarnation, the database's
// incarnation from the LSN at which the producer took a new snapshot of the
// event's table because CDC cleanup had removed changes it never read.
const resnapshotMark = "/resnapshot "

// TableIncarnation is the incarnation the events of a table carry: the
// database's, followed by the LSN of the table's last new snapshot taken
// after changes were lost to CDC cleanup (none when at is zero). The LSN is
// fixed-width hex, so a later snapshot sorts after an earlier one, and
// both after the database's incarnation alone.
func TableIncarnation(database string, at lsn.LSN) string {
	if at.IsZero() || database == "" {
		return database
	}
	return database + resnapshotMark + at.String()
}

// Resnapshot reports whether b holds the rows of a new snapshot of a's
// table, taken by the producer in the same life of the source database
// after CDC cleanup removed changes it never read: the rows a's events left
// in the target may include rows deleted since, so b's snapshot replaces
// them.
func (a Identity) Resnapshot(b Identity) bool {
	if !a.SameObject(b) || a.Incarnation == "" || b.Incarnation <= a.Incarnation {
		return false
	}
	adb, _, _ := strings.Cut(a.Incarnation, resnapshotMark)
	bdb, bat, ok := strings.Cut(b.Incarnation, resnapshotMark)
	return ok && bat != "" && adb == bdb
}

// String is <name>:<database>.<schema>.<table>, the form of DTS's
// __dts_data_source, followed by the incarnation when known.
func (a Identity) String() string {
	s := a.Name + ":" + a.Database + "." + a.Schema + "." + a.Table
	if a.Incarnation != "" {
		s += " (database incarnation " + a.Incarnation + ")"
	}
	return s
}

// Event is one change of one row.
type Event struct {
	Table  *catalog.Table
	Op     Op
	Before Row // nil for OpRead and OpCreate
	After  Row // nil for OpDelete
	Source Source
	TsMs   int64 // when this program produced the event
}

// Position orders events of one table by source log order, for the target's
// guard against moving a row backwards: commit LSN, then change LSN, then
// serial number.
func (e *Event) Position() (commit, change lsn.LSN, serial int64) {
	return e.Source.CommitLSN, e.Source.ChangeLSN, e.Source.EventSerialNo
}

// Key returns the primary-key values of the row the event is about: After's
// for inserts, updates and snapshot rows, Before's for deletes.
func (e *Event) Key() (Row, error) {
	idx, err := e.Table.KeyIndexes()
	if err != nil {
		return nil, err
	}
	r := e.After
	if e.Op == OpDelete {
		r = e.Before
	}
	k := make(Row, len(idx))
	for i, j := range idx {
		if j < len(r) {
			k[i] = r[j]
		}
	}
	return k, nil
}
