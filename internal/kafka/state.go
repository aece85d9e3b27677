package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// fetchMaxBytes bounds one fetch response while loading state.
const fetchMaxBytes = 16 << 20

// LoadState reads stateTopic from its start to its last stable offset with
// read_committed isolation and returns the value of the last committed
// record whose key is key: the position a restarted producer resumes from.
// Records of aborted or still open transactions are never returned. ok is
// false when the key has no record, or when its last record is a tombstone.
//
// LoadState issues its own fetch requests through cl, so cl may be any
// client (the TxnWriter's included) whatever its isolation level.
//
// Several producers (one per source) may share stateTopic. A transaction
// another producer left open (it was killed mid-batch) holds the topic's
// last stable offset back, and every state committed after it, this
// source's included, would be invisible until that transaction times out:
// a producer reading then would resume from an older position, or take a
// new snapshot that misses the deletes made meanwhile. So LoadState first
// waits until everything written to the topic before the call is decided
// (committed or aborted), polling every pollEvery; ctx bounds the wait.
func LoadState(ctx context.Context, cl *kgo.Client, stateTopic, key string) (value []byte, ok bool, err error) {
	if err := awaitDecided(ctx, cl, stateTopic); err != nil {
		return nil, false, fmt.Errorf("kafka: load state: %w", err)
	}
	kb := []byte(key)
	_, err = ReadCommitted(ctx, cl, stateTopic, nil, func(r *kgo.Record) error {
		if bytes.Equal(r.Key, kb) {
			value, ok = r.Value, r.Value != nil
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("kafka: load state: %w", err)
	}
	return value, ok, nil
}

// pollEvery is how often awaitDecided looks at the last stable offsets.
const pollEvery = 200 * time.Millisecond

// awaitDecided waits until the last stable offset of every partition of
// topic has reached the end the partition had when it was called. A
// missing topic has nothing to wait for (ReadCommitted reports it).
func awaitDecided(ctx context.Context, cl *kgo.Client, topic string) error {
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil || ends.Error() != nil {
		// Nothing to wait for: ReadCommitted, next, reports what is wrong
		// with the topic (a missing topic, with what to do) or the broker.
		return nil
	}
	for {
		stable, err := adm.ListCommittedOffsets(ctx, topic)
		if err != nil {
			return fmt.Errorf("read %q: list last stable offsets: %w", topic, err)
		}
		behind := false
		ends.Each(func(e kadm.ListedOffset) {
			if s, ok := stable.Lookup(topic, e.Partition); !ok || s.Err != nil || s.Offset < e.Offset {
				behind = true
			}
		})
		if !behind {
			return nil
		}
		t := time.NewTimer(pollEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("read %q: a transaction another producer left open is still undecided: %w", topic, ctx.Err())
		case <-t.C:
		}
	}
}

// ReadCommitted reads topic with read_committed isolation, every partition
// from the offset in from (the log start when from has none) up to the
// partition's last stable offset at the time of the call, and calls fn for
// each committed record in offset order, partition by partition. It returns
// the offsets to pass as from to read what was committed since. An error
// from fn stops the read and is returned.
//
// ReadCommitted issues its own fetch requests through cl, so cl may be any
// client whatever its isolation level. It suits small topics read whole
// (state, schemas), not bulk consumption.
func ReadCommitted(ctx context.Context, cl *kgo.Client, topic string, from map[int32]int64, fn func(*kgo.Record) error) (map[int32]int64, error) {
	adm := kadm.NewClient(cl)
	// Uncached: kadm caches metadata, including "unknown topic" answers,
	// for a few seconds; a fresh answer also refreshes that cache for the
	// offset listings below.
	details, err := adm.ListTopics(kadm.WithAuthorizedOps(ctx), topic)
	if err != nil {
		return nil, fmt.Errorf("read %q: describe topic: %w", topic, err)
	}
	d, found := details[topic]
	if !found || d.Err != nil {
		if found && !errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			return nil, fmt.Errorf("read %q: %w", topic, d.Err)
		}
		return nil, fmt.Errorf("topic %q: %w; create it (compacted) before starting", topic, kerr.UnknownTopicOrPartition)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("read %q: list start offsets: %w", topic, err)
	}
	ends, err := adm.ListCommittedOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("read %q: list last stable offsets: %w", topic, err)
	}
	next := make(map[int32]int64, len(d.Partitions))
	for _, p := range d.Partitions.Sorted() {
		start, okS := starts.Lookup(topic, p.Partition)
		end, okE := ends.Lookup(topic, p.Partition)
		if !okS || !okE {
			return nil, fmt.Errorf("read %q: no offsets for partition %d", topic, p.Partition)
		}
		if start.Err != nil || end.Err != nil {
			return nil, fmt.Errorf("read %q partition %d: list offsets: %w", topic, p.Partition, errors.Join(start.Err, end.Err))
		}
		off := start.Offset
		if f, ok := from[p.Partition]; ok && f > off {
			off = f
		}
		n, err := readPartition(ctx, cl, d, p, off, end.Offset, fn)
		if err != nil {
			return nil, err
		}
		next[p.Partition] = n
	}
	return next, nil
}

// readPartition reads [from, to) of one partition with read_committed
// isolation from its leader, calls fn for every committed record, and
// returns the offset to continue from.
func readPartition(ctx context.Context, cl *kgo.Client, d kadm.TopicDetail, p kadm.PartitionDetail, from, to int64, fn func(*kgo.Record) error) (int64, error) {
	topic := d.Topic
	off := from
	for off < to {
		fp, next, err := fetchOnce(ctx, cl, rawFetch{topic: topic, topicID: d.ID, partition: p.Partition, leader: p.Leader,
			offset: off, committed: true, maxWait: 500 * time.Millisecond})
		if err != nil {
			return off, fmt.Errorf("read %q partition %d at offset %d: %w", topic, p.Partition, off, err)
		}
		if fp.Err != nil {
			return off, fmt.Errorf("read %q partition %d at offset %d: %w", topic, p.Partition, off, fp.Err)
		}
		for _, r := range fp.Records {
			if r.Offset >= to {
				return to, nil
			}
			if err := fn(r); err != nil {
				return off, err
			}
		}
		if next <= off {
			// Nothing past off is visible although the last stable
			// offset said so: the log moved (truncation, new leader).
			return off, fmt.Errorf("read %q partition %d: stuck at offset %d below the last stable offset %d; retry", topic, p.Partition, off, to)
		}
		off = next
	}
	return off, nil
}
