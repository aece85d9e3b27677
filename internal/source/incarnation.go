package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// qIncarnation reads the current database's id and creation time. SQL
// Server sets create_date anew when a database is created or restored, and
// a recreated database may get its old database_id back or another one, so
// the pair changes with every new life of the database while a running or
// restarted server keeps it.
const qIncarnation = `SELECT database_id, create_date FROM sys.databases WHERE database_id = DB_ID()`

// Incarnation identifies the current life of the connection's database:
// "<create_date>/<database_id>", create_date in ISO-8601 with milliseconds,
// so that a later life sorts after an earlier one. Events carry it
// (event.Source.Incarnation) and positions are saved with it, so that
// neither the producer nor the consumer applies a position or rows of one
// life of the database to another.
func Incarnation(ctx context.Context, db *sql.DB) (string, error) {
	var id int64
	var created time.Time
	if err := db.QueryRowContext(ctx, qIncarnation).Scan(&id, &created); err != nil {
		return "", fmt.Errorf("read the database's id and create_date from sys.databases: %w", err)
	}
	return fmt.Sprintf("%s/%d", created.Format("2006-01-02T15:04:05.000"), id), nil
}

// ErrStalePosition is wrapped by the error Run returns when the saved
// position belongs to another life of the source database.
var ErrStalePosition = errors.New("the saved source position belongs to another life of the source database")

// StalePositionError says why a saved position cannot be used on the
// database the producer is connected to.
type StalePositionError struct {
	Database string
	// Saved and Current are the incarnations (Saved may be empty for a
	// position written before incarnations were saved).
	Saved, Current string
	// SavedLSN and MaxLSN are set when the saved position is beyond what
	// the database has ever logged.
	SavedLSN, MaxLSN lsn.LSN
}

func (e *StalePositionError) Error() string {
	what := fmt.Sprintf("database %s was created at %s, but the saved position was written for the database created at %s (it was dropped and recreated, or restored)",
		e.Database, e.Current, e.Saved)
	if e.Saved == "" || e.Saved == e.Current {
		what = fmt.Sprintf("the saved position of database %s is at LSN %s, beyond the database's highest LSN %s (it was restored from an older backup, or recreated)",
			e.Database, e.SavedLSN, e.MaxLSN)
	}
	return fmt.Sprintf("source: %s: %s. Its LSNs mean nothing in this database, so the producer will not stream from it. "+
		"Ways out: set STALE_POSITION=resnapshot to take a new snapshot of every table (consumers then find the new incarnation in the events "+
		"and stop, or rebuild each table with STALE_STATE=rebuild), or delete the position's key from the state topic", ErrStalePosition.Error(), what)
}

func (e *StalePositionError) Unwrap() error { return ErrStalePosition }

// CheckPosition returns a *StalePositionError when pos was saved for
// another incarnation of the database than current, or is beyond max, the
// database's highest LSN (sys.fn_cdc_get_max_lsn). A position saved without
// an incarnation passes when its LSNs are not beyond max.
func CheckPosition(pos Position, database, current string, max lsn.LSN) error {
	if pos.Incarnation != "" && pos.Incarnation != current {
		return &StalePositionError{Database: database, Saved: pos.Incarnation, Current: current}
	}
	saved := pos.Stream.CommitLSN
	if saved.IsZero() {
		saved = pos.Snapshot.LSN
	}
	if !saved.IsZero() && saved.Compare(max) > 0 {
		return &StalePositionError{Database: database, Saved: pos.Incarnation, Current: current, SavedLSN: saved, MaxLSN: max}
	}
	return nil
}

// checkIncarnation reads the database's incarnation and highest LSN and
// checks pos against them; a position without an incarnation adopts the
// current one.
func (r *Reader) checkIncarnation(ctx context.Context, pos *Position) error {
	cur, err := Incarnation(ctx, r.db)
	if err != nil {
		return err
	}
	max, err := maxLSN(ctx, r.db)
	if err != nil {
		return err
	}
	if err := CheckPosition(*pos, r.cfg.Database, cur, max); err != nil {
		return err
	}
	pos.Incarnation = cur
	r.incarnation.Store(&cur)
	return nil
}

// sameIncarnation checks that the database is still the life pos was
// checked against at the start of the pass.
func (r *Reader) sameIncarnation(ctx context.Context, pos *Position) error {
	cur, err := Incarnation(ctx, r.db)
	if err != nil {
		return err
	}
	if pos.Incarnation != "" && cur != pos.Incarnation {
		return &StalePositionError{Database: r.cfg.Database, Saved: pos.Incarnation, Current: cur}
	}
	return nil
}
