package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
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
func LoadState(ctx context.Context, cl *kgo.Client, stateTopic, key string) (value []byte, ok bool, err error) {
	adm := kadm.NewClient(cl)
	details, err := adm.ListTopics(ctx, stateTopic)
	if err != nil {
		return nil, false, fmt.Errorf("kafka: load state from %q: describe topic: %w", stateTopic, err)
	}
	d, found := details[stateTopic]
	if !found || d.Err != nil {
		if found && !errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			return nil, false, fmt.Errorf("kafka: load state from %q: %w", stateTopic, d.Err)
		}
		return nil, false, fmt.Errorf("kafka: load state: state topic %q does not exist; create it (compacted) before starting the producer", stateTopic)
	}
	starts, err := adm.ListStartOffsets(ctx, stateTopic)
	if err != nil {
		return nil, false, fmt.Errorf("kafka: load state from %q: list start offsets: %w", stateTopic, err)
	}
	ends, err := adm.ListCommittedOffsets(ctx, stateTopic)
	if err != nil {
		return nil, false, fmt.Errorf("kafka: load state from %q: list last stable offsets: %w", stateTopic, err)
	}
	kb := []byte(key)
	for _, p := range d.Partitions.Sorted() {
		start, okS := starts.Lookup(stateTopic, p.Partition)
		end, okE := ends.Lookup(stateTopic, p.Partition)
		if !okS || !okE {
			return nil, false, fmt.Errorf("kafka: load state from %q: no offsets for partition %d", stateTopic, p.Partition)
		}
		if start.Err != nil || end.Err != nil {
			return nil, false, fmt.Errorf("kafka: load state from %q partition %d: list offsets: %w", stateTopic, p.Partition, errors.Join(start.Err, end.Err))
		}
		v, have, err := readPartition(ctx, cl, d, p, start.Offset, end.Offset, kb)
		if err != nil {
			return nil, false, err
		}
		if have {
			value, ok = v, v != nil
		}
	}
	return value, ok, nil
}

// readPartition reads [from, to) of one partition with read_committed
// isolation from its leader and returns the last value seen for key (nil
// for a tombstone) and whether any record had the key.
func readPartition(ctx context.Context, cl *kgo.Client, d kadm.TopicDetail, p kadm.PartitionDetail, from, to int64, key []byte) (value []byte, have bool, err error) {
	topic := d.Topic
	for off := from; off < to; {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = 500
		req.MinBytes = 1
		req.MaxBytes = fetchMaxBytes
		req.IsolationLevel = 1
		req.SessionEpoch = -1
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = topic
		rt.TopicID = d.ID
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = p.Partition
		rp.FetchOffset = off
		rp.CurrentLeaderEpoch = -1
		rp.LogStartOffset = -1
		rp.PartitionMaxBytes = fetchMaxBytes
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)

		kresp, err := cl.Broker(int(p.Leader)).Request(ctx, req)
		if err != nil {
			return nil, false, fmt.Errorf("kafka: load state from %q partition %d at offset %d: fetch: %w", topic, p.Partition, off, err)
		}
		resp := kresp.(*kmsg.FetchResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return nil, false, fmt.Errorf("kafka: load state from %q partition %d: fetch: %w", topic, p.Partition, err)
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return nil, false, fmt.Errorf("kafka: load state from %q partition %d: fetch answered %d topics, want 1", topic, p.Partition, len(resp.Topics))
		}
		fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
			Offset:         off,
			IsolationLevel: kgo.ReadCommitted(),
			Topic:          topic,
			Partition:      p.Partition,
		}, &resp.Topics[0].Partitions[0], kgo.DefaultDecompressor(), nil)
		if fp.Err != nil {
			return nil, false, fmt.Errorf("kafka: load state from %q partition %d at offset %d: %w", topic, p.Partition, off, fp.Err)
		}
		for _, r := range fp.Records {
			if r.Offset >= to {
				break
			}
			if bytes.Equal(r.Key, key) {
				value, have = r.Value, true
			}
		}
		if next <= off {
			// Nothing past off is visible yet although the last stable
			// offset said so: the log moved (truncation or leader change).
			return nil, false, fmt.Errorf("kafka: load state from %q partition %d: stuck at offset %d below the last stable offset %d; retry", topic, p.Partition, off, to)
		}
		off = next
	}
	return value, have, nil
}
