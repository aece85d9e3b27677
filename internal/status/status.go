// Package status reports what a pipeline is doing, from what it stores and
// without any of its processes running: the producer's source position in
// the state topic, the change topics in Kafka, and the consumer group's
// offsets and target tables in the target's bookkeeping. `consumer status`
// prints it.
package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/sink"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// Table is the status of one change topic and the target table it feeds.
type Table struct {
	Topic  string `json:"topic"`
	Source string `json:"source"` // database.schema.table
	Target string `json:"target,omitempty"`
	// Phase is "snapshot" (with SnapshotRows read so far), "streaming",
	// "stopped" (the producer no longer reads the table; Stopped says why)
	// or "not started" when the producer has saved no position yet.
	Phase        string `json:"phase"`
	Stopped      string `json:"stopped,omitempty"`
	SnapshotRows int64  `json:"snapshot_rows,omitempty"`
	// SnapshotRowsTotal is the producer's estimate of the table's rows;
	// SnapshotETASeconds the time left at the rate so far (0: unknown).
	SnapshotRowsTotal  int64   `json:"snapshot_rows_total,omitempty"`
	SnapshotETASeconds float64 `json:"snapshot_eta_seconds,omitempty"`
	// SourcePosition is the producer's saved commit LSN (the snapshot's LSN
	// while it runs).
	SourcePosition string `json:"source_position,omitempty"`
	// SourceTime is SourcePosition's commit time at the source (RFC 3339,
	// UTC), when the producer recorded it.
	SourceTime string `json:"source_time,omitempty"`
	// KafkaRecords counts the topic's records (committed, below the last
	// stable offsets; transaction markers included).
	KafkaRecords int64 `json:"kafka_records"`
	// Applied is the sum of the group's next offsets stored in the target;
	// AppliedEvents counts the change events the group applied (each
	// once, however often it was delivered; a rebuild starts it again).
	Applied       int64 `json:"applied_offsets"`
	AppliedEvents int64 `json:"applied_events"`
	// LagRecords counts the committed change records not applied yet;
	// LagExact is false when it is estimated from offsets (a lag too large
	// to count, transaction markers included).
	LagRecords int64 `json:"lag_records"`
	LagExact   bool  `json:"lag_exact"`
	// LagSeconds is the age of the oldest record not applied yet; 0 when
	// none (or not counted).
	LagSeconds float64 `json:"lag_seconds"`
	// Stale says the stored offsets do not belong to the topic as it is.
	Stale string `json:"stale,omitempty"`
	// DeadLettered counts the topic's records the group wrote to the
	// dead-letter topic (among its last DeadLetterLimit records);
	// LastError is the error of the latest of them and LastErrorTime when
	// it was written (RFC 3339, UTC).
	DeadLettered  int64  `json:"dead_lettered"`
	LastError     string `json:"last_error,omitempty"`
	LastErrorTime string `json:"last_error_time,omitempty"`
}

// Config says where to look.
type Config struct {
	TopicPrefix string
	StateTopic  string
	Group       string
	MetaSchema  string
	// CountLimit bounds the records read to count a partition's lag exactly.
	CountLimit int64
	// DeadLetterTopic is the consumers' DEAD_LETTER_TOPIC; empty: not read.
	DeadLetterTopic string
	// DeadLetterLimit bounds the dead-letter records read per partition
	// (the latest ones).
	DeadLetterLimit int64
}

// Collect gathers the status of every change topic of the prefix.
func Collect(ctx context.Context, cl *kgo.Client, pool *pgxpool.Pool, cfg Config) ([]Table, error) {
	if cfg.CountLimit <= 0 {
		cfg.CountLimit = 10000
	}
	if cfg.DeadLetterLimit <= 0 {
		cfg.DeadLetterLimit = 100000
	}
	adm := kadm.NewClient(cl)
	all, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("status: list topics: %w", err)
	}
	var topics []string
	for _, t := range all.Names() {
		if strings.HasPrefix(t, cfg.TopicPrefix+".") && !strings.HasPrefix(t, cfg.TopicPrefix+"._") {
			topics = append(topics, t)
		}
	}
	positions, err := loadPositions(ctx, cl, cfg)
	if err != nil {
		return nil, err
	}
	stored, fed, err := loadTarget(ctx, pool, cfg)
	if err != nil {
		return nil, err
	}
	dead, err := loadDeadLetters(ctx, cl, adm, cfg)
	if err != nil {
		return nil, err
	}
	var out []Table
	for _, topic := range topics {
		t, err := collectTopic(ctx, cl, adm, all[topic], stored[topic], cfg)
		if err != nil {
			return nil, err
		}
		// The source names come from the target's record of what the topic
		// fed; a topic never applied falls back to its name.
		f, ok := fed[topic]
		if !ok {
			f.db, f.table, _ = strings.Cut(strings.TrimPrefix(topic, cfg.TopicPrefix+"."), ".")
		}
		db, table := f.db, f.table
		t.Target, t.Source = f.target, db+"."+table
		if d, ok := dead[topic]; ok {
			t.DeadLettered, t.LastError, t.LastErrorTime = d.count, d.lastError, rfc3339(d.lastTime)
		}
		t.Phase = "not started"
		if pos, ok := positions[db]; ok {
			snap := pos.Snapshot.Tables[table]
			if pos.Stream.CommitMs > 0 {
				t.SourceTime = rfc3339(time.UnixMilli(pos.Stream.CommitMs))
			}
			switch {
			case snap.Stopped != "":
				t.Phase, t.Stopped, t.SourcePosition = "stopped", snap.Stopped, pos.Stream.CommitLSN.String()
			case !pos.Snapshot.Done && !snap.Done:
				t.Phase, t.SnapshotRows, t.SourcePosition, t.SourceTime = "snapshot", snap.Rows, pos.Snapshot.LSN.String(), ""
				t.SnapshotRowsTotal, t.SnapshotETASeconds = snapshotETA(snap, time.Now())
			case pos.Stream.CommitLSN.IsZero():
				t.Phase, t.SourcePosition, t.SourceTime = "streaming", pos.Snapshot.LSN.String(), ""
			default:
				t.Phase, t.SourcePosition = "streaming", pos.Stream.CommitLSN.String()
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// loadPositions reads every producer position of the prefix from the state
// topic, by database.
func loadPositions(ctx context.Context, cl *kgo.Client, cfg Config) (map[string]source.Position, error) {
	out := map[string]source.Position{}
	_, err := kafka.ReadCommitted(ctx, cl, cfg.StateTopic, nil, func(r *kgo.Record) error {
		db, ok := strings.CutPrefix(string(r.Key), cfg.TopicPrefix+".")
		if !ok {
			return nil
		}
		if r.Value == nil {
			delete(out, db)
			return nil
		}
		var p source.Position
		if err := json.Unmarshal(r.Value, &p); err != nil {
			return fmt.Errorf("status: position of %s in %s: %w", r.Key, cfg.StateTopic, err)
		}
		out[db] = p
		return nil
	})
	if err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) { // no producer has run yet
		return nil, fmt.Errorf("status: %w", err)
	}
	return out, nil
}

// deadLetters is what the group dead-lettered of one topic.
type deadLetters struct {
	count     int64
	lastError string
	lastTime  time.Time
}

// loadDeadLetters reads the latest records of the dead-letter topic and
// sums them up by the topic they came from, for the group's records only.
// A missing topic means nothing was dead-lettered.
func loadDeadLetters(ctx context.Context, cl *kgo.Client, adm *kadm.Client, cfg Config) (map[string]deadLetters, error) {
	out := map[string]deadLetters{}
	if cfg.DeadLetterTopic == "" {
		return out, nil
	}
	ends, err := adm.ListEndOffsets(ctx, cfg.DeadLetterTopic)
	if err != nil {
		return nil, fmt.Errorf("status: %s: list end offsets: %w", cfg.DeadLetterTopic, err)
	}
	from := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			from[o.Partition] = max(0, o.Offset-cfg.DeadLetterLimit)
		}
	})
	if len(from) == 0 {
		return out, nil
	}
	_, err = kafka.ReadCommitted(ctx, cl, cfg.DeadLetterTopic, from, func(r *kgo.Record) error {
		h := headers(r)
		if h[sink.HeaderGroup] != cfg.Group {
			return nil
		}
		d := out[h[sink.HeaderTopic]]
		d.count++
		if !r.Timestamp.Before(d.lastTime) {
			d.lastError, d.lastTime = h[sink.HeaderError], r.Timestamp
		}
		out[h[sink.HeaderTopic]] = d
		return nil
	})
	if err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
		return nil, fmt.Errorf("status: read the dead-letter topic: %w", err)
	}
	return out, nil
}

func headers(r *kgo.Record) map[string]string {
	m := make(map[string]string, len(r.Headers))
	for _, h := range r.Headers {
		m[h.Key] = string(h.Value)
	}
	return m
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

type storedOffset struct {
	next    int64
	topicID string
	events  int64
}

// fed is what a topic fed, as the target recorded it: the source database
// and schema.table, and the target table.
type fed struct {
	db, table, target string
}

// loadTarget reads the group's stored offsets and the target table each
// topic feeds.
func loadTarget(ctx context.Context, pool *pgxpool.Pool, cfg Config) (map[string]map[int32]storedOffset, map[string]fed, error) {
	stored := map[string]map[int32]storedOffset{}
	targets := map[string]fed{}
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", pgx.Identifier{cfg.MetaSchema, "consumer_offsets"}.Sanitize()).Scan(&exists); err != nil {
		return nil, nil, fmt.Errorf("status: read the target's bookkeeping: %w", err)
	}
	if !exists {
		return stored, targets, nil
	}
	bk := pgx.Identifier{cfg.MetaSchema}.Sanitize()
	// applied_events through row_to_json: a bookkeeping table of an older
	// consumer, not migrated yet, lacks the column.
	rows, err := pool.Query(ctx, "SELECT topic, partition, next_offset, coalesce(topic_id, ''), coalesce((row_to_json(o)->>'applied_events')::bigint, 0) FROM "+
		bk+".consumer_offsets AS o WHERE group_id = $1", cfg.Group)
	if err != nil {
		return nil, nil, fmt.Errorf("status: read the group's offsets: %w", err)
	}
	for rows.Next() {
		var topic string
		var p int32
		var o storedOffset
		if err := rows.Scan(&topic, &p, &o.next, &o.topicID, &o.events); err != nil {
			return nil, nil, fmt.Errorf("status: read the group's offsets: %w", err)
		}
		if stored[topic] == nil {
			stored[topic] = map[int32]storedOffset{}
		}
		stored[topic][p] = o
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("status: read the group's offsets: %w", err)
	}
	rows, err = pool.Query(ctx, "SELECT topic, source_database, source_schema || '.' || source_table, target_schema || '.' || target_table FROM "+
		bk+".table_sources WHERE topic <> ''")
	if err != nil {
		return nil, nil, fmt.Errorf("status: read the target tables: %w", err)
	}
	for rows.Next() {
		var topic string
		var f fed
		if err := rows.Scan(&topic, &f.db, &f.table, &f.target); err != nil {
			return nil, nil, fmt.Errorf("status: read the target tables: %w", err)
		}
		targets[topic] = f
	}
	return stored, targets, rows.Err()
}

// collectTopic counts one topic's records and the group's lag on it. The
// lag is counted exactly, reading the records not applied yet, when there
// are at most cfg.CountLimit offsets to read: the last offsets of a
// transactional topic are commit markers, which are no records to apply.
func collectTopic(ctx context.Context, cl *kgo.Client, adm *kadm.Client, d kadm.TopicDetail, stored map[int32]storedOffset, cfg Config) (Table, error) {
	t := Table{Topic: d.Topic, LagExact: true}
	starts, err := adm.ListStartOffsets(ctx, d.Topic)
	if err != nil {
		return t, fmt.Errorf("status: %s: list start offsets: %w", d.Topic, err)
	}
	ends, err := adm.ListCommittedOffsets(ctx, d.Topic)
	if err != nil {
		return t, fmt.Errorf("status: %s: list end offsets: %w", d.Topic, err)
	}
	id := ""
	if d.ID != (kadm.TopicID{}) {
		id = d.ID.String()
	}
	from := map[int32]int64{}
	var gap int64
	for _, p := range d.Partitions.Numbers() {
		start, _ := starts.Lookup(d.Topic, p)
		end, _ := ends.Lookup(d.Topic, p)
		t.KafkaRecords += end.Offset - start.Offset
		next := start.Offset
		if o, ok := stored[p]; ok {
			t.Applied += o.next
			t.AppliedEvents += o.events
			next = o.next
			if o.topicID != "" && id != "" && o.topicID != id {
				t.Stale = "offsets stored for another incarnation of the topic"
			}
			if o.next > end.Offset {
				t.Stale = "offsets stored beyond the topic's end"
			}
		}
		from[p] = next
		gap += max(0, end.Offset-next)
	}
	if gap > cfg.CountLimit || t.Stale != "" {
		t.LagRecords, t.LagExact = gap, false
		return t, nil
	}
	var oldest time.Time
	_, err = kafka.ReadCommitted(ctx, cl, d.Topic, from, func(r *kgo.Record) error {
		t.LagRecords++
		if oldest.IsZero() || r.Timestamp.Before(oldest) {
			oldest = r.Timestamp
		}
		return nil
	})
	if err != nil {
		return t, fmt.Errorf("status: %s: count the records not applied: %w", d.Topic, err)
	}
	if !oldest.IsZero() {
		t.LagSeconds = time.Since(oldest).Seconds()
	}
	return t, nil
}

// Print writes tables as one aligned table, one line each.
func Print(w io.Writer, tables []Table) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tTARGET\tPHASE\tSOURCE POSITION\tSOURCE TIME\tKAFKA RECORDS\tAPPLIED EVENTS\tLAG\tLAG SECONDS\tDEAD-LETTERED\tNOTE")
	slices.SortFunc(tables, func(a, b Table) int { return strings.Compare(a.Source, b.Source) })
	for _, t := range tables {
		phase := t.Phase
		if t.Phase == "snapshot" {
			phase = snapshotPhase(t)
		}
		lag := fmt.Sprint(t.LagRecords)
		if !t.LagExact {
			lag = "≈" + lag
		}
		secs := "-"
		if t.LagSeconds > 0 {
			secs = fmt.Sprintf("%.1f", t.LagSeconds)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%d\t%s\n", t.Source, orDash(t.Target), phase, orDash(t.SourcePosition),
			orDash(t.SourceTime), t.KafkaRecords, t.AppliedEvents, lag, secs, t.DeadLettered, note(t))
	}
	return tw.Flush()
}

// note is the NOTE column: what needs an operator, most urgent first.
func note(t Table) string {
	var parts []string
	if t.Stopped != "" {
		parts = append(parts, "stopped: "+t.Stopped)
	}
	if t.Stale != "" {
		parts = append(parts, t.Stale)
	}
	if t.LastError != "" {
		e := t.LastError
		if r := []rune(e); len(r) > 100 {
			e = string(r[:100]) + "…"
		}
		parts = append(parts, "last error "+t.LastErrorTime+": "+e)
	}
	return strings.Join(parts, "; ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// snapshotETA is a table's estimated rows and the seconds its snapshot
// still needs at its rate so far (from when it started to its last chunk;
// time the producer was stopped counts, so it errs long), counted from
// now; 0 seconds when it cannot tell.
func snapshotETA(s source.TableSnapshot, now time.Time) (total int64, eta float64) {
	total = max(s.Estimate, s.Rows)
	if s.Rows == 0 || s.UpdatedMs <= s.StartedMs || total <= s.Rows {
		return total, 0
	}
	rate := float64(s.Rows) / (float64(s.UpdatedMs-s.StartedMs) / 1000)
	finish := float64(s.UpdatedMs)/1000 + float64(total-s.Rows)/rate
	return total, max(0, finish-float64(now.UnixMilli())/1000)
}

// snapshotPhase is the PHASE column of a table being snapshotted:
// "snapshot 45% (4500/10000 rows, ETA 2m0s)".
func snapshotPhase(t Table) string {
	if t.SnapshotRowsTotal <= 0 {
		return fmt.Sprintf("snapshot (%d rows)", t.SnapshotRows)
	}
	pct := min(100, float64(t.SnapshotRows)*100/float64(t.SnapshotRowsTotal))
	s := fmt.Sprintf("snapshot %.0f%% (%d/%d rows", pct, t.SnapshotRows, t.SnapshotRowsTotal)
	if t.SnapshotETASeconds > 0 {
		s += ", ETA " + (time.Duration(t.SnapshotETASeconds) * time.Second).Round(time.Second).String()
	}
	return s + ")"
}
