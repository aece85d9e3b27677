package source

import (
	"fmt"

	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// RetentionError says that a table's changes from Position on are needed
// but its capture instance now starts at MinLSN: the CDC cleanup job
// removed changes that were never read. It wraps ErrOutOfRetention.
type RetentionError struct {
	Table           string // schema.table, quoted
	Position        lsn.LSN
	CaptureInstance string
	MinLSN          lsn.LSN
}

func (e *RetentionError) Error() string {
	return fmt.Sprintf("table %s: resuming at %s but capture instance %s now starts at %s (sys.fn_cdc_get_min_lsn): %s; "+
		"the cleanup job removed changes that were never read, so the table's rows can no longer be followed change by change. Ways out: "+
		"set RETENTION_LOSS=resnapshot to take a new snapshot of the tables concerned while the others stream on (consumers then replace their rows); "+
		"or start over with a new snapshot of every table (write a tombstone for the producer's key in STATE_TOPIC). "+
		"Keep the producer down for less than the retention (EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = <minutes>)",
		e.Table, e.Position, e.CaptureInstance, e.MinLSN, ErrOutOfRetention)
}

func (e *RetentionError) Unwrap() error { return ErrOutOfRetention }

// resnapshots reports whether a table whose changes were lost is to be
// snapshotted again: when Config.ResnapshotLost says so, snapshots are on,
// and the table is not switching capture instances (the switch keeps the
// old instance's position, which a new snapshot would not move).
func (r *Reader) resnapshots(ts *tableState) bool {
	return r.cfg.ResnapshotLost && !r.cfg.NoSnapshot && ts.next == nil
}

// markLost records in pos that ts is to be snapshotted again, from the
// start, with events of a new table incarnation: the target may hold rows
// deleted by changes that were lost, which only replacing the table's rows
// removes. Columns added while synchronized stay optional fields.
func (r *Reader) markLost(ts *tableState, pos *Position, lost *RetentionError) {
	if pos.Snapshot.Tables == nil {
		pos.Snapshot.Tables = map[string]TableSnapshot{}
	}
	st := pos.Snapshot.Tables[ts.key]
	pos.Snapshot.Tables[ts.key] = TableSnapshot{Added: st.Added, InstanceMinLSN: lost.MinLSN, Resnapshot: lost.MinLSN}
	ts.resnapshot = lost.MinLSN
	r.cfg.Logger.Warn("source: CDC cleanup removed changes of a table that were never read: taking a new snapshot of it "+
		"while the other tables stream on (RETENTION_LOSS=resnapshot); consumers replace its rows",
		"table", lost.Table, "position", lost.Position.String(), "capture_instance", lost.CaptureInstance, "min_lsn", lost.MinLSN.String())
}
