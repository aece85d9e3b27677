// Package route decides, on the consumer side, where each source table's
// changes go: whether the table is synchronized at all, under which target
// schema, table and column names, which operations reach the target, and
// which source tables merge into one target table told apart by the
// __dts_data_source column. The rules come from settings and an optional
// mapping file; they are checked when loaded and resolved once per source
// table.
package route

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mssql2adb/mssql2adb/internal/selection"
)

// File is the mapping file (MAPPING_FILE): per-object rules, first match wins.
//
//	tables:
//	  - source: dtstestdata.testschema.customer*   # database.schema.table, * and ? match
//	    target_schema: public
//	    target_table: customer
//	    merge: true                                # shards into one table with __dts_data_source
//	  - source: dtstestdata.dbo.orders
//	    operations: [insert, update]               # deletes keep their rows at the target
//	    columns: {Amount: amount_cny}
//	  - source: dtstestdata.dbo.audit_*
//	    exclude: true
type File struct {
	Tables []Rule `yaml:"tables"`
}

// Rule is one entry of the mapping file.
type Rule struct {
	// Source is a pattern over database.schema.table (or schema.table, in
	// any database): case-insensitive, with * (any run of characters but
	// '.') and ? (one character).
	Source string `yaml:"source"`
	// TargetSchema and TargetTable rename; empty keeps the source's name.
	TargetSchema string `yaml:"target_schema"`
	TargetTable  string `yaml:"target_table"`
	// Merge lands every matching source table in the one target table,
	// with the __dts_data_source column in its key.
	Merge bool `yaml:"merge"`
	// Operations limits the changes applied (insert, update, delete);
	// empty means the task's OPERATIONS.
	Operations []string `yaml:"operations"`
	// Columns renames source columns (by exact source name).
	Columns map[string]string `yaml:"columns"`
	// Exclude leaves the matching tables out.
	Exclude bool `yaml:"exclude"`
}

// Config is the task-wide part of the rules.
type Config struct {
	// Include and Exclude are patterns over database.schema.table (as
	// Rule.Source); empty Include means every table.
	Include, Exclude []string
	// Operations are the operations applied by default: insert, update,
	// delete; empty means all three.
	Operations []string
	// FoldNames folds target names to lower case (names not quoted), and
	// refuses names that would then need quotes.
	FoldNames bool
	// File holds the per-object rules; nil for none.
	File *File
}

// LoadFile reads and checks a mapping file.
func LoadFile(name string) (*File, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("mapping file: %w", err)
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) { // an empty file has no rules
		return nil, fmt.Errorf("mapping file %s: %w", name, err)
	}
	return &f, nil
}

// Op is a set of operations.
type Op uint8

// The operations a rule can select.
const (
	Insert Op = 1 << iota
	Update
	Delete
	AllOps = Insert | Update | Delete
)

func parseOps(names []string, what string) (Op, error) {
	if len(names) == 0 {
		return AllOps, nil
	}
	var o Op
	for _, n := range names {
		switch strings.ToLower(strings.TrimSpace(n)) {
		case "insert":
			o |= Insert
		case "update":
			o |= Update
		case "delete":
			o |= Delete
		default:
			return 0, fmt.Errorf("%s: operation %q: want insert, update or delete", what, n)
		}
	}
	return o, nil
}

// check validates the configuration: patterns, operations, and rules that
// would land two source tables in one target table without merging.
func (c Config) check() error {
	if err := selection.Check("INCLUDE_TABLES", c.Include); err != nil {
		return err
	}
	if err := selection.Check("EXCLUDE_TABLES", c.Exclude); err != nil {
		return err
	}
	if _, err := parseOps(c.Operations, "OPERATIONS"); err != nil {
		return err
	}
	if c.File == nil {
		return nil
	}
	targets := map[string]int{}
	for i, r := range c.File.Tables {
		what := fmt.Sprintf("mapping file, tables[%d] (source %q)", i, r.Source)
		if r.Source == "" {
			return fmt.Errorf("mapping file, tables[%d]: source is required (database.schema.table, * and ? allowed)", i)
		}
		if err := selection.CheckOne(what, r.Source); err != nil {
			return err
		}
		if _, err := parseOps(r.Operations, what); err != nil {
			return err
		}
		if r.Exclude && (r.Merge || r.TargetSchema != "" || r.TargetTable != "" || len(r.Columns) > 0 || len(r.Operations) > 0) {
			return fmt.Errorf("%s: exclude: true takes no other setting", what)
		}
		if r.Merge && (r.TargetSchema == "" || r.TargetTable == "") {
			return fmt.Errorf("%s: merge: true needs target_schema and target_table, the one table the sources merge into", what)
		}
		seen := map[string]string{}
		for from, to := range r.Columns {
			if to == "" {
				return fmt.Errorf("%s: column %q is mapped to an empty name", what, from)
			}
			if other, ok := seen[fold(to, c.FoldNames)]; ok {
				return fmt.Errorf("%s: columns %q and %q are both mapped to %q", what, other, from, to)
			}
			seen[fold(to, c.FoldNames)] = from
		}
		if r.TargetTable != "" && !r.Merge {
			// A rule naming one target table for a pattern that matches
			// several tables, or two rules naming the same target, would
			// overwrite rows: only merging may do that.
			if strings.ContainsAny(r.Source, "*?") || strings.Count(r.Source, ".") < 2 {
				return fmt.Errorf("%s: a pattern matching several tables maps them all to %s.%s: set merge: true, or name one source table",
					what, r.TargetSchema, r.TargetTable)
			}
			k := fold(r.TargetSchema, c.FoldNames) + "." + fold(r.TargetTable, c.FoldNames)
			if j, ok := targets[k]; ok {
				return fmt.Errorf("%s and tables[%d] (source %q) both map to target table %s without merge: set merge: true on both, or map them apart",
					what, j, c.File.Tables[j].Source, k)
			}
			targets[k] = i
		}
	}
	return nil
}

func fold(s string, on bool) string {
	if on {
		return strings.ToLower(s)
	}
	return s
}

// pgReserved are PostgreSQL's reserved key words (those that cannot be a
// table or column name unquoted), from the SQL Key Words appendix.
var pgReserved = strings.Fields(`all analyse analyze and any array as asc asymmetric both case cast check collate column
constraint create current_catalog current_date current_role current_time current_timestamp current_user default
deferrable desc distinct do else end except false fetch for foreign from grant group having in initially intersect
into lateral leading limit localtime localtimestamp not null offset on only or order placing primary references
returning select session_user some symmetric system_user table then to trailing true union unique user using
variadic when where window with authorization binary collation concurrently cross current_schema freeze full ilike
inner is isnull join left like natural notnull outer overlaps right similar tablesample verbose`)

// checkFolded refuses a lower-cased name that would need quotes.
func checkFolded(kind, name string) error {
	if name == "" {
		return fmt.Errorf("%s name is empty", kind)
	}
	for i, r := range name {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r > 127 && r != 0xFFFD:
		case (r >= '0' && r <= '9' || r == '$') && i > 0:
		default:
			return fmt.Errorf("%s name %q cannot be used unquoted (TARGET_QUOTE_NAMES=off): it has %q; "+
				"unquoted PostgreSQL names hold letters, digits, _ and $ and start with a letter or _. "+
				"Map it to another name in the mapping file or set TARGET_QUOTE_NAMES=on", kind, name, r)
		}
	}
	if slices.Contains(pgReserved, name) {
		return fmt.Errorf("%s name %q is a reserved word in PostgreSQL and cannot be used unquoted (TARGET_QUOTE_NAMES=off): "+
			"map it to another name in the mapping file or set TARGET_QUOTE_NAMES=on", kind, name)
	}
	return nil
}
