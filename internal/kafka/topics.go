package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// TopicSpec describes a topic EnsureTopics creates when it is missing.
type TopicSpec struct {
	// Name is the topic name; required.
	Name string
	// Partitions is the partition count; 0 or less means the broker's
	// default (num.partitions).
	Partitions int32
	// ReplicationFactor is the replica count; 0 or less means the broker's
	// default (default.replication.factor).
	ReplicationFactor int16
	// Configs are topic configs. When cleanup.policy is absent it is set
	// to compact, because change and state topics are compacted by design
	// (a topic alone can rebuild a table); pass
	// {"cleanup.policy": "delete"} to opt out.
	Configs map[string]*string
}

// Compacted is the cleanup.policy value EnsureTopics applies by default.
const Compacted = "compact"

// ConfigCleanupPolicy is the topic config key for the cleanup policy.
const ConfigCleanupPolicy = "cleanup.policy"

// PartitionMismatch reports an existing topic whose partition count differs
// from its spec. EnsureTopics leaves such topics alone: changing the count
// would move keys to other partitions and break per-key ordering.
type PartitionMismatch struct {
	Topic      string
	Have, Want int32
}

// EnsureTopics creates the topics of specs that do not exist yet and leaves
// existing ones untouched. An existing topic whose partition count differs
// from its spec is logged as a warning through slog's default logger; use
// EnsureTopicsReport to get the mismatches back instead.
func EnsureTopics(ctx context.Context, adm *kadm.Client, specs []TopicSpec) error {
	mism, err := EnsureTopicsReport(ctx, adm, specs)
	for _, m := range mism {
		slog.Default().WarnContext(ctx, "kafka: existing topic has a different partition count than configured; leaving it as it is",
			"topic", m.Topic, "partitions", m.Have, "configured", m.Want)
	}
	return err
}

// EnsureTopicsReport is EnsureTopics returning, instead of logging, the
// existing topics whose partition count differs from their spec.
func EnsureTopicsReport(ctx context.Context, adm *kadm.Client, specs []TopicSpec) ([]PartitionMismatch, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(specs))
	seen := make(map[string]bool, len(specs))
	for i, s := range specs {
		if s.Name == "" {
			return nil, fmt.Errorf("kafka: topic spec %d has no name", i)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("kafka: topic %q is listed twice; list each topic once", s.Name)
		}
		seen[s.Name] = true
		names = append(names, s.Name)
	}
	details, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("kafka: list topics %v: %w; check that the brokers are reachable and that this client may describe topics", names, err)
	}
	var (
		mism    []PartitionMismatch
		errs    []error
		created []string
	)
	for _, s := range specs {
		d, ok := details[s.Name]
		switch {
		case ok && d.Err == nil:
			if have := int32(len(d.Partitions)); s.Partitions > 0 && have != s.Partitions {
				mism = append(mism, PartitionMismatch{Topic: s.Name, Have: have, Want: s.Partitions})
			}
			continue
		case ok && !errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			errs = append(errs, fmt.Errorf("kafka: describe topic %q: %w", s.Name, d.Err))
			continue
		}
		if err := createTopic(ctx, adm, s); err != nil {
			errs = append(errs, err)
			continue
		}
		created = append(created, s.Name)
	}
	if len(created) > 0 {
		// The listing above left "unknown topic" in the client's
		// metadata cache, which kadm consults for seconds: refresh it
		// so that the caller can use the new topics at once. Best
		// effort: a failure here only delays that.
		_, _ = adm.ListTopics(kadm.WithAuthorizedOps(ctx), created...)
	}
	sort.Slice(mism, func(i, j int) bool { return mism[i].Topic < mism[j].Topic })
	return mism, errors.Join(errs...)
}

func createTopic(ctx context.Context, adm *kadm.Client, s TopicSpec) error {
	parts, rf := s.Partitions, s.ReplicationFactor
	if parts <= 0 {
		parts = -1
	}
	if rf <= 0 {
		rf = -1
	}
	cfgs := make(map[string]*string, len(s.Configs)+1)
	for k, v := range s.Configs {
		cfgs[k] = v
	}
	if _, ok := cfgs[ConfigCleanupPolicy]; !ok {
		c := Compacted
		cfgs[ConfigCleanupPolicy] = &c
	}
	resp, err := adm.CreateTopic(ctx, parts, rf, cfgs, s.Name)
	switch {
	case err == nil, errors.Is(err, kerr.TopicAlreadyExists):
		return nil
	case errors.Is(err, kerr.InvalidReplicationFactor), errors.Is(err, kerr.InvalidReplicaAssignment):
		return fmt.Errorf("kafka: create topic %q with replication factor %d: %w; use a replication factor no larger than the number of brokers", s.Name, s.ReplicationFactor, err)
	case errors.Is(err, kerr.InvalidPartitions):
		return fmt.Errorf("kafka: create topic %q with %d partitions: %w; use a positive partition count", s.Name, s.Partitions, err)
	case errors.Is(err, kerr.InvalidConfig):
		return fmt.Errorf("kafka: create topic %q: invalid config %v: %w (%s); fix the topic configs", s.Name, fmtConfigs(cfgs), err, resp.ErrMessage)
	case errors.Is(err, kerr.TopicAuthorizationFailed), errors.Is(err, kerr.ClusterAuthorizationFailed):
		return fmt.Errorf("kafka: create topic %q: %w; create it by hand (%d partitions, cleanup.policy=%s) or allow this client to create topics", s.Name, err, s.Partitions, *cfgs[ConfigCleanupPolicy])
	case errors.Is(err, kerr.PolicyViolation):
		return fmt.Errorf("kafka: create topic %q refused by the cluster's create-topic policy: %w (%s); create it by hand", s.Name, err, resp.ErrMessage)
	default:
		return fmt.Errorf("kafka: create topic %q: %w; create it by hand or check the broker logs", s.Name, err)
	}
}

func fmtConfigs(cfgs map[string]*string) map[string]string {
	out := make(map[string]string, len(cfgs))
	for k, v := range cfgs {
		if v == nil {
			out[k] = "<default>"
		} else {
			out[k] = *v
		}
	}
	return out
}
