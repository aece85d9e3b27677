package publish

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
)

// Topic is the change topic of a table: <prefix>.<database>.<schema>.<table>,
// made valid for Kafka by kafka.ChangeTopicName (characters Kafka refuses
// become '_', an overlong name ends with a hash). Check a set of tables with
// CheckTopics before writing: the rule can give two tables one topic.
func Topic(prefix string, t *catalog.Table) string {
	return kafka.ChangeTopicName(prefix, t.Database, t.Schema, t.Name)
}

// CheckTopics returns the change topic of each table, in order, or an error
// naming two tables that would share a topic, or whose topics Kafka would
// take for one (it treats '.' and '_' alike): writing both to one topic
// would mix two tables' keys and schemas, so the producer refuses to start.
// It also refuses a database whose topic part starts with '_': the
// consumer leaves <prefix>._… topics alone, as internal ones.
func CheckTopics(prefix string, tables []*catalog.Table) ([]string, error) {
	if err := kafka.ValidateTopicPrefix(prefix); err != nil {
		return nil, fmt.Errorf("TOPIC_PREFIX: %w", err)
	}
	topics := make([]string, len(tables))
	seen := make(map[string]int, len(tables))
	for i, t := range tables {
		topics[i] = Topic(prefix, t)
		if strings.HasPrefix(topics[i], prefix+"._") {
			return nil, fmt.Errorf("table %s: its topic %s starts with %s._, which consumers skip as internal; a database name that begins with '_' or another character Kafka refuses cannot be captured with this prefix",
				bracketed(t), topics[i], prefix)
		}
		k := kafka.TopicCollisionKey(topics[i])
		j, ok := seen[k]
		if !ok {
			seen[k] = i
			continue
		}
		if topics[j] == topics[i] {
			return nil, fmt.Errorf("tables %s and %s would both write to Kafka topic %s (characters Kafka refuses become '_'); rename one of them, or leave one out with TABLES",
				bracketed(tables[j]), bracketed(t), topics[i])
		}
		return nil, fmt.Errorf("tables %s and %s would write to Kafka topics %s and %s, which Kafka cannot tell apart ('.' and '_' count as one character); rename one of them, or leave one out with TABLES",
			bracketed(tables[j]), bracketed(t), topics[j], topics[i])
	}
	return topics, nil
}

// bracketed names a table unambiguously, as SQL Server's QUOTENAME would.
func bracketed(t *catalog.Table) string {
	q := func(s string) string { return "[" + strings.ReplaceAll(s, "]", "]]") + "]" }
	return q(t.Database) + "." + q(t.Schema) + "." + q(t.Name)
}

// TopicSettings are how the producer's topics are made: the change topics
// by TOPIC_PARTITIONS, TOPIC_REPLICATION_FACTOR, TOPIC_CLEANUP_POLICY and
// MAX_MESSAGE_BYTES; the state topic with one partition, compacted (only
// the last position of each source matters).
type TopicSettings struct {
	Prefix          string
	StateTopic      string
	Partitions      int32
	Replication     int16
	Cleanup         string
	MaxMessageBytes int32
}

// Topics creates the topics of the captured tables, refusing a table whose
// topic would be another's. Not safe for concurrent use: the source adds a
// table it finds while running from its one goroutine.
type Topics struct {
	s      TopicSettings
	adm    *kadm.Client
	tables []*catalog.Table
}

// NewTopics returns a Topics creating topics through adm.
func NewTopics(adm *kadm.Client, s TopicSettings) *Topics { return &Topics{s: s, adm: adm} }

// Create checks the topic names of tables (CheckTopics) and creates the
// state topic and the tables' topics that are missing.
func (t *Topics) Create(ctx context.Context, tables []*catalog.Table) error {
	if _, err := CheckTopics(t.s.Prefix, tables); err != nil {
		return err
	}
	specs := []kafka.TopicSpec{{Name: t.s.StateTopic, Partitions: 1, ReplicationFactor: t.s.Replication,
		Configs: map[string]*string{"cleanup.policy": ptr("compact")}}}
	for _, tb := range tables {
		specs = append(specs, t.spec(tb))
	}
	if err := kafka.EnsureTopics(ctx, t.adm, specs); err != nil {
		return err
	}
	t.tables = slices.Clone(tables)
	return nil
}

// Add creates the topic of a table enabled for CDC while running, before
// its snapshot, unless its topic would be another table's
// (source.Config.OnNewTable).
func (t *Topics) Add(ctx context.Context, table *catalog.Table) error {
	if _, err := CheckTopics(t.s.Prefix, append(slices.Clone(t.tables), table)); err != nil {
		return err
	}
	if err := kafka.EnsureTopics(ctx, t.adm, []kafka.TopicSpec{t.spec(table)}); err != nil {
		return err
	}
	t.tables = append(t.tables, table)
	return nil
}

func (t *Topics) spec(tb *catalog.Table) kafka.TopicSpec {
	return kafka.TopicSpec{Name: Topic(t.s.Prefix, tb), Partitions: t.s.Partitions, ReplicationFactor: t.s.Replication,
		Configs: map[string]*string{"cleanup.policy": ptr(t.s.Cleanup), "max.message.bytes": ptr(strconv.Itoa(int(t.s.MaxMessageBytes)))}}
}

func ptr[T any](v T) *T { return &v }
