package apply

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mssql2adb/mssql2adb/internal/event"
)

// AuditTable is the bookkeeping table Config.Audit fills: one row per Kafka
// record an Apply processed (every event of the batch not skipped as below
// the stored offsets, including those compaction within the batch
// superseded), written in the same transaction as the rows and offsets.
// It has no unique constraint on purpose: a record applied twice shows up
// as two rows, which tests count with GROUP BY … HAVING count(*) > 1.
const AuditTable = "apply_audit"

func auditDDL(d Dialect, schema string) string {
	suffix := ""
	if d.Name() == "adbpg" {
		suffix = " DISTRIBUTED RANDOMLY"
	}
	return "CREATE TABLE IF NOT EXISTS " + quote(schema) + "." + AuditTable + ` (
  group_id text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  kafka_offset bigint NOT NULL,
  op text NOT NULL,
  target_schema text NOT NULL,
  target_table text NOT NULL,
  key text NOT NULL,
  ` + PositionColumn + ` bytea NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)` + suffix
}

// audit COPYs one row per processed event into the audit table, in tx.
func (a *Applier) audit(ctx context.Context, tx pgx.Tx, group string, events []*event.Event, from []Origin) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([][]any, len(events))
	for i, e := range events {
		k, err := e.Key()
		if err != nil {
			return fmt.Errorf("apply: audit %s: %w", e.Table.QualifiedName(), err)
		}
		ks, err := keyString(k)
		if err != nil {
			return fmt.Errorf("apply: audit %s: %w", e.Table.QualifiedName(), err)
		}
		s, n := a.name(e.Table)
		p := encodePosition(e)
		rows[i] = []any{group, from[i].Topic, from[i].Partition, from[i].Offset, e.Op.String(), s, n, ks, p[:]}
	}
	cols := []string{"group_id", "topic", "partition", "kafka_offset", "op", "target_schema", "target_table", "key", PositionColumn}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{a.bk, AuditTable}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("apply: write %d audit rows into %s.%s: %w", len(rows), a.bk, AuditTable, err)
	}
	return nil
}
