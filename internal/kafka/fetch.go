package kafka

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// rawFetch is one fetch of one partition from its leader, outside any
// consumer: franz-go's consumer cannot read uncommitted data together with
// control records, nor read a partition once without joining a group or
// keeping a session, which the state topic's reads and commitLanded need.
type rawFetch struct {
	topic       string
	topicID     [16]byte
	partition   int32
	leader      int32
	offset      int64
	committed   bool // read_committed; otherwise read_uncommitted
	keepControl bool // return transaction markers too
	maxWait     time.Duration
}

// fetchOnce sends f and returns the partition's records from f.offset on,
// processed as franz-go's consumer would, and the offset to fetch next.
func fetchOnce(ctx context.Context, cl *kgo.Client, f rawFetch) (kgo.FetchPartition, int64, error) {
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = int32(f.maxWait / time.Millisecond)
	req.MinBytes = 1
	req.MaxBytes = fetchMaxBytes
	req.SessionEpoch = -1
	iso := kgo.ReadUncommitted()
	if f.committed {
		req.IsolationLevel = 1
		iso = kgo.ReadCommitted()
	}
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = f.topic
	rt.TopicID = f.topicID
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = f.partition
	rp.FetchOffset = f.offset
	rp.CurrentLeaderEpoch = -1
	rp.LogStartOffset = -1
	rp.PartitionMaxBytes = fetchMaxBytes
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	kresp, err := cl.Broker(int(f.leader)).Request(ctx, req)
	if err != nil {
		return kgo.FetchPartition{}, f.offset, fmt.Errorf("fetch: %w", err)
	}
	resp := kresp.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return kgo.FetchPartition{}, f.offset, fmt.Errorf("fetch: %w", err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return kgo.FetchPartition{}, f.offset, fmt.Errorf("fetch answered %d topics, want 1", len(resp.Topics))
	}
	fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
		KeepControlRecords: f.keepControl,
		Offset:             f.offset,
		IsolationLevel:     iso,
		Topic:              f.topic,
		Partition:          f.partition,
	}, &resp.Topics[0].Partitions[0], kgo.DefaultDecompressor(), nil)
	return fp, next, nil
}
