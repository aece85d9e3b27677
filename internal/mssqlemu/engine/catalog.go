package engine

import (
	"strings"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// Database is one database: its schemas, tables and CDC state.
type Database struct {
	ID        int32
	Name      string
	Collation sqltypes.Collation
	Created   time.Time

	AllowSnapshot     bool
	ReadCommittedSnap bool
	CDCEnabled        bool
	schemas           map[string]*Schema // by lower-case name
	tables            map[int32]*Table   // by object id
	nextObjectID      int32
	nextSchemaID      int32
	dbts              uint64                // @@DBTS: last rowversion handed out
	procs             map[string]*procedure // stored procedures by schema.name (procedures.go)
	users             map[string]*dbUser    // CREATE USER's users by lower-case name (security.go)
	cdc               *cdcState
}

// Schema is a database schema.
type Schema struct {
	ID   int32
	Name string
}

// Column is a table column.
type Column struct {
	ID          int32 // column_id, 1-based, never reused
	Name        string
	Type        sqltypes.Type
	Nullable    bool
	Identity    *tsql.IdentitySpec
	Default     tsql.Expr
	DefaultName string
	DefaultID   int32
	Computed    tsql.Expr
	// Fill is the value rows stored before the column was added read as.
	Fill any
}

// Index is a primary key or unique constraint.
type Index struct {
	ID        int32 // index_id: 1 for a clustered index
	ObjectID  int32 // the constraint's object id
	Name      string
	Columns   []int // ordinals into Table.Columns
	Desc      []bool
	Clustered bool
	Primary   bool
	Unique    bool
}

// Table is a user table or a CDC system table.
type Table struct {
	ID       int32
	Schema   *Schema
	Name     string
	Columns  []*Column
	Indexes  []*Index
	Created  time.Time
	Modified time.Time
	System   bool // is_ms_shipped (cdc tables)
	db       *Database

	chains   []*rowChain
	dead     int // chains holding only an old delete
	pkIndex  map[string]*rowChain
	order    *keyOrder       // the key seek's ordered view (seek.go), nil until a seek needs it
	keyLocks map[string]*txn // primary-key values reserved by writers (locks.go)
	shared   map[*txn]bool   // REPEATABLE READ and SERIALIZABLE readers (locks.go)
	identity int64
	idSeeded bool
	capture  []*captureInstance // at most two
	checks   []checkConstraint
}

// PK returns the primary key, or nil.
func (t *Table) PK() *Index {
	for _, ix := range t.Indexes {
		if ix.Primary {
			return ix
		}
	}
	return nil
}

// colIndex finds a column by name (case-insensitive), -1 when absent.
func (t *Table) colIndex(name string) int {
	for i, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
}

func (t *Table) identityCol() int {
	for i, c := range t.Columns {
		if c.Identity != nil {
			return i
		}
	}
	return -1
}

// QualifiedName is schema.table as error messages print it.
func (t *Table) QualifiedName() string { return t.Schema.Name + "." + t.Name }

func newDatabase(id int32, name string, now time.Time) *Database {
	d := &Database{
		ID: id, Name: name, Collation: sqltypes.DefaultCollation, Created: now,
		schemas:      map[string]*Schema{},
		tables:       map[int32]*Table{},
		nextObjectID: 245575913 + id*1000,
		nextSchemaID: 5,
	}
	for _, s := range []Schema{{1, "dbo"}, {2, "guest"}, {3, "INFORMATION_SCHEMA"}, {4, "sys"}} {
		sc := s
		d.schemas[strings.ToLower(s.Name)] = &sc
	}
	return d
}

func (d *Database) newObjectID() int32 {
	d.nextObjectID += 16000057 % 99991
	return d.nextObjectID
}

func (d *Database) schema(name string) *Schema {
	if name == "" {
		name = "dbo"
	}
	return d.schemas[strings.ToLower(name)]
}

func (d *Database) schemaByID(id int32) *Schema {
	for _, s := range d.schemas {
		if s.ID == id {
			return s
		}
	}
	return nil
}

func (d *Database) addSchema(name string) *Schema {
	s := &Schema{ID: d.nextSchemaID, Name: name}
	d.nextSchemaID++
	d.schemas[strings.ToLower(name)] = s
	return s
}

// table finds schema.name (schema "" means dbo).
func (d *Database) table(schema, name string) *Table {
	s := d.schema(schema)
	if s == nil {
		return nil
	}
	for _, t := range d.tables {
		if t.Schema == s && strings.EqualFold(t.Name, name) {
			return t
		}
	}
	return nil
}

// sortedTables lists tables by object id, for deterministic catalog output.
func (d *Database) sortedTables() []*Table {
	out := make([]*Table, 0, len(d.tables))
	for _, t := range d.tables {
		out = append(out, t)
	}
	sortTables(out)
	return out
}

func sortTables(ts []*Table) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].ID < ts[j-1].ID; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// objectByID finds any object: a table or a constraint, returning its name,
// schema and type code as sys.objects shows them.
type objectInfo struct {
	ID       int32
	Name     string
	Schema   *Schema
	Type     string // U, PK, UQ, D
	TypeDesc string
	Parent   int32
	Created  time.Time
	Modified time.Time
	Shipped  bool
}

func (d *Database) objects() []objectInfo {
	var out []objectInfo
	for _, t := range d.sortedTables() {
		out = append(out, objectInfo{t.ID, t.Name, t.Schema, "U", "USER_TABLE", 0, t.Created, t.Modified, t.System})
		for _, ix := range t.Indexes {
			typ, desc := "UQ", "UNIQUE_CONSTRAINT"
			if ix.Primary {
				typ, desc = "PK", "PRIMARY_KEY_CONSTRAINT"
			}
			out = append(out, objectInfo{ix.ObjectID, ix.Name, t.Schema, typ, desc, t.ID, t.Created, t.Created, t.System})
		}
		for _, ck := range t.checks {
			out = append(out, objectInfo{ck.id, ck.name, t.Schema, "C", "CHECK_CONSTRAINT", t.ID, t.Created, t.Created, t.System})
		}
		for _, c := range t.Columns {
			if c.DefaultID != 0 {
				out = append(out, objectInfo{c.DefaultID, c.DefaultName, t.Schema, "D", "DEFAULT_CONSTRAINT", t.ID, t.Created, t.Created, t.System})
			}
		}
	}
	for _, p := range d.sortedProcs() {
		out = append(out, objectInfo{p.id, p.name, p.schema, "P", "SQL_STORED_PROCEDURE", 0, p.created, p.modified, false})
	}
	return out
}
