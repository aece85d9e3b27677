// Package kafkatest runs a single-node Kafka broker in process (franz-go's
// kfake) for tests and the dev stack. Production programs never import it
// (go list -deps ./producer ./consumer shows no kfake).
package kafkatest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mssql2adb/mssql2adb/internal/kafka/topicname"
)

// Broker is a single-node, in-process Kafka broker (franz-go's kfake) for
// the dev stack and end-to-end tests. It speaks the Kafka protocol on a TCP
// port, so any client (kgo, librdkafka, kcat) can use it. Topics are not
// created automatically: create them with EnsureTopics, as in production.
// Topic names follow real Kafka's rules (topicname.Validate): kfake alone
// accepts any name, so a name a real cluster refuses would pass every test;
// the broker answers such a create with INVALID_TOPIC_EXCEPTION instead.
//
// kfake supports what the exactly-once design needs, checked by this
// package's tests against kgo and librdkafka (kcat): transactions with
// KIP-890 epoch bumps, fencing (a second InitProducerID for a transactional
// id aborts the open transaction; the old producer gets
// INVALID_PRODUCER_EPOCH on produce and PRODUCER_FENCED on EndTxn),
// transaction timeouts, read_committed fetching (last stable offset,
// aborted transaction lists, ListOffsets at the LSO), consumer groups, and
// persistence across restarts with kfake.DataDir.
//
// One gap: kfake's log cleaner compacts past the last stable offset, so a
// record of a transaction still open supersedes committed records with the
// same key, and if that transaction then aborts the key's committed value
// is gone (Kafka's cleaner stops at the first unstable offset). StartBroker
// therefore turns automatic compaction and retention off (the cleaner runs
// every log.cleaner.backoff.ms, one hour by default in kfake); call
// Cluster().Compact() only while no transaction is open.
type Broker struct {
	c    *kfake.Cluster
	once sync.Once
	stop chan struct{}
}

// noCleanerMs is a log.cleaner.backoff.ms of ten years: no cleaner runs.
const noCleanerMs = "315360000000"

// StartBroker starts a broker listening on addr ("127.0.0.1:0" picks a free
// port). Topics created with the broker's default partition count get
// partitions partitions (at least 1). The broker stops when ctx is done or
// Close is called. extra options go to kfake (kfake.DataDir to keep data
// across restarts, kfake.WithLogger, ...).
func StartBroker(ctx context.Context, addr string, partitions int, extra ...kfake.Opt) (*Broker, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("kafkatest: start broker on %s: %w", addr, err)
	}
	if partitions < 1 {
		partitions = 1
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("kafkatest: start broker: address %q is not host:port: %w", addr, err)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.DefaultNumPartitions(partitions),
		// Every broker is a new cluster with its own id, as real clusters
		// are: consumers tell offsets of one cluster from another's by it.
		kfake.ClusterID("mssql2adb-dev-" + rand.Text()[:12]),
		// No automatic compaction or retention (see the Broker doc):
		// kfake's cleaner does not stop at the last stable offset.
		kfake.BrokerConfigs(map[string]string{"log.cleaner.backoff.ms": noCleanerMs}),
		// kfake picks 127.0.0.1:<port>; listen where the caller asked.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, addr)
		}),
	}
	c, err := kfake.NewCluster(append(opts, extra...)...)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) {
			return nil, fmt.Errorf("kafkatest: start broker on %s: %w; is another broker already listening there? pick another address", addr, err)
		}
		return nil, fmt.Errorf("kafkatest: start broker on %s: %w", addr, err)
	}
	enforceTopicNames(c)
	b := &Broker{c: c, stop: make(chan struct{})}
	go func() {
		select {
		case <-ctx.Done():
			b.Close()
		case <-b.stop:
		}
	}()
	return b, nil
}

// Addrs returns the host:port addresses the broker listens on, to use as
// seed brokers.
func (b *Broker) Addrs() []string { return b.c.ListenAddrs() }

// Cluster returns the underlying kfake cluster, for fault injection in
// tests (ControlKey) and forced compaction (Compact).
func (b *Broker) Cluster() *kfake.Cluster { return b.c }

// Close stops the broker; it is safe to call more than once.
func (b *Broker) Close() {
	b.once.Do(func() {
		close(b.stop)
		b.c.Close()
	})
}

// enforceTopicNames makes c refuse topic names real Kafka refuses. A
// CreateTopics request naming an illegal topic is answered here: that topic
// gets INVALID_TOPIC_EXCEPTION, as from Kafka, and the request's other
// topics INVALID_REQUEST (Kafka would create them; no client of ours sends
// several names in one request, and creating none keeps this simple).
// Topics are never created automatically (kfake's default, which StartBroker
// keeps; passing kfake.AllowAutoTopicCreation would bypass this check), so
// CreateTopics is the only way a topic comes to exist.
func enforceTopicNames(c *kfake.Cluster) {
	c.ControlKey(kmsg.CreateTopics.Int16(), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		creq := req.(*kmsg.CreateTopicsRequest)
		illegal := false
		for _, t := range creq.Topics {
			illegal = illegal || topicname.Validate(t.Topic) != nil
		}
		if !illegal {
			return nil, nil, false
		}
		resp := creq.ResponseKind().(*kmsg.CreateTopicsResponse)
		for _, t := range creq.Topics {
			rt := kmsg.NewCreateTopicsResponseTopic()
			rt.Topic = t.Topic
			msg := "not created: another topic of this request has an illegal name"
			rt.ErrorCode = kerr.InvalidRequest.Code
			if err := topicname.Validate(t.Topic); err != nil {
				rt.ErrorCode, msg = kerr.InvalidTopicException.Code, err.Error()
			}
			rt.ErrorMessage = &msg
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
}
