package source

import (
	"container/heap"

	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// change is one event read from a change table, with its place in the log.
type change struct {
	table int // index of the table in the reader's (sorted) table list: the last tie-breaker
	// ts is the table as the capture instance read describes it (the
	// columns it captures).
	ts     *tableState
	commit lsn.LSN
	key    ChangeKey
	op     event.Op
	before event.Row
	after  event.Row
}

// less orders changes as the source log did: commit LSN, then command id,
// seqval and operation inside the transaction, then table, which only
// matters for rows that SQL Server would never give equal keys.
func (c *change) less(o *change) bool {
	if x := c.commit.Compare(o.commit); x != 0 {
		return x < 0
	}
	if x := c.key.Compare(o.key); x != 0 {
		return x < 0
	}
	return c.table < o.table
}

// changeSource yields one table's changes in order; ok is false at the end.
type changeSource interface {
	next() (c *change, ok bool, err error)
}

// merger merges several ordered change sources into one ordered stream with
// a min-heap of their heads.
type merger struct {
	h mergeHeap
}

type mergeItem struct {
	head *change
	src  changeSource
}

type mergeHeap []mergeItem

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(i, j int) bool { return h[i].head.less(h[j].head) }
func (h mergeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.(mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func newMerger(srcs []changeSource) (*merger, error) {
	m := &merger{}
	for _, s := range srcs {
		c, ok, err := s.next()
		if err != nil {
			return nil, err
		}
		if ok {
			m.h = append(m.h, mergeItem{head: c, src: s})
		}
	}
	heap.Init(&m.h)
	return m, nil
}

// next returns the smallest change of all sources.
func (m *merger) next() (*change, bool, error) {
	if len(m.h) == 0 {
		return nil, false, nil
	}
	top := m.h[0]
	c, ok, err := top.src.next()
	if err != nil {
		return nil, false, err
	}
	if ok {
		m.h[0].head = c
		heap.Fix(&m.h, 0)
	} else {
		heap.Pop(&m.h)
	}
	return top.head, true, nil
}
