package apply

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// DefaultBookkeepingSchema holds consumer_offsets and deleted_keys.
const DefaultBookkeepingSchema = "mssql2adb"

// Config configures an Applier. The zero value detects the dialect and keeps
// the source's schema and table names.
type Config struct {
	// Dialect is "postgres", "adbpg", or empty or "auto" to detect it from version().
	Dialect string
	// BookkeepingSchema holds the offsets and deleted-keys tables; default
	// DefaultBookkeepingSchema.
	BookkeepingSchema string
	// TargetName maps a source table to its target schema and table; nil
	// keeps the source's schema and table names (case preserved, quoted).
	TargetName func(t *catalog.Table) (schema, table string)
	// TableSettings returns the AnalyticDB table settings of a target table
	// (schema and name as TargetName returns them), used when it is
	// created; nil gives every table the defaults.
	TableSettings func(schema, table string) TableSettings
	// Logger receives debug lines per batch; nil means slog.Default().
	Logger *slog.Logger
	// StripNUL drops U+0000 characters from strings, which SQL Server can
	// store and PostgreSQL cannot. Without it such a value fails the batch
	// with an error naming the table, key and column.
	StripNUL bool
	// ExistingTables is ExistingIntercept (the default) or ExistingUse: what
	// to do with a target table that exists but was not created here.
	ExistingTables string
	// NoSchemaSync turns schema synchronization off: target tables are
	// never created (a missing one is an error) and those that exist are
	// written into as with ExistingUse.
	NoSchemaSync bool
	// Audit records one row per processed Kafka record in the bookkeeping
	// table AuditTable, in the same transaction (see AuditTable). It is for
	// tests and investigations: off by default, and it needs Batch.From.
	Audit bool
	// Parallelism is how many partitions of a batch Apply writes at once,
	// each in a transaction of its own with its own offsets; 0 or 1
	// writes the whole batch in one transaction. A key's events are all
	// in one partition, so its order holds either way.
	Parallelism int
	// Observe, when set, is told how long each phase of Apply took:
	// prepare (stored offsets, sources, table DDL), copy (into staging),
	// merge (the set-based statements) and commit (offsets and COMMIT).
	Observe func(phase string, took time.Duration)
}

// Offset is the next Kafka offset to read from one partition.
type Offset struct {
	Topic     string
	Partition int32
	Next      int64
	// TopicID and ClusterID identify the topic incarnation and the cluster
	// the offset refers to (Kafka's topic id and cluster id, as text; empty
	// when the broker reports none). They are stored with the offset, and a
	// batch whose TopicID differs from the stored one is refused.
	TopicID   string
	ClusterID string
	// Events is the number of the batch's events applied from the
	// partition, added to its applied_events (for status). Apply counts
	// them from Batch.From; callers leave it zero.
	Events int64
}

// Origin is where one event was read from Kafka.
type Origin struct {
	Topic     string
	Partition int32
	Offset    int64
}

// Batch is what one target transaction applies.
type Batch struct {
	// Group is the consumer group whose offsets the batch advances.
	Group string
	// Events in Kafka order within each partition.
	Events []*event.Event
	// From, when set, has one entry per event: where it was read. Events
	// below the offsets the target already holds are then skipped, so a
	// redelivered batch is a no-op. Without From, only a batch whose every
	// offset is already stored is skipped; the position guard covers the rest.
	From []Origin
	// Offsets are the next offsets, per partition, once the batch is applied.
	Offsets []Offset
	// grouped is Events compacted by Prepare ahead of Apply, or nil.
	grouped []*tableBatch
	// parts are the batch split by partition (and each compacted) by
	// Prepare, for Config.Parallelism; nil when not split.
	parts []Batch
}

// Prepare compacts b's events by target table and key ahead of Apply, so
// that a pipeline can do it while the previous batch is being applied
// (it was a tenth of the apply's time, on the apply's critical path).
// Apply uses it unless it must leave out events already applied (a batch
// delivered again) or project events onto a target table it did not
// create; then it compacts again. Events must not change after Prepare. An
// error is left for Apply to report.
func (a *Applier) Prepare(b *Batch) {
	if a.parallel > 1 {
		if parts := splitByPartition(*b); parts != nil {
			for i := range parts {
				a.Prepare(&parts[i])
			}
			b.parts = parts
			return
		}
	}
	if groups, err := groupBatch(b.Events, a.name); err == nil {
		b.grouped = groups
	}
}

// splitByPartition splits b into one batch per Kafka partition, each with
// its events and offsets; nil when b has one partition or no origins.
func splitByPartition(b Batch) []Batch {
	if b.From == nil {
		return nil
	}
	idx := map[tp]int{}
	var parts []Batch
	part := func(k tp) *Batch {
		i, ok := idx[k]
		if !ok {
			i = len(parts)
			idx[k] = i
			parts = append(parts, Batch{Group: b.Group})
		}
		return &parts[i]
	}
	for _, o := range b.Offsets {
		p := part(tp{o.Topic, o.Partition})
		p.Offsets = append(p.Offsets, o)
	}
	for i, e := range b.Events {
		o := b.From[i]
		p := part(tp{o.Topic, o.Partition})
		p.Events, p.From = append(p.Events, e), append(p.From, o)
	}
	if len(parts) < 2 {
		return nil
	}
	return parts
}

// Applier writes batches of change events into the target database.
// It is safe for concurrent use.
type Applier struct {
	pool     *pgxpool.Pool
	dialect  Dialect
	bk       string
	name     func(*catalog.Table) (string, string)
	settings func(schema, table string) TableSettings
	ignored  sync.Once // the postgres dialect ignoring table settings, logged once
	log      *slog.Logger
	stripNUL bool
	audited  bool

	existingMode string
	noSchemaSync bool
	observe      func(string, time.Duration)
	parallel     int

	mu      sync.Mutex
	columns map[string]map[string]bool  // target table → its columns, as committed
	sources map[string][]event.Identity // target table → the sources recorded for it, as committed
	plans   map[string]*plan
	// existing holds what was learned of target tables as first seen.
	existing map[string]*existing
	// tombstonesAdded are the deleted_keys rows this Applier added since
	// it last analyzed the table; tombstonesAnalyzed those added before.
	tombstonesAdded, tombstonesAnalyzed int64
	// noDirect holds, by target table, until when copyDirect is not tried
	// (it met existing keys).
	noDirect map[string]time.Time
	// oids holds the column types of COPY targets, by describeSQL.
	oids map[string][]uint32
}

// New prepares an Applier: it resolves the dialect and creates the
// bookkeeping schema and tables when missing.
func New(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Applier, error) {
	a := &Applier{pool: pool, bk: cfg.BookkeepingSchema, name: cfg.TargetName, settings: cfg.TableSettings, log: cfg.Logger, stripNUL: cfg.StripNUL,
		audited: cfg.Audit, columns: map[string]map[string]bool{}, sources: map[string][]event.Identity{}, plans: map[string]*plan{},
		existing: map[string]*existing{}, noDirect: map[string]time.Time{}, oids: map[string][]uint32{}, existingMode: cfg.ExistingTables, noSchemaSync: cfg.NoSchemaSync, observe: cfg.Observe, parallel: cfg.Parallelism}
	if a.bk == "" {
		a.bk = DefaultBookkeepingSchema
	}
	if a.name == nil {
		a.name = func(t *catalog.Table) (string, string) { return t.Schema, t.Name }
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.observe == nil {
		a.observe = func(string, time.Duration) {}
	}
	switch a.existingMode {
	case "":
		a.existingMode = ExistingIntercept
	case ExistingIntercept, ExistingUse:
	default:
		return nil, fmt.Errorf("existing target tables %q: want %s or %s (EXISTING_TABLES)", a.existingMode, ExistingIntercept, ExistingUse)
	}
	var err error
	if cfg.Dialect != "" && cfg.Dialect != "auto" {
		a.dialect, err = DialectByName(cfg.Dialect)
	} else {
		a.dialect, err = DetectDialect(ctx, pool)
	}
	if err != nil {
		return nil, err
	}
	stmts := a.dialect.Bookkeeping(a.bk)
	if a.audited {
		stmts = append(stmts, auditDDL(a.dialect, a.bk))
	}
	for _, stmt := range stmts {
		// Two consumers starting together may race on CREATE … IF NOT
		// EXISTS; the loser's statement fails once and then finds the object.
		for try := 0; ; try++ {
			if _, err = pool.Exec(ctx, stmt); err == nil || try == 2 || ctx.Err() != nil {
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("create bookkeeping tables in schema %s: %w", a.bk, err)
		}
	}
	if err := a.migrateOffsets(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// Dialect returns the dialect in use.
func (a *Applier) Dialect() Dialect { return a.dialect }

// Apply writes b in one transaction, the rows of every table and then the
// offsets, or with Config.Parallelism, one transaction per partition, up to
// that many at once. Events already applied (below the stored offsets) are
// skipped, so a batch applied in part before is applied again safely.
func (a *Applier) Apply(ctx context.Context, b Batch) error {
	if b.From != nil && len(b.From) != len(b.Events) {
		return fmt.Errorf("apply: batch has %d events but %d origins", len(b.Events), len(b.From))
	}
	parts := b.parts
	if parts == nil && a.parallel > 1 {
		parts = splitByPartition(b)
	}
	if len(parts) < 2 {
		return a.applyTx(ctx, b)
	}
	// A target that is down fails one connection attempt here rather
	// than one per partition (a busy loop while it is retried).
	c, err := a.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("apply: connect to the target: %w", err)
	}
	c.Release()
	// Partitions share no key, and each transaction stores only its own
	// partitions' offsets: they commit in any order, each exactly once.
	sem := make(chan struct{}, a.parallel)
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = a.applyTx(ctx, parts[i])
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// applyTx writes b in one transaction.
func (a *Applier) applyTx(ctx context.Context, b Batch) error {
	lp := a.newApplyState()
	tx, err := a.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("apply: begin transaction: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	stored, err := a.lockOffsets(ctx, tx, b)
	if err != nil {
		return err
	}
	for _, o := range b.Offsets {
		if st, ok := stored[tp{o.Topic, o.Partition}]; ok && st.TopicID != "" && o.TopicID != "" && st.TopicID != o.TopicID {
			return &TopicChangedError{Group: b.Group, Topic: o.Topic, Partition: o.Partition, Stored: st, Current: o}
		}
	}
	events, origins := b.Events, b.From
	// Events below a stored offset were applied already (a redelivery):
	// left out, in a copy, when there are any.
	applied := map[tp]int64{}
	redelivered := false
	for _, o := range b.From {
		if st, ok := stored[tp{o.Topic, o.Partition}]; ok && o.Offset < st.Next {
			redelivered = true
			continue
		}
		applied[tp{o.Topic, o.Partition}]++
	}
	if redelivered {
		events, origins = make([]*event.Event, 0, len(b.Events)), make([]Origin, 0, len(b.From))
		for i, e := range b.Events {
			o := b.From[i]
			if st, ok := stored[tp{o.Topic, o.Partition}]; ok && o.Offset < st.Next {
				continue
			}
			events, origins = append(events, e), append(origins, o)
		}
	}
	var advance []Offset
	for _, o := range b.Offsets {
		if st, ok := stored[tp{o.Topic, o.Partition}]; !ok || o.Next > st.Next {
			o.Events = applied[tp{o.Topic, o.Partition}]
			advance = append(advance, o)
		}
	}
	duplicate := len(advance) == 0 && len(events) == 0 // every event skipped, nothing to store
	if b.From == nil && len(b.Offsets) > 0 && len(advance) == 0 {
		duplicate = true // every offset already stored: the whole batch was applied
	}
	if duplicate {
		a.log.Debug("apply: batch already applied", "group", b.Group, "events", len(b.Events))
		return nil
	}

	sources, err := a.checkSources(ctx, tx, events, origins)
	if err != nil {
		return err
	}
	pending := map[string]map[string]bool{}
	var grouped []*tableBatch
	if len(events) == len(b.Events) {
		grouped = b.grouped
	}
	if err := a.applyEvents(ctx, tx, events, grouped, pending, false, lp); err != nil {
		return err
	}
	if a.audited {
		if b.From == nil && len(events) > 0 {
			return fmt.Errorf("apply: audit is on but the batch has no origins (Batch.From)")
		}
		if err := a.audit(ctx, tx, b.Group, events, origins); err != nil {
			return err
		}
	}
	if len(advance) > 0 {
		if err := a.storeOffsets(ctx, tx, upsertOffsets(a.bk), b.Group, advance); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("apply: commit: %w", err)
	}
	lp.lap("commit")
	a.committed(pending, sources)
	a.analyzeDeletedKeys(ctx, lp.tombstones)
	a.log.Debug("apply: batch committed", "group", b.Group, "events", len(events))
	return nil
}

// committed caches what a committed transaction established: the target
// tables' columns and their recorded sources.
func (a *Applier) committed(columns map[string]map[string]bool, sources map[string][]event.Identity) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, cols := range columns {
		a.columns[k] = cols
	}
	for k, ids := range sources {
		a.sources[k] = ids
	}
}

// applyEvents writes events into their target tables in tx: it creates or
// widens the tables, then stages and merges each table's compacted events.
// grouped, when not nil, is events compacted already (Prepare). What
// ensureTable learns goes into pending, to cache after commit. With
// more to apply in the same transaction (a rebuild), dropStage drops each
// staging table after use: the commit would only empty it at the end.
func (a *Applier) applyEvents(ctx context.Context, tx pgx.Tx, events []*event.Event, grouped []*tableBatch, pending map[string]map[string]bool, dropStage bool, lp *applyState) error {
	adopted, err := a.adopt(ctx, tx, events)
	if err != nil {
		return err
	}
	lp.lap("prepare")
	groups := grouped // Prepare's, when adopt changed nothing
	if groups == nil || len(adopted) != len(events) || (len(events) > 0 && &adopted[0] != &events[0]) {
		if groups, err = groupBatch(adopted, a.name); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
	}
	lp.lap("compact")
	targets := make([]*TargetTable, len(groups))
	for i, g := range groups {
		if targets[i], err = targetTable(g); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		if a.settings != nil {
			targets[i].Settings = a.settings(g.schema, g.name)
		}
	}
	// Ensure tables in name order: consumers that must create or alter
	// several tables then take the DDL locks in the same order.
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return strings.Compare(targets[x].Ident(), targets[y].Ident()) })
	for _, i := range order {
		if err := a.ensureTable(ctx, tx, targets[i], pending); err != nil {
			return err
		}
	}
	for i, g := range groups {
		if err := a.applyTable(ctx, tx, i, g, targets[i], dropStage, lp); err != nil {
			return err
		}
	}
	return nil
}

// applyTable stages one table's compacted events and applies them.
func (a *Applier) applyTable(ctx context.Context, tx pgx.Tx, n int, g *tableBatch, t *TargetTable, dropStage bool, lp *applyState) error {
	if !dropStage {
		done, err := a.copyDirect(ctx, tx, g, t)
		if err != nil {
			return err
		}
		lp.lap("copy")
		if done {
			return nil
		}
	}
	stage := stageName(n, t, g.keep)
	p := a.planFor(stage, t, g.keep)
	if _, err := tx.Exec(ctx, p.createStage); err != nil {
		return fmt.Errorf("apply %s: create staging table: %w", t.Ident(), err)
	}
	lp.lap("prepare")
	names := make([]string, len(p.stageCols))
	for i, c := range p.stageCols {
		names[i] = c.Name
	}
	if _, err := a.copyIn(ctx, tx, pgx.Identifier{stage}, names, newStageSource(g)); err != nil {
		return fmt.Errorf("apply %s: copy %d rows into staging: %w", t.Ident(), len(g.rows), err)
	}
	if g.deletes > 0 && len(g.rows) >= analyzeStageRows {
		// A temporary table has no statistics: without them the planner
		// takes a large staging table for a few rows and may join it
		// with deleted_keys in a nested loop that is quadratic.
		if _, err := tx.Exec(ctx, "ANALYZE "+quote(stage)); err != nil {
			return fmt.Errorf("apply %s: analyze staging table: %w", t.Ident(), err)
		}
	}
	lp.lap("copy")
	// The set-based statements go in one round trip, in this order. A
	// batch without deletes skips the two that only read its delete rows
	// (each would still scan the whole staging table).
	type step struct{ what, sql string }
	var steps []step
	if g.deletes > 0 {
		steps = append(steps, step{"delete rows", p.deleteRows}, step{"remember deleted keys", p.tombstone})
	}
	steps = append(steps, step{"upsert rows", p.upsert}, step{"forget superseded deleted keys", p.untombstone})
	if dropStage {
		steps = append(steps, step{"drop staging table", "DROP TABLE " + quote(stage)})
	}
	var pb pgx.Batch
	for _, s := range steps {
		var args []any
		if strings.Contains(s.sql, "$1") {
			args = []any{t.Schema, t.Name}
		}
		pb.Queue(s.sql, args...)
	}
	res := tx.SendBatch(ctx, &pb)
	for _, s := range steps {
		tag, err := res.Exec()
		if err != nil {
			_ = res.Close()
			return fmt.Errorf("apply %s: %s: %w", t.Ident(), s.what, err)
		}
		if s.sql == p.tombstone {
			lp.tombstones += tag.RowsAffected()
		}
	}
	if err := res.Close(); err != nil {
		return fmt.Errorf("apply %s: %w", t.Ident(), err)
	}
	lp.lap("merge")
	return nil
}

// applyState is what one Apply tracks besides its transaction: the time of
// its phases, for Config.Observe, and the deleted keys it recorded.
type applyState struct {
	observe    func(string, time.Duration)
	last       time.Time
	tombstones int64
}

func (a *Applier) newApplyState() *applyState {
	return &applyState{observe: a.observe, last: time.Now()}
}

// lap reports the time since the previous lap as phase's.
func (l *applyState) lap(phase string) {
	now := time.Now()
	l.observe(phase, now.Sub(l.last))
	l.last = now
}

func targetTable(g *tableBatch) (*TargetTable, error) {
	t := &TargetTable{Schema: g.schema, Name: g.name}
	for _, j := range g.key {
		t.Key = append(t.Key, g.union[j].Name)
	}
	for j, c := range g.union {
		typ, err := TargetType(c)
		if err != nil {
			return nil, fmt.Errorf("table %s.%s: %w", g.schema, g.name, err)
		}
		tc := TargetColumn{Name: c.Name, Type: typ, NotNull: contains(g.key, j)}
		if c.HasFill {
			tc.Default = columnDefault(c.Fill, typ)
		}
		t.Columns = append(t.Columns, tc)
	}
	return t, nil
}

// TargetTableFor describes the target table of a source table, named by
// the source's schema and name.
func TargetTableFor(src *catalog.Table) (*TargetTable, error) {
	tb := &tableBatch{schema: src.Schema, name: src.Name, maps: map[*catalog.Table][]int{}}
	if err := tb.addTable(src); err != nil {
		return nil, err
	}
	return targetTable(tb)
}

// stageName names the n-th staging table of a transaction after its shape
// as well: pgx caches the column types COPY sends by the statement text
// that names the table, so one name must never mean two shapes (a batch's
// third table a decimal key, a later batch's third a uniqueidentifier).
func stageName(n int, t *TargetTable, keep []int) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%v|%v", t.Key, keep)
	for _, c := range t.Columns {
		fmt.Fprintf(h, "|%s %s", c.Name, c.Type)
	}
	return fmt.Sprintf("__stage_%d_%08x", n, h.Sum32())
}

func (a *Applier) planFor(stage string, t *TargetTable, keep []int) *plan {
	var sig strings.Builder
	fmt.Fprintf(&sig, "%s|%s|%s|%v|%v|%v", stage, t.Schema, t.Name, t.Key, keep, t.Settings)
	for _, c := range t.Columns {
		fmt.Fprintf(&sig, "|%s %s %s", c.Name, c.Type, c.Default)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.plans[sig.String()]
	if p == nil {
		p = newPlan(a.dialect, a.bk, stage, t, keep)
		a.plans[sig.String()] = p
	}
	return p
}

// ensureTable creates the target table on first sight and adds the columns
// it lacks. What it learns is cached once the transaction commits.
func (a *Applier) ensureTable(ctx context.Context, tx pgx.Tx, t *TargetTable, pending map[string]map[string]bool) error {
	id := t.Schema + "\x00" + t.Name
	cols := pending[id]
	if cols == nil {
		a.mu.Lock()
		cols = a.columns[id]
		a.mu.Unlock()
	}
	if cols != nil && hasAll(cols, t) {
		return nil
	}
	// Another consumer may be creating or altering the same table: serialize
	// on a transaction-scoped advisory lock, then look at the table afresh.
	// The schema's lock comes first (CREATE SCHEMA IF NOT EXISTS races too),
	// and tables are ensured in name order, so every consumer takes these
	// locks in one global order and none can deadlock on them.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1)), pg_advisory_xact_lock(hashtext($2))",
		"mssql2adb schema:"+quote(t.Schema), "mssql2adb table:"+t.Ident()); err != nil {
		return fmt.Errorf("lock target table %s for DDL: %w", t.Ident(), err)
	}
	cols, err := targetColumns(ctx, tx, t)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		// The bookkeeping schema's tables (the heartbeat's) are the
		// consumer's own, made whatever SYNC_SCHEMA says.
		if a.noSchemaSync && t.Schema != a.bk {
			return &ExistingTableError{Table: t.Ident(), Reason: fmt.Sprintf("does not exist, and schema synchronization is off (SYNC_SCHEMA=off): "+
				"create it with a primary key or unique index on (%s), or set SYNC_SCHEMA=on", strings.Join(t.Key, ", "))}
		}
		if a.dialect.Name() == "postgres" && !t.Settings.IsZero() {
			a.ignored.Do(func() {
				a.log.Warn("the postgres dialect has no table types, distribution keys or append-optimized storage: "+
					"the mapping file's table_type, distribution_key, storage and compress settings are ignored (logged once)", "table", t.Ident())
			})
		}
		for _, stmt := range []string{CreateSchema(t.Schema), a.dialect.CreateTable(t)} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("create target table %s: %w", t.Ident(), err)
			}
		}
		a.log.Info("created target table", "table", t.Ident(), "dialect", a.dialect.Name())
		cols = map[string]bool{PositionColumn: true}
		for _, c := range t.Columns {
			cols[c.Name] = true
		}
	}
	next := map[string]bool{}
	for c := range cols {
		next[c] = true
	}
	add := append([]TargetColumn(nil), t.Columns...)
	add = append(add, TargetColumn{Name: PositionColumn, Type: "bytea"})
	for _, c := range add {
		if next[c.Name] {
			continue
		}
		if _, err := tx.Exec(ctx, a.dialect.AddColumn(t, c)); err != nil {
			return fmt.Errorf("add column %s to target table %s: %w", c.Name, t.Ident(), err)
		}
		a.log.Info("added target column", "table", t.Ident(), "column", c.Name, "type", c.Type)
		next[c.Name] = true
	}
	pending[id] = next
	return nil
}

func hasAll(cols map[string]bool, t *TargetTable) bool {
	for _, c := range t.Columns {
		if !cols[c.Name] {
			return false
		}
	}
	return cols[PositionColumn]
}

func targetColumns(ctx context.Context, tx pgx.Tx, t *TargetTable) (map[string]bool, error) {
	rows, err := tx.Query(ctx, "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2", t.Schema, t.Name)
	if err != nil {
		return nil, fmt.Errorf("read columns of target table %s: %w", t.Ident(), err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read columns of target table %s: %w", t.Ident(), err)
	}
	out := map[string]bool{}
	for _, c := range cols {
		out[c] = true
	}
	return out, nil
}

// stageSource streams a table's compacted entries into COPY as the staging
// table's columns: op, key, position, the values, the keep flags. The batch
// is never copied into a second buffer.
type stageSource struct {
	g    *tableBatch
	keep []int
	i    int
	cur  *entry
	row  []any
	cols []*catalog.Column
}

var _ copySource = (*stageSource)(nil)

func newStageSource(g *tableBatch) *stageSource {
	n := len(g.union)
	s := &stageSource{g: g, keep: g.keep, row: make([]any, 3+n+len(g.keep)), cols: make([]*catalog.Column, 3+n+len(g.keep))}
	for j := range g.union {
		s.cols[3+j] = &g.union[j]
	}
	return s
}

func (s *stageSource) Next() bool {
	if s.i >= len(s.g.rows) {
		return false
	}
	s.cur = s.g.rows[s.i]
	s.i++
	return true
}

func (s *stageSource) Row() []any {
	e := s.cur
	s.row[0], s.row[1], s.row[2] = string(e.op), e.key, e.pos[:]
	n := len(s.g.union)
	for j := range s.g.union {
		v := e.vals[j]
		if event.IsUnchanged(v) || (e.op == 'd' && !contains(s.g.key, j)) {
			v = nil
		}
		s.row[3+j] = v
	}
	for k, j := range s.keep {
		s.row[3+n+k] = e.op == 'u' && event.IsUnchanged(e.vals[j])
	}
	return s.row
}

func (s *stageSource) Columns() []*catalog.Column { return s.cols }

func (s *stageSource) ValueError(i int, err error) error {
	if c := s.cols[i]; c != nil {
		return fmt.Errorf("table %s.%s key %s column %q: %w: %w", s.g.schema, s.g.name, s.cur.key, c.Name, ErrValue, err)
	}
	return fmt.Errorf("table %s.%s key %s: %w", s.g.schema, s.g.name, s.cur.key, err)
}
