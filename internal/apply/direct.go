package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
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
	if g.changes || len(g.rows) == 0 {
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
	_, err := a.copyIn(ctx, tx, pgx.Identifier{t.Schema, t.Name}, names, newDirectSource(g))
	if err == nil {
		if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT mssql2adb_direct"); err != nil {
			return false, fmt.Errorf("apply %s: release savepoint: %w", t.Ident(), err)
		}
		return true, nil
	}
	if errors.Is(err, ErrValue) {
		return false, fmt.Errorf("apply %s: copy %d rows: %w", t.Ident(), len(g.rows), err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" { // unique_violation
		return false, fmt.Errorf("apply %s: copy %d rows: %w", t.Ident(), len(g.rows), err)
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
// the position.
type directSource struct {
	stage *stageSource
	row   []any
	cols  []*catalog.Column
}

var _ copySource = (*directSource)(nil)

func newDirectSource(g *tableBatch) *directSource {
	s := &directSource{stage: newStageSource(g), row: make([]any, len(g.union)+1)}
	s.cols = append(s.stage.cols[3:3+len(g.union):3+len(g.union)], nil)
	return s
}

func (s *directSource) Next() bool { return s.stage.Next() }

func (s *directSource) Row() []any {
	v := s.stage.Row()
	n := len(s.row) - 1
	copy(s.row, v[3:3+n])
	s.row[n] = v[2]
	return s.row
}

func (s *directSource) Columns() []*catalog.Column { return s.cols }

func (s *directSource) ValueError(i int, err error) error {
	if i < len(s.row)-1 {
		return s.stage.ValueError(3+i, err)
	}
	return s.stage.ValueError(2, err)
}
