package route

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/selection"
)

// Router applies the rules to change events. It is safe for concurrent use.
type Router struct {
	cfg Config
	ops Op

	mu       sync.Mutex
	resolved map[*catalog.Table]*resolved      // by source table, and by derived table
	settings map[[2]string]apply.TableSettings // by target schema and table
	// shards are, per merged target table (schema + "." + name), the
	// latest table of each source table merged into it, as the target sees
	// it, by the source table's qualified name.
	shards map[string]map[string]*catalog.Table
}

// RuleError is an error of the rules (settings and mapping file) about one
// source table: a column mapped that the table lacks, names that clash,
// shards that cannot share a table. Retrying cannot fix it, and the records
// are not at fault: the consumer stops and says so.
type RuleError struct {
	Table string // database.schema.table
	Err   error
}

func (e *RuleError) Error() string { return fmt.Sprintf("table %s: %v", e.Table, e.Err) }
func (e *RuleError) Unwrap() error { return e.Err }

// IsRuleError reports whether err is (or wraps) a *RuleError.
func IsRuleError(err error) bool {
	var re *RuleError
	return errors.As(err, &re)
}

// resolved is what the rules say for one source table.
type resolved struct {
	skip      bool
	heartbeat bool
	ops       Op
	settings  apply.TableSettings
	merge     bool
	table     *catalog.Table // the table events carry to the target (renamed columns, __dts_data_source)
	schema    string         // target schema and table
	name      string
}

// New checks cfg and returns its Router.
func New(cfg Config) (*Router, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	ops, _ := parseOps(cfg.Operations, "OPERATIONS")
	return &Router{cfg: cfg, ops: ops, resolved: map[*catalog.Table]*resolved{}, settings: map[[2]string]apply.TableSettings{},
		shards: map[string]map[string]*catalog.Table{}}, nil
}

// resolve returns the rules for source table t (or a table resolve made).
func (r *Router) resolve(t *catalog.Table) (*resolved, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if res, ok := r.resolved[t]; ok {
		return res, nil
	}
	res, err := r.resolveNew(t)
	if err != nil {
		return nil, err
	}
	r.resolved[t] = res
	if !res.skip {
		r.settings[[2]string{res.schema, res.name}] = res.settings
	}
	if res.table != t {
		r.resolved[res.table] = res
	}
	return res, nil
}

func (r *Router) resolveNew(t *catalog.Table) (*resolved, error) {
	name := t.Database + "." + t.Schema + "." + t.Name // for messages only
	res := &resolved{ops: r.ops, table: t, schema: t.Schema, name: t.Name}
	if hb := r.cfg.Heartbeat; hb[1] != "" && strings.EqualFold(t.Schema, hb[0]) && strings.EqualFold(t.Name, hb[1]) {
		res.heartbeat, res.merge, res.ops = true, true, AllOps
		res.schema, res.name = r.cfg.HeartbeatTarget[0], r.cfg.HeartbeatTarget[1]
		derived, err := r.derive(t, nil, true)
		if err != nil {
			return nil, &RuleError{Table: name, Err: fmt.Errorf("heartbeat table: %w", err)}
		}
		res.table = derived
		return res, nil
	}
	if !selection.Selected(r.cfg.Include, r.cfg.Exclude, t.Database, t.Schema, t.Name) {
		res.skip = true
		return res, nil
	}
	var rule *Rule
	if r.cfg.File != nil {
		for i := range r.cfg.File.Tables {
			if selection.Match(r.cfg.File.Tables[i].Source, t.Database, t.Schema, t.Name) {
				rule = &r.cfg.File.Tables[i]
				break
			}
		}
	}
	if rule != nil {
		if rule.Exclude {
			res.skip = true
			return res, nil
		}
		if len(rule.Operations) > 0 {
			res.ops, _ = parseOps(rule.Operations, "")
		}
		if rule.TargetSchema != "" {
			res.schema = rule.TargetSchema
		}
		if rule.TargetTable != "" {
			res.name = rule.TargetTable
		}
		res.merge = rule.Merge
	}
	res.schema, res.name = fold(res.schema, r.cfg.FoldNames), fold(res.name, r.cfg.FoldNames)
	if r.cfg.FoldNames {
		for _, n := range []struct{ kind, name string }{{"target schema", res.schema}, {"target table", res.name}} {
			if err := checkFolded(n.kind, n.name); err != nil {
				return nil, &RuleError{Table: name, Err: err}
			}
		}
	}
	derived, err := r.derive(t, rule, res.merge)
	if err != nil {
		return nil, &RuleError{Table: name, Err: err}
	}
	if res.merge {
		if err := r.checkShard(res.schema+"."+res.name, name, derived); err != nil {
			return nil, &RuleError{Table: name, Err: err}
		}
	}
	res.table = derived
	if rule != nil {
		res.settings, _ = settingsOf(rule, r.cfg.FoldNames) // checked by New
		if err := res.settings.Check(derived.PrimaryKey); err != nil {
			return nil, &RuleError{Table: name, Err: &SettingsError{Err: fmt.Errorf("mapping file: %w", err)}}
		}
	}
	return res, nil
}

// IsHeartbeat reports whether t (a source table, or one Route made) is a
// producer's heartbeat table.
func (r *Router) IsHeartbeat(t *catalog.Table) bool {
	res, err := r.resolve(t)
	return err == nil && res.heartbeat
}

// SettingsError is what a *RuleError wraps when the mapping file's
// AnalyticDB table settings (primary_key, distribution_key, table_type,
// storage) do not fit the table.
type SettingsError struct{ Err error }

func (e *SettingsError) Error() string { return e.Err.Error() }
func (e *SettingsError) Unwrap() error { return e.Err }

// Target is where the rules send one source table.
type Target struct {
	// Skip is set for a table left out; the rest is then empty.
	Skip         bool
	Schema, Name string
	// Table is the table as the target sees it (renamed columns, merge
	// column, primary key).
	Table    *catalog.Table
	Settings apply.TableSettings
}

// Target resolves source table t, as the consumer will when its first
// event arrives; the error is a *RuleError, wrapping a *SettingsError for
// table settings.
func (r *Router) Target(t *catalog.Table) (Target, error) {
	res, err := r.resolve(t)
	if err != nil {
		return Target{}, err
	}
	if res.skip {
		return Target{Skip: true}, nil
	}
	return Target{Schema: res.schema, Name: res.name, Table: res.table, Settings: res.settings}, nil
}

// checkShard refuses a source table whose rows cannot share the merged
// target table with the other source tables merged into it: a different
// key, or a column of the same name with another target type. Columns only
// some shards have are fine: the others leave them NULL.
func (r *Router) checkShard(target, source string, t *catalog.Table) error {
	others := r.shards[target]
	for other, o := range others {
		if other == source {
			continue
		}
		if !slices.Equal(t.PrimaryKey, o.PrimaryKey) {
			return fmt.Errorf("merge into %s: its key (%s) differs from that of %s (%s), merged into the same table: shards must share their primary key",
				target, strings.Join(t.PrimaryKey, ", "), other, strings.Join(o.PrimaryKey, ", "))
		}
		for _, c := range t.Columns {
			j := o.ColumnIndex(c.Name)
			if j < 0 || o.Columns[j].Name != c.Name {
				continue
			}
			mine, err1 := apply.TargetType(c)
			theirs, err2 := apply.TargetType(o.Columns[j])
			if err1 == nil && err2 == nil && mine != theirs {
				return fmt.Errorf("merge into %s: column %s is %s here (SQL Server %s) but %s in %s, merged into the same table: "+
					"give the shards' columns the same type, or map the column to another name in one of them",
					target, c.Name, mine, typeText(c), theirs, other)
			}
		}
	}
	if others == nil {
		others = map[string]*catalog.Table{}
		r.shards[target] = others
	}
	others[source] = t
	return nil
}

func typeText(c catalog.Column) string {
	switch {
	case c.Length == -1:
		return c.Type + "(max)"
	case c.Length > 0:
		return fmt.Sprintf("%s(%d)", c.Type, c.Length)
	case c.Precision > 0:
		return fmt.Sprintf("%s(%d,%d)", c.Type, c.Precision, c.Scale)
	}
	return c.Type
}

// Check resolves every table in tables (the latest schema of each topic,
// read when the consumer starts) so that a rule that cannot apply to one is
// refused before anything is consumed. It returns the first error.
func (r *Router) Check(tables []*catalog.Table) error {
	for _, t := range tables {
		if _, err := r.resolve(t); err != nil {
			return err
		}
	}
	return nil
}

// Unmatched lists the mapping file's rules (by index and source pattern)
// that match none of tables: usually a misspelt pattern.
func (r *Router) Unmatched(tables []*catalog.Table) []string {
	if r.cfg.File == nil {
		return nil
	}
	var out []string
	for i, rule := range r.cfg.File.Tables {
		hit := false
		for _, t := range tables {
			hit = hit || selection.Match(rule.Source, t.Database, t.Schema, t.Name)
		}
		if !hit {
			out = append(out, fmt.Sprintf("tables[%d] (source %q)", i, rule.Source))
		}
	}
	return out
}

// Settings returns the AnalyticDB table settings of the target table
// schema.table, as the mapping file gives them for the source tables
// routed to it so far; it is apply.Config.TableSettings.
func (r *Router) Settings(schema, table string) apply.TableSettings {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.settings[[2]string{schema, table}]
}

// derive returns the table the target sees: columns renamed (and folded),
// and with merge the __dts_data_source column, part of the key. It returns
// t itself when nothing changes.
func (r *Router) derive(t *catalog.Table, rule *Rule, merge bool) (*catalog.Table, error) {
	rename := map[string]string{}
	if rule != nil {
		for from, to := range rule.Columns {
			if t.ColumnIndex(from) < 0 || t.Columns[t.ColumnIndex(from)].Name != from {
				return nil, fmt.Errorf("the mapping file maps column %q, which the table does not have (its columns: %s)", from, columnNames(t))
			}
			rename[from] = to
		}
	}
	var primaryKey []string
	if rule != nil {
		primaryKey = rule.PrimaryKey
	}
	if len(rename) == 0 && !merge && !r.cfg.FoldNames && len(primaryKey) == 0 {
		return t, nil
	}
	d := *t
	d.Columns = make([]catalog.Column, len(t.Columns))
	newName := func(n string) string {
		if to, ok := rename[n]; ok {
			n = to
		}
		return fold(n, r.cfg.FoldNames)
	}
	seen := map[string]string{}
	for i, c := range t.Columns {
		c.Name = newName(c.Name)
		if r.cfg.FoldNames {
			if err := checkFolded("column", c.Name); err != nil {
				return nil, err
			}
		}
		if prev, ok := seen[c.Name]; ok {
			return nil, fmt.Errorf("columns %q and %q would both be %q at the target: map one of them to another name", prev, t.Columns[i].Name, c.Name)
		}
		seen[c.Name] = t.Columns[i].Name
		d.Columns[i] = c
	}
	d.PrimaryKey = make([]string, len(t.PrimaryKey))
	for i, k := range t.PrimaryKey {
		d.PrimaryKey[i] = newName(k)
	}
	if merge {
		if _, ok := seen[apply.DataSourceColumn]; ok {
			return nil, fmt.Errorf("merge: the table already has a column %s", apply.DataSourceColumn)
		}
		d.Columns = append(d.Columns, catalog.Column{Name: apply.DataSourceColumn, Ordinal: len(t.Columns) + 1, Type: "text"})
		d.PrimaryKey = append(d.PrimaryKey, apply.DataSourceColumn)
	}
	if len(primaryKey) > 0 {
		pk, err := targetKey(primaryKey, &d, r.cfg.FoldNames)
		if err != nil {
			return nil, &SettingsError{Err: err}
		}
		d.PrimaryKey = pk
	}
	return &d, nil
}

// targetKey checks the mapping file's primary_key against the table the
// target sees (d): its columns must exist, and it must contain d's key, so
// that two source rows never share a target key.
func targetKey(names []string, d *catalog.Table, foldNames bool) ([]string, error) {
	pk := make([]string, len(names))
	for i, n := range names {
		n = fold(n, foldNames)
		if d.ColumnIndex(n) < 0 || d.Columns[d.ColumnIndex(n)].Name != n {
			return nil, fmt.Errorf("mapping file: primary_key column %q is not a column of the target table (its columns: %s)", n, columnNames(d))
		}
		if slices.Contains(pk[:i], n) {
			return nil, fmt.Errorf("mapping file: primary_key names column %q twice", n)
		}
		pk[i] = n
	}
	for _, k := range d.PrimaryKey {
		if !slices.Contains(pk, k) {
			return nil, fmt.Errorf("mapping file: primary_key (%s) lacks the source key column %q: "+
				"the target key must contain the source key (%s), or rows with different keys would overwrite each other",
				strings.Join(pk, ", "), k, strings.Join(d.PrimaryKey, ", "))
		}
	}
	return pk, nil
}

func columnNames(t *catalog.Table) string {
	n := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		n[i] = c.Name
	}
	return strings.Join(n, ", ")
}

// TargetName is the target schema and table of a table events carry; it is
// apply.Config.TargetName.
func (r *Router) TargetName(t *catalog.Table) (schema, table string) {
	res, err := r.resolve(t)
	if err != nil {
		// Decode resolved every table before the applier sees it.
		return t.Schema, t.Name
	}
	return res.schema, res.name
}

// Decoder is what Router wraps: the Avro codec.
type Decoder interface {
	Decode(ctx context.Context, topic string, key, value []byte) (*event.Event, error)
}

// BeforeColumns marks the columns of t's before images that applying its
// events needs: those of its target key (the source key, or the mapping
// file's primary_key, which contains it), by t's column index; for
// avro.DecodeBefore. nil, all of them, when t's rules do not resolve (its
// events then fail in Route, saying why).
func (r *Router) BeforeColumns(t *catalog.Table) []bool {
	res, err := r.resolve(t)
	if err != nil {
		return nil
	}
	keep := make([]bool, len(t.Columns))
	marked := false
	// The target table's columns are t's, in t's order (renamed, folded),
	// then the merge column, which no before image holds.
	for _, k := range res.table.PrimaryKey {
		for i := range min(len(t.Columns), len(res.table.Columns)) {
			if res.table.Columns[i].Name == k {
				keep[i], marked = true, true
			}
		}
	}
	if !marked {
		return nil
	}
	return keep
}

// Wrap returns a decoder that routes every decoded event: nil for tables
// left out and operations not synchronized, the routed event otherwise.
func (r *Router) Wrap(d Decoder) Decoder { return &routing{r: r, d: d} }

type routing struct {
	r *Router
	d Decoder
}

func (w *routing) Decode(ctx context.Context, topic string, key, value []byte) (*event.Event, error) {
	e, err := w.d.Decode(ctx, topic, key, value)
	if err != nil || e == nil {
		return e, err
	}
	return w.r.Route(e)
}

// Route applies the rules to e: nil when its table is left out or its
// operation is not synchronized (snapshot rows always are: they are the
// full data synchronization).
func (r *Router) Route(e *event.Event) (*event.Event, error) {
	res, err := r.resolve(e.Table)
	if err != nil {
		return nil, err
	}
	if res.skip {
		return nil, nil
	}
	switch {
	case e.Op == event.OpCreate && res.ops&Insert == 0,
		e.Op == event.OpUpdate && res.ops&Update == 0,
		e.Op == event.OpDelete && res.ops&Delete == 0:
		return nil, nil
	}
	if res.table == e.Table {
		return e, nil
	}
	out := *e
	out.Table = res.table
	if res.merge {
		id := e.Identity()
		src := id.Name + ":" + id.Database + "." + id.Schema + "." + id.Table
		if e.Before != nil {
			out.Before = append(append(make(event.Row, 0, len(e.Before)+1), e.Before...), src)
		}
		if e.After != nil {
			out.After = append(append(make(event.Row, 0, len(e.After)+1), e.After...), src)
		}
	}
	return &out, nil
}
