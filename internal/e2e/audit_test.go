package e2e

// Helpers that check exactly-once delivery: the producer's committed
// position, the committed change records of a test's topics, and the
// consumer's audit of what it applied (APPLY_AUDIT=on).

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/sink"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// stateTopic is the producer's default STATE_TOPIC; every test shares it,
// each under its own key. Chaos trials give their producer a topic of its
// own (chaosStateTopic), small enough to tail.
const stateTopic = "_mssql2adb_state"

func (e *env) chaosStateTopic() string { return "_state_" + e.name }

// kafkaClient is a plain client of the shared brokers for the test's own
// reads; it is closed when the test ends.
func kafkaClient(t *testing.T) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kafka.ClientOpts(strings.Split(shared.brokers, ","))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// position is the source position the producer of e last committed; ok is
// false before its first commit.
func (e *env) position(ctx context.Context, cl *kgo.Client, topic string) (source.Position, bool, error) {
	var pos source.Position
	b, ok, err := kafka.LoadState(ctx, cl, topic, e.name+"."+e.name)
	if err != nil || !ok {
		return pos, ok, err
	}
	if err := json.Unmarshal(b, &pos); err != nil {
		return pos, false, fmt.Errorf("state of %s: %w", e.name, err)
	}
	return pos, true, nil
}

// recordID names one Kafka record.
type recordID struct {
	topic     string
	partition int32
	offset    int64
}

func (r recordID) String() string { return fmt.Sprintf("%s/%d@%d", r.topic, r.partition, r.offset) }

// committedRecords reads every change topic of e with read_committed
// isolation and returns its change records (tombstones left out) and, per
// topic and partition, the offset after its last record of any kind.
func (e *env) committedRecords(ctx context.Context, cl *kgo.Client) (map[recordID]bool, map[string]map[int32]int64, error) {
	topics, err := kadm.NewClient(cl).ListTopics(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list topics: %w", err)
	}
	prefix := e.name + "."
	recs := map[recordID]bool{}
	ends := map[string]map[int32]int64{}
	for _, name := range topics.Names() {
		if !strings.HasPrefix(name, prefix) || strings.HasPrefix(name, prefix+"_") {
			continue
		}
		ends[name] = map[int32]int64{}
		if _, err := kafka.ReadCommitted(ctx, cl, name, nil, func(r *kgo.Record) error {
			ends[name][r.Partition] = max(ends[name][r.Partition], r.Offset+1)
			if len(r.Value) > 0 {
				recs[recordID{r.Topic, r.Partition, r.Offset}] = true
			}
			return nil
		}); err != nil {
			return nil, nil, err
		}
	}
	if len(ends) == 0 {
		return nil, nil, fmt.Errorf("no change topic with prefix %s (pattern %s)", prefix, sink.TopicPattern(e.name))
	}
	return recs, ends, nil
}

// waitApplied waits until group's offsets in the target cover every record
// in ends.
func waitApplied(t *testing.T, target *pgxpool.Pool, group string, ends map[string]map[int32]int64, within time.Duration) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(within)
	for {
		stored := map[string]map[int32]int64{}
		rows, err := target.Query(ctx, "SELECT topic, partition, next_offset FROM mssql2adb.consumer_offsets WHERE group_id = $1", group)
		if err == nil {
			for rows.Next() {
				var tp string
				var p int32
				var n int64
				if err = rows.Scan(&tp, &p, &n); err != nil {
					break
				}
				if stored[tp] == nil {
					stored[tp] = map[int32]int64{}
				}
				stored[tp][p] = n
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
		var behind []string
		for tp, parts := range ends {
			for p, end := range parts {
				if stored[tp][p] < end {
					behind = append(behind, fmt.Sprintf("%s/%d at %d of %d", tp, p, stored[tp][p], end))
				}
			}
		}
		if err == nil && len(behind) == 0 {
			return
		}
		if time.Now().After(deadline) {
			sort.Strings(behind)
			t.Fatalf("group %s did not apply every record within %s (err %v): %s", group, within, err, strings.Join(behind, ", "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// auditReport is what the audit table says about one group.
type auditReport struct {
	records        int // committed change records in the topics
	applications   int // audit rows of the group
	dupOffsets     []string
	dupEvents      []string // one source change applied from two records
	missing, rogue []string
}

func (a auditReport) duplicates() int { return len(a.dupOffsets) + len(a.dupEvents) }

func (a auditReport) problems() string {
	var b strings.Builder
	show := func(what string, s []string) {
		if len(s) > 0 {
			sort.Strings(s)
			fmt.Fprintf(&b, "%d %s, e.g. %s\n", len(s), what, strings.Join(s[:min(len(s), 5)], "; "))
		}
	}
	show("records applied more than once", a.dupOffsets)
	show("source changes applied from more than one record (written twice by the producer)", a.dupEvents)
	show("committed records never applied", a.missing)
	show("applied records that are not committed change records (aborted transactions?)", a.rogue)
	return b.String()
}

// auditCommitted waits until e's consumers have applied every change record
// committed in the topics (final: the producer has stopped), audits them
// (audit) and reports any problem as a test error.
func (e *env) auditCommitted(t *testing.T, cl *kgo.Client) auditReport {
	t.Helper()
	recs, ends, err := e.committedRecords(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	waitApplied(t, e.target, e.name, ends, convergeWithin)
	rep := audit(t, e.target, e.name, recs)
	if p := rep.problems(); p != "" {
		t.Errorf("audit of %d committed change records, %d applications:\n%s", rep.records, rep.applications, p)
	}
	return rep
}

// audit compares group's audit rows in target with the committed change
// records: each must be applied exactly once, nothing else applied, and no
// source change may reach the target from two records.
func audit(t *testing.T, target *pgxpool.Pool, group string, recs map[recordID]bool) auditReport {
	t.Helper()
	ctx := context.Background()
	rep := auditReport{records: len(recs)}
	rows, err := target.Query(ctx, "SELECT topic, partition, kafka_offset, count(*) FROM mssql2adb.apply_audit WHERE group_id = $1 GROUP BY 1, 2, 3", group)
	if err != nil {
		t.Fatalf("read audit of group %s: %v", group, err)
	}
	seen := map[recordID]bool{}
	for rows.Next() {
		var id recordID
		var n int
		if err := rows.Scan(&id.topic, &id.partition, &id.offset, &n); err != nil {
			t.Fatal(err)
		}
		rep.applications += n
		seen[id] = true
		if n > 1 {
			rep.dupOffsets = append(rep.dupOffsets, fmt.Sprintf("%s applied %d times", id, n))
		}
		if !recs[id] {
			rep.rogue = append(rep.rogue, id.String())
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id := range recs {
		if !seen[id] {
			rep.missing = append(rep.missing, id.String())
		}
	}
	// A change event is identified by its table, key, operation and source
	// position (commit LSN, change LSN, serial number); a snapshot row by its
	// table and key, since a snapshot reads each key once.
	rows, err = target.Query(ctx, `SELECT topic, op, key, count(DISTINCT (partition, kafka_offset)), string_agg(DISTINCT partition || '@' || kafka_offset, ',')
		FROM mssql2adb.apply_audit WHERE group_id = $1
		GROUP BY topic, op, key, CASE WHEN op = 'r' THEN NULL ELSE __source_lsn END
		HAVING count(DISTINCT (partition, kafka_offset)) > 1`, group)
	if err != nil {
		t.Fatalf("read audit of group %s: %v", group, err)
	}
	for rows.Next() {
		var topic, op, key, where string
		var n int
		if err := rows.Scan(&topic, &op, &key, &n, &where); err != nil {
			t.Fatal(err)
		}
		rep.dupEvents = append(rep.dupEvents, fmt.Sprintf("%s op %s key %s %d times (%s)", topic, op, key, n, where))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return rep
}
