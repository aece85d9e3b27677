package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// directRetry is how long a table whose direct COPY met existing keys is
// applied through staging only, before a direct COPY is tried again.
const directRetry = time.Minute

// copyDirect tries the fast path of a table batch that only inserts new
// rows (snapshot rows and inserts, no value to keep): one COPY straight
// into the target table, as fast as the target can load. It holds while
// none of the keys is in the table or in deleted_keys: a key that is (a
// replayed batch, a snapshot run again) makes the COPY fail, which a
// savepoint undoes, and the caller applies the batch through staging with
// the position guard. It reports whether the rows were applied.
func (a *Applier) copyDirect(ctx context.Context, tx pgx.Tx, g *tableBatch, t *TargetTable) (bool, error) {
	if g.changes || len(g.order) == 0 {
		return false, nil
	}
	id := t.Schema + "\x00" + t.Name
	a.mu.Lock()
	until := a.noDirect[id]
	a.mu.Unlock()
	if time.Now().Before(until) {
		return false, nil
	}
	var tombstones bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+quote(a.bk)+".deleted_keys WHERE target_schema = $1 AND target_table = $2)",
		t.Schema, t.Name).Scan(&tombstones); err != nil {
		return false, fmt.Errorf("apply %s: look for deleted keys: %w", t.Ident(), err)
	}
	if tombstones {
		return false, nil
	}
	names := make([]string, 0, len(t.Columns)+1)
	for _, c := range t.Columns {
		names = append(names, c.Name)
	}
	names = append(names, PositionColumn)
	if _, err := tx.Exec(ctx, "SAVEPOINT mssql2adb_direct"); err != nil {
		return false, fmt.Errorf("apply %s: savepoint: %w", t.Ident(), err)
	}
	src := &directSource{stage: stageSource{stripNUL: a.stripNUL, g: g, keep: g.keep, buf: make([]any, 3+len(g.union)+len(g.keep))},
		row: make([]any, len(g.union)+1)}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{t.Schema, t.Name}, names, src)
	if err == nil {
		if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT mssql2adb_direct"); err != nil {
			return false, fmt.Errorf("apply %s: release savepoint: %w", t.Ident(), err)
		}
		return true, nil
	}
	if src.stage.err != nil {
		return false, fmt.Errorf("apply %s: copy %d rows: %w", t.Ident(), len(g.order), src.stage.err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" { // unique_violation
		return false, fmt.Errorf("apply %s: copy %d rows: %w", t.Ident(), len(g.order), err)
	}
	if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT mssql2adb_direct"); err != nil {
		return false, fmt.Errorf("apply %s: roll back to savepoint: %w", t.Ident(), err)
	}
	a.mu.Lock()
	a.noDirect[id] = time.Now().Add(directRetry)
	a.mu.Unlock()
	a.log.Debug("apply: direct copy met existing keys; applying through staging", "table", t.Ident())
	return false, nil
}

// directSource streams a table batch's rows as the target's columns and
// the position, converted as for staging.
type directSource struct {
	stage stageSource
	row   []any
}

var _ pgx.CopyFromSource = (*directSource)(nil)

func (s *directSource) Next() bool { return s.stage.Next() }

func (s *directSource) Values() ([]any, error) {
	v, err := s.stage.Values()
	if err != nil {
		return nil, err
	}
	n := len(s.row) - 1
	copy(s.row, v[3:3+n])
	s.row[n] = v[2]
	return s.row, nil
}

func (s *directSource) Err() error { return s.stage.err }
