package apply

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// PositionColumn is the hidden column every target table gets: the source
// position (commit LSN, change LSN, event serial number; see encodePosition)
// of the change that last wrote the row. Byte order is log order.
const PositionColumn = "__source_lsn"

// Names of the staging table's bookkeeping columns.
const (
	stageOp   = "__op"   // 'u' upsert, 'd' delete
	stageKey  = "__key"  // canonical text of the key, for deleted_keys
	keepPrefx = "__keep" // __keep_<n>: keep the target's value of column n
)

// TargetTable describes a target table: its columns in order and its key.
type TargetTable struct {
	Schema  string
	Name    string
	Columns []TargetColumn
	Key     []string
	// Settings are the AnalyticDB table settings (adbpg dialect only).
	Settings TableSettings
}

// TargetColumn is one target column with its PostgreSQL type.
type TargetColumn struct {
	Name    string
	Type    string
	NotNull bool
	// Default is the SQL default expression of a column added to the source
	// table after it was first synchronized with a value for the rows that
	// existed then (catalog.Column.Fill); empty for none. The target keeps it
	// as the column's default, so rows that events written before the column
	// existed create or leave alone end with the source's value.
	Default string
}

// columnDefault renders a source column's fill as a constant default of
// type typ: PostgreSQL 11+ stores a constant default in the catalog
// instead of rewriting the table when it is added.
func columnDefault(fill, typ string) string {
	return "'" + strings.ReplaceAll(fill, "'", "''") + "'::" + typ
}

// columnDef is a column's type and default as CREATE TABLE and ADD COLUMN write them.
func columnDef(c TargetColumn) string {
	if c.Default == "" {
		return c.Type
	}
	return c.Type + " DEFAULT " + c.Default
}

// Ident is the table's quoted, schema-qualified name.
func (t *TargetTable) Ident() string { return pgx.Identifier{t.Schema, t.Name}.Sanitize() }

func quote(name string) string { return pgx.Identifier{name}.Sanitize() }

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quote(n)
	}
	return strings.Join(q, ", ")
}

// CreateSchema is CREATE SCHEMA IF NOT EXISTS for schema.
func CreateSchema(schema string) string { return "CREATE SCHEMA IF NOT EXISTS " + quote(schema) }

func createTable(t *TargetTable, suffix string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n", t.Ident())
	for _, c := range t.Columns {
		fmt.Fprintf(&b, "  %s %s", quote(c.Name), columnDef(c))
		if c.NotNull {
			b.WriteString(" NOT NULL")
		}
		b.WriteString(",\n")
	}
	fmt.Fprintf(&b, "  %s bytea,\n", quote(PositionColumn))
	fmt.Fprintf(&b, "  PRIMARY KEY (%s)\n)%s", quoteList(t.Key), suffix)
	return b.String()
}

// createStaging creates a staging table once per connection: its rows go
// at each commit, the table stays for the next batch of the same shape
// (its name says the shape). Creating and dropping it in every transaction
// was a fifth of the update-heavy bench's time.
func createStaging(stage string, cols []TargetColumn, suffix string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TEMPORARY TABLE IF NOT EXISTS %s (\n", quote(stage))
	for i, c := range cols {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "  %s %s", quote(c.Name), c.Type)
	}
	fmt.Fprintf(&b, "\n) ON COMMIT DELETE ROWS%s", suffix)
	return b.String()
}

func bookkeeping(schema, offsetsSuffix, deletedSuffix, sourcesSuffix string) []string {
	s := quote(schema)
	return []string{
		CreateSchema(schema),
		"CREATE TABLE IF NOT EXISTS " + s + `.consumer_offsets (
  group_id text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  next_offset bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  topic_id text,
  cluster_id text,
  applied_events bigint,
  PRIMARY KEY (group_id, topic, partition)
)` + offsetsSuffix,
		"CREATE TABLE IF NOT EXISTS " + s + `.deleted_keys (
  target_schema text NOT NULL,
  target_table text NOT NULL,
  key text NOT NULL,
  ` + PositionColumn + ` bytea NOT NULL,
  deleted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (target_schema, target_table, key)
)` + deletedSuffix,
		"CREATE TABLE IF NOT EXISTS " + s + "." + SourcesTable + ` (
  target_schema text NOT NULL,
  target_table text NOT NULL,
  source_name text NOT NULL,
  source_database text NOT NULL,
  source_schema text NOT NULL,
  source_table text NOT NULL,
  source_incarnation text NOT NULL DEFAULT '',
  topic text NOT NULL DEFAULT '',
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (target_schema, target_table, source_name, source_database, source_schema, source_table)
)` + sourcesSuffix,
	}
}

// plan holds the statements that apply one table's staged batch. Its
// parameters are $1 target schema and $2 target table, for deleted_keys.
type plan struct {
	table       *TargetTable
	stageCols   []TargetColumn // staging columns, in COPY order
	keep        []int          // indexes in table.Columns of keepable columns
	createStage string
	deleteRows  string // DELETE target rows whose delete is not older than them
	tombstone   string // remember deleted keys with their position
	upsert      string // INSERT … ON CONFLICT DO UPDATE, guarded
	untombstone string // forget deleted keys an upsert superseded
}

// newPlan generates the statements for table t. keep lists the indexes of
// columns whose value may be "keep the target's value" (large values an
// update did not touch, columns missing from an event of an older schema).
func newPlan(d Dialect, bkSchema, stage string, t *TargetTable, keep []int) *plan {
	p := &plan{table: t, keep: keep}
	p.stageCols = append(p.stageCols,
		TargetColumn{Name: stageOp, Type: "text"},
		TargetColumn{Name: stageKey, Type: "text"},
		TargetColumn{Name: PositionColumn, Type: "bytea"})
	p.stageCols = append(p.stageCols, t.Columns...)
	for _, i := range keep {
		p.stageCols = append(p.stageCols, TargetColumn{Name: keepName(i), Type: "boolean"})
	}
	p.createStage = d.CreateStaging(stage, t, p.stageCols)

	st := quote(stage)
	pos := quote(PositionColumn)
	deleted := quote(bkSchema) + ".deleted_keys"
	var keyEq []string
	for _, k := range t.Key {
		keyEq = append(keyEq, fmt.Sprintf("t.%s = s.%s", quote(k), quote(k)))
	}
	keyMatch := strings.Join(keyEq, " AND ")

	p.deleteRows = fmt.Sprintf("DELETE FROM %s AS t USING %s AS s\nWHERE s.%s = 'd' AND %s\n  AND (t.%s IS NULL OR t.%s <= s.%s)",
		t.Ident(), st, stageOp, keyMatch, pos, pos, pos)

	p.tombstone = fmt.Sprintf("INSERT INTO %s AS d (target_schema, target_table, key, %s)\n"+
		"SELECT $1, $2, s.%s, s.%s FROM %s AS s WHERE s.%s = 'd'\n"+
		"ON CONFLICT (target_schema, target_table, key) DO UPDATE SET %s = EXCLUDED.%s, deleted_at = now()\n"+
		"WHERE d.%s < EXCLUDED.%s",
		deleted, pos, stageKey, pos, st, stageOp, pos, pos, pos, pos)

	isKeep := map[int]bool{}
	for _, i := range keep {
		isKeep[i] = true
	}
	var cols, sel, set []string
	isKey := map[string]bool{}
	for _, k := range t.Key {
		isKey[k] = true
	}
	for i, c := range t.Columns {
		q := quote(c.Name)
		cols = append(cols, q)
		switch {
		case isKeep[i] && c.Default != "":
			// A row that an event without the column creates gets the
			// column's default, as an INSERT without it would.
			sel = append(sel, fmt.Sprintf("CASE WHEN s.%s THEN (CASE WHEN cur.%s IS NULL THEN %s ELSE cur.%s END) ELSE s.%s END",
				quote(keepName(i)), quote(t.Key[0]), c.Default, q, q))
		case isKeep[i]:
			sel = append(sel, fmt.Sprintf("CASE WHEN s.%s THEN cur.%s ELSE s.%s END", quote(keepName(i)), q, q))
		default:
			sel = append(sel, "s."+q)
		}
		if !isKey[c.Name] {
			set = append(set, fmt.Sprintf("%s = EXCLUDED.%s", q, q))
		}
	}
	cols = append(cols, pos)
	sel = append(sel, "s."+pos)
	set = append(set, fmt.Sprintf("%s = EXCLUDED.%s", pos, pos))
	from := st + " AS s"
	if len(keep) > 0 {
		var curEq []string
		for _, k := range t.Key {
			curEq = append(curEq, fmt.Sprintf("cur.%s = s.%s", quote(k), quote(k)))
		}
		from += fmt.Sprintf("\nLEFT JOIN %s AS cur ON %s", t.Ident(), strings.Join(curEq, " AND "))
	}
	p.upsert = fmt.Sprintf("INSERT INTO %s AS t (%s)\nSELECT %s\nFROM %s\n"+
		"WHERE s.%s = 'u' AND NOT EXISTS (\n"+
		"  SELECT 1 FROM %s AS d WHERE d.target_schema = $1 AND d.target_table = $2 AND d.key = s.%s AND d.%s >= s.%s)\n"+
		"ON CONFLICT (%s) DO UPDATE SET %s\nWHERE t.%s IS NULL OR t.%s < EXCLUDED.%s",
		t.Ident(), strings.Join(cols, ", "), strings.Join(sel, ", "), from,
		stageOp, deleted, stageKey, pos, pos,
		quoteList(t.Key), strings.Join(set, ", "), pos, pos, pos)

	p.untombstone = fmt.Sprintf("DELETE FROM %s AS d USING %s AS s\n"+
		"WHERE s.%s = 'u' AND d.target_schema = $1 AND d.target_table = $2 AND d.key = s.%s AND d.%s < s.%s",
		deleted, st, stageOp, stageKey, pos, pos)
	return p
}

func keepName(i int) string { return fmt.Sprintf("%s_%d", keepPrefx, i) }

// upsertOffsets stores the next offsets of a batch; it never moves an offset
// backwards, so a zombie consumer finishing late cannot rewind its successor.
// Each offset is stored with the id of the topic incarnation and of the
// cluster it refers to ($5, $6; empty when unknown), so that a consumer can
// tell stored offsets of a deleted topic from offsets of the topic it reads.
func upsertOffsets(bkSchema string) string {
	return storeOffsets(bkSchema, "COALESCE(o.applied_events, 0) + EXCLUDED.applied_events") + "\nWHERE o.next_offset < EXCLUDED.next_offset"
}

// setOffsets stores the next offsets of a rebuild as they are, even below
// what is stored: they refer to the topic the rebuild read. applied_events
// starts again from the rebuild's events.
func setOffsets(bkSchema string) string { return storeOffsets(bkSchema, "EXCLUDED.applied_events") }

// storeOffsets is the INSERT … ON CONFLICT of offsets; applied is what an
// existing row's applied_events becomes.
func storeOffsets(bkSchema, applied string) string {
	return "INSERT INTO " + quote(bkSchema) + ".consumer_offsets AS o (group_id, topic, partition, next_offset, updated_at, topic_id, cluster_id, applied_events)\n" +
		"SELECT $1, u.topic, u.partition, u.next_offset, now(), NULLIF(u.topic_id, ''), NULLIF(u.cluster_id, ''), u.applied_events\n" +
		"FROM unnest($2::text[], $3::integer[], $4::bigint[], $5::text[], $6::text[], $7::bigint[]) AS u(topic, partition, next_offset, topic_id, cluster_id, applied_events)\n" +
		"ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now(),\n" +
		"  topic_id = COALESCE(EXCLUDED.topic_id, o.topic_id), cluster_id = COALESCE(EXCLUDED.cluster_id, o.cluster_id),\n" +
		"  applied_events = " + applied
}

func selectOffsets(bkSchema string) string {
	return "SELECT topic, partition, next_offset, coalesce(topic_id, ''), coalesce(cluster_id, '') FROM " + quote(bkSchema) + ".consumer_offsets\n" +
		"WHERE group_id = $1 AND topic = ANY($2::text[])"
}

// insertMissingOffsets makes the offsets rows ($2 topics, $3 partitions,
// pairwise) a group has not stored yet, with next offset 0, so that
// lockOffsets has a row to lock; they are updated before the transaction
// commits.
func insertMissingOffsets(bkSchema string) string {
	return "INSERT INTO " + quote(bkSchema) + ".consumer_offsets (group_id, topic, partition, next_offset)\n" +
		"SELECT $1, b.topic, b.partition, 0 FROM unnest($2::text[], $3::integer[]) AS b(topic, partition)\n" +
		"ON CONFLICT (group_id, topic, partition) DO NOTHING"
}

// lockOffsets reads the stored offsets of a batch's partitions ($2 topics,
// $3 partitions, pairwise) and, with lock, locks them in one order, so that
// a zombie consumer applying the same partitions waits for its successor.
func lockOffsets(bkSchema string, lock bool) string {
	q := "SELECT o.topic, o.partition, o.next_offset, coalesce(o.topic_id, '') FROM " + quote(bkSchema) + ".consumer_offsets AS o\n" +
		"JOIN unnest($2::text[], $3::integer[]) AS b(topic, partition) ON o.topic = b.topic AND o.partition = b.partition\n" +
		"WHERE o.group_id = $1\nORDER BY o.topic, o.partition"
	if lock {
		q += "\nFOR UPDATE OF o"
	}
	return q
}
