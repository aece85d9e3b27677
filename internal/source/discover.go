package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/lsn"
)

// Warning is something Discover left out or chose that the operator should
// know, such as a column whose type is not synchronized.
type Warning struct {
	Table   string // schema.table
	Column  string // empty when the warning is about the table
	Message string
}

func (w Warning) String() string { return w.Message }

// Types that DTS does not synchronize (besides every CLR user-defined type).
var unsyncedTypes = map[string]bool{
	"timestamp": true, "rowversion": true, "hierarchyid": true, "sql_variant": true,
	"geometry": true, "geography": true,
}

// Types the reader converts; anything else is refused with a warning.
var syncedTypes = map[string]bool{
	"bit": true, "tinyint": true, "smallint": true, "int": true, "bigint": true,
	"decimal": true, "numeric": true, "money": true, "smallmoney": true, "float": true, "real": true,
	"char": true, "varchar": true, "nchar": true, "nvarchar": true, "text": true, "ntext": true, "xml": true,
	"binary": true, "varbinary": true, "image": true, "uniqueidentifier": true,
	"date": true, "time": true, "datetime": true, "datetime2": true, "smalldatetime": true, "datetimeoffset": true,
}

// captureInstance is one row of cdc.change_tables.
type captureInstance struct {
	ObjectID       int64 // the change table
	SourceObjectID int64
	Name           string
	StartLSN       lsn.LSN
	Created        time.Time
	// How it was created, for a second instance made like it.
	NetChanges             bool
	Role, Index, Filegroup sql.NullString
}

type sysType struct {
	ID, SystemID       int64
	Name               string
	UserDefined, IsCLR bool
}

type sysTable struct {
	ObjectID, SchemaID int64
	Schema, Name       string
	Tracked            bool
}

// Discover reads the catalog of cfg.Database and describes the tables to
// synchronize: every CDC-enabled table, or those cfg.Tables names, that
// cfg.Select picks. It fails
// with an error that says what to run when CDC is off for the database or an
// included table, and when a table has no primary key. Columns whose type is
// not synchronized, or that the capture instance does not capture, are left
// out with a Warning each. The tables are sorted by schema and name.
func Discover(ctx context.Context, db *sql.DB, cfg Config) ([]*catalog.Table, []Warning, error) {
	if err := cfg.validate(); err != nil {
		return nil, nil, err
	}
	dbName, _, err := checkDatabase(ctx, db, cfg.Database)
	if err != nil {
		return nil, nil, err
	}
	tables, err := readTables(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	instances, err := readCaptureInstances(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	types, err := readTypes(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	var warnings []Warning
	newest := map[int64]captureInstance{}
	all := map[int64][]string{}
	for _, ci := range instances {
		all[ci.SourceObjectID] = append(all[ci.SourceObjectID], ci.Name)
		cur, ok := newest[ci.SourceObjectID]
		if !ok || ci.Created.After(cur.Created) || (ci.Created.Equal(cur.Created) && ci.StartLSN.Compare(cur.StartLSN) > 0) {
			newest[ci.SourceObjectID] = ci
		}
	}

	var selected []sysTable
	if len(cfg.Tables) == 0 {
		for id := range newest {
			t, ok := tables[id]
			if !ok {
				return nil, nil, fmt.Errorf("database %s: capture instance %s belongs to object %d, which sys.tables does not list", dbName, newest[id].Name, id)
			}
			if cfg.Select == nil || cfg.Select(t.Schema, t.Name) {
				selected = append(selected, t)
			}
		}
		if len(selected) == 0 && len(newest) > 0 {
			return nil, nil, fmt.Errorf("database %s: none of its %d tables enabled for change data capture is selected by INCLUDE_TABLES and EXCLUDE_TABLES: check the patterns (schema.table, * and ? allowed)",
				dbName, len(newest))
		}
		if len(selected) == 0 {
			return nil, nil, fmt.Errorf("database %s has change data capture enabled but no table is captured: enable it per table with %s",
				dbName, enableTableCommand("dbo", "<table>"))
		}
	} else {
		seen := map[int64]bool{}
		for _, name := range cfg.Tables {
			schema, table, _ := splitName(name)
			t, ok := findTable(tables, schema, table)
			if !ok {
				return nil, nil, fmt.Errorf("table %s.%s not found in database %s: check the include list", schema, table, dbName)
			}
			if _, ok := newest[t.ObjectID]; !ok {
				return nil, nil, fmt.Errorf("table %s.%s in database %s is not enabled for change data capture: run %s",
					t.Schema, t.Name, dbName, enableTableCommand(t.Schema, t.Name))
			}
			if !seen[t.ObjectID] && (cfg.Select == nil || cfg.Select(t.Schema, t.Name)) {
				seen[t.ObjectID] = true
				selected = append(selected, t)
			}
		}
		if len(selected) == 0 {
			return nil, nil, fmt.Errorf("database %s: every table of TABLES is left out by INCLUDE_TABLES or EXCLUDE_TABLES: check the patterns", dbName)
		}
	}
	sort.Slice(selected, func(i, j int) bool {
		if selected[i].Schema != selected[j].Schema {
			return selected[i].Schema < selected[j].Schema
		}
		return selected[i].Name < selected[j].Name
	})

	out := make([]*catalog.Table, 0, len(selected))
	for _, st := range selected {
		ci := newest[st.ObjectID]
		if names := all[st.ObjectID]; len(names) > 1 {
			sort.Strings(names)
			warnings = append(warnings, Warning{Table: st.Schema + "." + st.Name, Message: fmt.Sprintf(
				"table %s.%s has %d capture instances (%s); reading the newest, %s",
				st.Schema, st.Name, len(names), strings.Join(names, ", "), ci.Name)})
		}
		t, w, err := describeTable(ctx, db, dbName, st, ci, types)
		if err != nil {
			return nil, nil, err
		}
		warnings = append(warnings, w...)
		out = append(out, t)
	}
	return out, warnings, nil
}

// checkDatabase resolves the database name and checks that CDC is on. It
// returns whether SNAPSHOT isolation is allowed.
func checkDatabase(ctx context.Context, db *sql.DB, name string) (string, bool, error) {
	var current string
	if err := db.QueryRowContext(ctx, qCurrentDatabase).Scan(&current); err != nil {
		return "", false, fmt.Errorf("read the current database name: %w", err)
	}
	if name == "" {
		name = current
	} else if !strings.EqualFold(name, current) {
		// Catalog views and CDC functions read the connection's database.
		return "", false, fmt.Errorf("the connection is to database %s but the source database is %s: set database=%s in the DSN", current, name, name)
	}
	var (
		got        string
		cdcEnabled bool
		siState    int64
	)
	err := db.QueryRowContext(ctx, qDatabase, name).Scan(&got, &cdcEnabled, &siState)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, fmt.Errorf("database %s not found in sys.databases: check the database in the DSN", name)
	}
	if err != nil {
		return "", false, fmt.Errorf("read sys.databases for %s: %w", name, err)
	}
	if !cdcEnabled {
		return "", false, fmt.Errorf("database %s does not have change data capture enabled: a sysadmin must run %s, then enable each table with sys.sp_cdc_enable_table",
			got, enableDBCommand(got))
	}
	return got, siState == 1, nil
}

func readTables(ctx context.Context, db *sql.DB) (map[int64]sysTable, error) {
	schemas := map[int64]string{}
	rows, err := db.QueryContext(ctx, qSchemas)
	if err != nil {
		return nil, fmt.Errorf("read sys.schemas: %w", err)
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read sys.schemas: %w", err)
		}
		schemas[id] = name
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read sys.schemas: %w", err)
	}
	tables := map[int64]sysTable{}
	rows, err = db.QueryContext(ctx, qTables)
	if err != nil {
		return nil, fmt.Errorf("read sys.tables: %w", err)
	}
	for rows.Next() {
		var t sysTable
		if err := rows.Scan(&t.ObjectID, &t.SchemaID, &t.Name, &t.Tracked); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read sys.tables: %w", err)
		}
		t.Schema = schemas[t.SchemaID]
		tables[t.ObjectID] = t
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read sys.tables: %w", err)
	}
	return tables, nil
}

func readCaptureInstances(ctx context.Context, db *sql.DB) ([]captureInstance, error) {
	rows, err := db.QueryContext(ctx, qChangeTables)
	if err != nil {
		return nil, fmt.Errorf("read cdc.change_tables: %w", err)
	}
	var out []captureInstance
	for rows.Next() {
		var ci captureInstance
		var start []byte
		var net sql.NullBool
		if err := rows.Scan(&ci.ObjectID, &ci.SourceObjectID, &ci.Name, &start, &ci.Created, &net, &ci.Role, &ci.Index, &ci.Filegroup); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read cdc.change_tables: %w", err)
		}
		ci.NetChanges = net.Bool
		if len(start) > 0 {
			if ci.StartLSN, err = lsn.FromBytes(start); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read cdc.change_tables: capture instance %s start_lsn: %w", ci.Name, err)
			}
		}
		out = append(out, ci)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read cdc.change_tables: %w", err)
	}
	return out, nil
}

func readTypes(ctx context.Context, db *sql.DB) (map[int64]sysType, error) {
	rows, err := db.QueryContext(ctx, qTypes)
	if err != nil {
		return nil, fmt.Errorf("read sys.types: %w", err)
	}
	types := map[int64]sysType{}
	for rows.Next() {
		var t sysType
		if err := rows.Scan(&t.ID, &t.SystemID, &t.Name, &t.UserDefined, &t.IsCLR); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read sys.types: %w", err)
		}
		t.Name = strings.ToLower(t.Name)
		types[t.ID] = t
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read sys.types: %w", err)
	}
	return types, nil
}

// capturedColumns maps a capture instance's column names (lower case) to
// their ordinal in __$update_mask.
func capturedColumns(ctx context.Context, db *sql.DB, ci captureInstance) (map[string]int, error) {
	read := func(id int64) (map[string]int, error) {
		rows, err := db.QueryContext(ctx, qCapturedColumns, id)
		if err != nil {
			return nil, fmt.Errorf("read cdc.captured_columns of capture instance %s: %w", ci.Name, err)
		}
		m := map[string]int{}
		for rows.Next() {
			var obj, colID, ord int64
			var name string
			if err := rows.Scan(&obj, &name, &colID, &ord); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read cdc.captured_columns of capture instance %s: %w", ci.Name, err)
			}
			m[strings.ToLower(name)] = int(ord)
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("read cdc.captured_columns of capture instance %s: %w", ci.Name, err)
		}
		return m, nil
	}
	// SQL Server keys cdc.captured_columns by the change table's object_id
	// (its documentation says "source table"); accept either.
	m, err := read(ci.ObjectID)
	if err != nil || len(m) > 0 {
		return m, err
	}
	return read(ci.SourceObjectID)
}

func describeTable(ctx context.Context, db *sql.DB, dbName string, st sysTable, ci captureInstance, types map[int64]sysType) (*catalog.Table, []Warning, error) {
	captured, err := capturedColumns(ctx, db, ci)
	if err != nil {
		return nil, nil, err
	}
	return describe(ctx, db, dbName, st, ci, captured, types)
}

// describe is describeTable with the capture instance's columns read
// already; nil captured means every column the table has now.
func describe(ctx context.Context, db *sql.DB, dbName string, st sysTable, ci captureInstance, captured map[string]int, types map[int64]sysType) (*catalog.Table, []Warning, error) {
	qual := st.Schema + "." + st.Name
	t := &catalog.Table{Database: dbName, Schema: st.Schema, Name: st.Name, CaptureInstance: ci.Name}
	var warnings []Warning
	byID := map[int64]string{}
	rows, err := db.QueryContext(ctx, qColumns, st.ObjectID)
	if err != nil {
		return nil, nil, fmt.Errorf("read sys.columns of %s: %w", qual, err)
	}
	for rows.Next() {
		var (
			id, typeID, maxLen, prec, scale int64
			name                            string
			nullable, identity, computed    bool
			collation                       sql.NullString
		)
		if err := rows.Scan(&id, &name, &typeID, &maxLen, &prec, &scale, &nullable, &collation, &identity, &computed); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("read sys.columns of %s: %w", qual, err)
		}
		byID[id] = name
		warn := func(msg string) {
			warnings = append(warnings, Warning{Table: qual, Column: name, Message: msg})
		}
		typ, known := resolveType(types, typeID)
		switch {
		case !known:
			warn(fmt.Sprintf("column %s.%s has a type (user_type_id %d) not in sys.types; it is not synchronized", qual, name, typeID))
			continue
		case unsyncedTypes[typ.Name] || typ.IsCLR:
			warn(fmt.Sprintf("column %s.%s of type %s is not synchronized", qual, name, typ.Name))
			continue
		case !syncedTypes[typ.Name]:
			warn(fmt.Sprintf("column %s.%s of type %s is not synchronized", qual, name, typ.Name))
			continue
		case computed:
			warn(fmt.Sprintf("column %s.%s is computed; change data capture records it as NULL, so it is not synchronized", qual, name))
			continue
		}
		if _, ok := captured[strings.ToLower(name)]; !ok && captured != nil {
			warn(fmt.Sprintf("column %s.%s is not captured by capture instance %s; it is not synchronized", qual, name, ci.Name))
			continue
		}
		t.Columns = append(t.Columns, makeColumn(name, int(id), typ.Name, maxLen, prec, scale, nullable, collation.String, identity))
	}
	if err := closeRows(rows); err != nil {
		return nil, nil, fmt.Errorf("read sys.columns of %s: %w", qual, err)
	}
	pk, err := primaryKey(ctx, db, st, byID)
	if err != nil {
		return nil, nil, err
	}
	if len(pk) == 0 {
		return nil, nil, fmt.Errorf("table %s.%s has no primary key and cannot be synchronized (as DTS requires): add one with ALTER TABLE %s.%s ADD PRIMARY KEY (...), or leave the table out of the include list",
			dbName, qual, quoteName(st.Schema), quoteName(st.Name))
	}
	t.PrimaryKey = pk
	if _, err := t.KeyIndexes(); err != nil {
		return nil, nil, fmt.Errorf("%w: a primary-key column must be captured and of a synchronized type", err)
	}
	return t, warnings, nil
}

// resolveType returns the system type of a column's user_type_id: alias
// types resolve to their base type, sysname to nvarchar.
func resolveType(types map[int64]sysType, id int64) (sysType, bool) {
	t, ok := types[id]
	if !ok {
		return t, false
	}
	if t.UserDefined && !t.IsCLR {
		base, ok := types[t.SystemID]
		if !ok {
			return t, false
		}
		t = base
	}
	if t.Name == "sysname" {
		t.Name = "nvarchar"
	}
	return t, true
}

func makeColumn(name string, id int, typ string, maxLen, prec, scale int64, nullable bool, collation string, identity bool) catalog.Column {
	c := catalog.Column{Name: name, Ordinal: id, Type: typ, Nullable: nullable, Identity: identity}
	switch typ {
	case "char", "varchar", "binary", "varbinary":
		c.Length = int(maxLen)
	case "nchar", "nvarchar":
		c.Length = int(maxLen) / 2
	case "decimal", "numeric":
		c.Precision, c.Scale = int(prec), int(scale)
	case "time", "datetime2", "datetimeoffset":
		c.Scale = int(scale)
	}
	if maxLen == -1 {
		c.Length = catalog.MaxLength
	}
	switch typ {
	case "char", "varchar", "nchar", "nvarchar", "text", "ntext":
		c.Collation = collation
	}
	return c
}

func primaryKey(ctx context.Context, db *sql.DB, st sysTable, byID map[int64]string) ([]string, error) {
	qual := st.Schema + "." + st.Name
	rows, err := db.QueryContext(ctx, qIndexes, st.ObjectID)
	if err != nil {
		return nil, fmt.Errorf("read the primary key of %s from sys.indexes: %w", qual, err)
	}
	var indexID int64
	for rows.Next() {
		var id int64
		var name sql.NullString
		var isPK bool
		if err := rows.Scan(&id, &name, &isPK); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the primary key of %s from sys.indexes: %w", qual, err)
		}
		if isPK {
			indexID = id
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read the primary key of %s from sys.indexes: %w", qual, err)
	}
	if indexID == 0 {
		return nil, nil
	}
	rows, err = db.QueryContext(ctx, qIndexColumns, st.ObjectID, indexID)
	if err != nil {
		return nil, fmt.Errorf("read the primary key of %s from sys.index_columns: %w", qual, err)
	}
	var pk []string
	for rows.Next() {
		var colID, ord int64
		if err := rows.Scan(&colID, &ord); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the primary key of %s: %w", qual, err)
		}
		name, ok := byID[colID]
		if !ok {
			rows.Close()
			return nil, fmt.Errorf("primary key of %s names column_id %d, which sys.columns does not list", qual, colID)
		}
		pk = append(pk, name)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read the primary key of %s: %w", qual, err)
	}
	return pk, nil
}

// splitName splits "schema.table"; a bare name is in dbo. Either part may
// be bracketed as QUOTENAME writes it, so that names holding dots or
// brackets can be given: [sales.eu].[a.b], dbo.[x]]y].
func splitName(s string) (string, string, error) {
	var parts []string
	rest := strings.TrimSpace(s)
	for {
		var part string
		if strings.HasPrefix(rest, "[") {
			var b strings.Builder
			i, closed := 1, false
			for i < len(rest) {
				if rest[i] == ']' {
					if i+1 < len(rest) && rest[i+1] == ']' {
						b.WriteByte(']')
						i += 2
						continue
					}
					closed = true
					i++
					break
				}
				b.WriteByte(rest[i])
				i++
			}
			if !closed {
				return "", "", fmt.Errorf("table name %q: a [ is not closed by ]", s)
			}
			part, rest = b.String(), strings.TrimSpace(rest[i:])
		} else {
			j := strings.IndexByte(rest, '.')
			if j < 0 {
				j = len(rest)
			}
			part, rest = strings.TrimSpace(rest[:j]), rest[j:]
		}
		parts = append(parts, part)
		if rest == "" {
			break
		}
		if rest[0] != '.' || len(parts) == 2 {
			return "", "", fmt.Errorf("table name %q: want schema.table, bracketed as [schema].[table] when a name holds a dot", s)
		}
		rest = strings.TrimSpace(rest[1:])
	}
	schema, table := "dbo", parts[0]
	if len(parts) == 2 {
		schema, table = parts[0], parts[1]
	}
	if schema == "" || table == "" {
		return "", "", fmt.Errorf("table name %q: want schema.table", s)
	}
	return schema, table, nil
}

func findTable(tables map[int64]sysTable, schema, name string) (sysTable, bool) {
	// An exact match wins: a case-sensitive database may hold dbo.T and dbo.t.
	var found sysTable
	ok := false
	for _, t := range tables {
		if t.Schema == schema && t.Name == name {
			return t, true
		}
		if strings.EqualFold(t.Schema, schema) && strings.EqualFold(t.Name, name) {
			found, ok = t, true
		}
	}
	return found, ok
}

// closeRows closes rows and returns the iteration's error, if any.
func closeRows(rows *sql.Rows) error {
	return errors.Join(rows.Err(), rows.Close())
}
