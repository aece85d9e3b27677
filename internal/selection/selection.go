// Package selection matches tables against the patterns users write to
// pick them: database.schema.table, or schema.table for any database, each
// part case-insensitive with * and ?. The producer selects the tables it
// captures with them, the consumer the tables it applies and the rules of
// its mapping file.
package selection

import (
	"fmt"
	"path"
	"strings"
)

// CheckOne checks pattern p of the setting named what.
func CheckOne(what, p string) error {
	if n := strings.Count(p, "."); n < 1 || n > 2 {
		return fmt.Errorf("%s: pattern %q: want database.schema.table, or schema.table for any database (each part may use * and ?)", what, p)
	}
	for _, part := range strings.Split(p, ".") {
		if part == "" {
			return fmt.Errorf("%s: pattern %q has an empty part: write * for any name", what, p)
		}
	}
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("%s: pattern %q: %w", what, p, err)
	}
	return nil
}

// Check checks a list of patterns, named what (the setting) in errors.
func Check(what string, patterns []string) error {
	for _, p := range patterns {
		if err := CheckOne(what, p); err != nil {
			return err
		}
	}
	return nil
}

// Selected reports whether a table is selected by an include list (empty:
// every table) and an exclude list, which wins.
func Selected(include, exclude []string, database, schema, table string) bool {
	in := len(include) == 0
	for _, p := range include {
		in = in || Match(p, database, schema, table)
	}
	for _, p := range exclude {
		if Match(p, database, schema, table) {
			return false
		}
	}
	return in
}

// Match reports whether the table named by its database, schema and table
// name matches pattern p, case-insensitively, part by part; '*' and '?'
// never match the '.' between parts, and a schema.table pattern matches
// that table in any database. The names are compared as they are, never
// split: a table named a.b is matched by *.dbo.* and by db.dbo.a?b.
func Match(p string, database, schema, table string) bool {
	pp, np := strings.Split(strings.ToLower(p), "."), []string{strings.ToLower(database), strings.ToLower(schema), strings.ToLower(table)}
	if len(pp) == 2 {
		pp = append([]string{"*"}, pp...)
	}
	if len(pp) != 3 {
		return false
	}
	for i := range pp {
		if ok, _ := path.Match(pp[i], np[i]); !ok {
			return false
		}
	}
	return true
}
