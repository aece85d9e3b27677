package kafka

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// verifyTimeout bounds the wait for a transaction's marker.
const verifyTimeout = 30 * time.Second

// Control record types (the int16 after the version in a control key).
const (
	controlAbort  = 0
	controlCommit = 1
)

// commitLanded reports whether the transaction that produced rec (whose
// promise succeeded, so its partition, offset and producer id are set)
// committed. It reads rec's partition from rec's offset, uncommitted and
// with control records, up to the first transaction marker of rec's
// producer id, and returns whether that marker is a commit.
//
// WriteBatch checks every commit this way because kgo can end a
// transaction it was asked to commit with an abort and report success:
// franz-go v1.22.3, pkg/kgo/txn.go, (*Client).EndTransaction, the branch
// where no partition is marked added to the transaction although records
// were produced in it (KIP-890 part 2: the mark is set only when a Produce
// v12+ response for the partition is handled, pkg/kgo/sink.go). It logs "no
// produce succeeded in this transaction but produces were attempted;
// issuing an abort", switches the commit to an abort and returns nil. Under
// load it has been seen to take that branch although a produce succeeded
// (the same bookkeeping was fixed once before, twmb/franz-go#967).
// TestKgoCommitCanEndInAbort shows the silent abort; when it fails, kgo has
// changed and this read-back can go.
func commitLanded(ctx context.Context, cl *kgo.Client, rec *kgo.Record) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	details, err := kadm.NewClient(cl).ListTopics(ctx, rec.Topic)
	if err != nil {
		return false, fmt.Errorf("describe %q: %w", rec.Topic, err)
	}
	d := details[rec.Topic]
	p, ok := d.Partitions[rec.Partition]
	if d.Err != nil || !ok {
		return false, fmt.Errorf("describe %q partition %d: %w", rec.Topic, rec.Partition, d.Err)
	}
	off := rec.Offset
	for {
		fp, next, err := fetchOnce(ctx, cl, rawFetch{topic: rec.Topic, topicID: d.ID, partition: rec.Partition, leader: p.Leader,
			offset: off, keepControl: true, maxWait: 200 * time.Millisecond})
		if err != nil {
			return false, fmt.Errorf("fetch %q partition %d at %d: %w", rec.Topic, rec.Partition, off, err)
		}
		if fp.Err != nil {
			return false, fmt.Errorf("fetch %q partition %d at %d: %w", rec.Topic, rec.Partition, off, fp.Err)
		}
		for _, r := range fp.Records {
			if !r.Attrs.IsControl() || r.ProducerID != rec.ProducerID || len(r.Key) < 4 {
				continue
			}
			switch binary.BigEndian.Uint16(r.Key[2:4]) {
			case controlCommit:
				return true, nil
			case controlAbort:
				return false, nil
			}
		}
		if next > off {
			off = next
		}
		if err := ctx.Err(); err != nil {
			return false, fmt.Errorf("no transaction marker after offset %d of %q partition %d: %w", rec.Offset, rec.Topic, rec.Partition, err)
		}
	}
}
