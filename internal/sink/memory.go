package sink

import (
	"math/big"
	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// A batch is held in memory twice over: its Kafka records and the events
// decoded from them, which take several times the records' bytes (every
// value boxed in an interface, decimals as big.Rat, before and after
// images). MaxBatchBytes bounds both together, so that the memory of the
// batch being applied and of the one read ahead meanwhile follows from the
// setting, whatever the rows look like. gather cannot know a record's
// decoded size before decoding it: it weighs each record's bytes by the
// ratio the last decoded batch showed.

// initialDecodedRatio is the decoded bytes per record byte assumed until a
// batch has been decoded: about what a row of short mixed-type columns
// with before and after images shows (make bench measures 5 to 6), so that
// the first batch is not larger than the later ones.
const initialDecodedRatio = 6.0

// Per-value costs on a 64-bit platform: an interface's two words, and what
// a boxed value of each type allocates besides.
const (
	ifaceBytes  = 16
	stringBytes = 16 // the boxed string header
	sliceBytes  = 24
	ratBytes    = int(unsafe.Sizeof(big.Rat{}))
	timeBytes   = int(unsafe.Sizeof(time.Time{}))
	wordBytes   = 8
	eventBytes  = int(unsafe.Sizeof(event.Event{})) + int(unsafe.Sizeof(apply.Origin{})) + 8 // the event, its origin, its pointer
)

// decodedBytes estimates the heap a decoded event takes. It errs on the
// high side for small values (allocator size classes) and is exact enough
// for large ones, which is where it matters.
func decodedBytes(e *event.Event) int {
	n := eventBytes + rowBytes(e.Before) + rowBytes(e.After)
	s := &e.Source
	return n + len(s.Version) + len(s.Connector) + len(s.Name) + len(s.Snapshot) + len(s.Db) + len(s.Schema) + len(s.Table) + len(s.Incarnation)
}

func rowBytes(r event.Row) int {
	n := ifaceBytes * len(r)
	for _, v := range r {
		switch v := v.(type) {
		case nil, bool:
		case string:
			n += stringBytes + len(v)
		case []byte:
			n += sliceBytes + len(v)
		case *big.Rat:
			// Denom is not called: on a Rat that holds an integer it
			// writes to the Rat, which another goroutine may be reading.
			n += ratBytes + wordBytes*(2*len(v.Num().Bits())+1)
		case time.Time:
			n += timeBytes
		default:
			n += wordBytes
		}
	}
	return n
}

// batchBytes is the memory a decoded batch holds besides its records: the
// events and their origins.
func batchBytes(b *apply.Batch) int {
	n := 0
	for _, e := range b.Events {
		n += decodedBytes(e)
	}
	return n
}

// kgoRecordBytes is what the client allocates per record besides its key
// and value: it matters for small records.
const kgoRecordBytes = int(unsafe.Sizeof(kgo.Record{}))

// recordBytes is what one record holds before decoding.
func recordBytes(r *kgo.Record) int { return kgoRecordBytes + len(r.Key) + len(r.Value) }

// recordsBytes is recordBytes of recs.
func recordsBytes(recs []*kgo.Record) int {
	n := 0
	for _, r := range recs {
		n += recordBytes(r)
	}
	return n
}

// pollLimit is how many records gather asks the next poll for: what
// MaxBatchEvents leaves, and no more than MaxBatchBytes leaves room for at
// the mean record size (of the records gathered so far, else of the last
// batch), so that one poll, which may return every fetch buffered, does
// not overshoot the byte bound. Knowing no record size yet, it asks for
// one record.
func (s *runner) pollLimit(have, size int, weight, mean float64) int {
	n := s.cfg.MaxBatchEvents - have
	if mean == 0 {
		mean = s.recordSize
	}
	if mean == 0 {
		return min(n, 1)
	}
	room := float64(s.cfg.MaxBatchBytes-size) / (mean * weight)
	return min(n, max(int(room), 1))
}
