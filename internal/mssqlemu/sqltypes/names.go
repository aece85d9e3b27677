package sqltypes

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// DefaultCollation is the server and database default collation:
// SQL_Latin1_General_CP1_CI_AS (LCID 1033, sort order 52, code page 1252).
var DefaultCollation = Collation{Name: "SQL_Latin1_General_CP1_CI_AS", LCID: 1033, SortID: 52, CodePage: 1252}

// LookupCollation returns the collation named name (case-insensitive): a
// SQL Latin1 collation, or a Windows collation — a designator, an optional
// version, and the sensitivity suffixes or _BIN/_BIN2
// (https://learn.microsoft.com/en-us/sql/t-sql/statements/windows-collation-name-transact-sql)
// — of the designators in windowsCollations. Any other name is refused so
// that callers can report Msg 448. Comparison rules beyond case
// sensitivity (accents, kana, width, the languages' sort orders) are not
// emulated; the code page, which decides what a varchar can hold, is.
func LookupCollation(name string) (Collation, bool) {
	n := strings.ToUpper(name)
	if strings.HasPrefix(n, "SQL_LATIN1_GENERAL_CP1_") {
		c := Collation{Name: name, LCID: 1033, CodePage: 1252, SortID: 52}
		if strings.Contains(n, "_CS_") {
			c.SortID = 51
		}
		for _, known := range []string{"SQL_Latin1_General_CP1_CI_AS", "SQL_Latin1_General_CP1_CS_AS"} {
			if strings.EqualFold(known, name) {
				c.Name = known
			}
		}
		return c, true
	}
	best := -1
	for i, w := range windowsCollations {
		d := strings.ToUpper(w.designator) + "_"
		if strings.HasPrefix(n, d) && (best < 0 || len(w.designator) > len(windowsCollations[best].designator)) {
			best = i
		}
	}
	if best < 0 {
		return Collation{}, false
	}
	w := windowsCollations[best]
	rest := n[len(w.designator):]
	for _, v := range []string{"_90", "_100", "_140", "_160"} {
		if strings.HasPrefix(rest, v+"_") {
			rest = rest[len(v):]
			break
		}
	}
	if !collationSuffix.MatchString(rest) {
		return Collation{}, false
	}
	c := Collation{Name: name, LCID: w.lcid, CodePage: w.codePage}
	if strings.HasSuffix(rest, "_UTF8") {
		c.CodePage = 65001
	}
	// Keep SQL Server's spelling of the known names.
	for _, known := range []string{"Latin1_General_CI_AS", "Latin1_General_CS_AS", "Latin1_General_BIN", "Latin1_General_BIN2",
		"Latin1_General_100_CI_AS_SC_UTF8", "Latin1_General_100_CI_AS"} {
		if strings.EqualFold(known, name) {
			c.Name = known
		}
	}
	return c, true
}

// collationSuffix is what follows a Windows collation's designator and
// version: _BIN, _BIN2, or case and accent sensitivity with the optional
// kana, width, variation-selector, supplementary-character and UTF-8 parts.
var collationSuffix = regexp.MustCompile(`^(_BIN2?|_C[IS]_A[IS](_KS)?(_WS)?(_VSS)?(_SC)?(_UTF8)?|_BIN2_UTF8)$`)

// windowsCollations are the Windows collation designators the emulator
// knows, with their locale and the code page of their non-Unicode data
// (sys.fn_helpcollations; COLLATIONPROPERTY(name, 'CodePage')).
var windowsCollations = []struct {
	designator string
	lcid       uint32
	codePage   int
}{
	{"Latin1_General", 0x0409, 1252}, {"French", 0x040c, 1252}, {"German_PhoneBook", 0x10407, 1252},
	{"Danish_Norwegian", 0x0406, 1252}, {"Norwegian", 0x0414, 1252}, {"Finnish_Swedish", 0x040b, 1252},
	{"Icelandic", 0x040f, 1252}, {"Modern_Spanish", 0x0c0a, 1252}, {"Traditional_Spanish", 0x040a, 1252},
	{"Mexican_Trad_Spanish", 0x080a, 1252}, {"Dutch", 0x0413, 1252}, {"Italian", 0x0410, 1252},
	{"Thai", 0x041e, 874},
	{"Japanese", 0x0411, 932}, {"Japanese_Bushu_Kakusu", 0x40411, 932}, {"Japanese_XJIS", 0x0411, 932},
	{"Chinese_PRC", 0x0804, 936}, {"Chinese_PRC_Stroke", 0x20804, 936}, {"Chinese_Simplified_Pinyin", 0x0804, 936},
	{"Chinese_Simplified_Stroke_Order", 0x20804, 936},
	{"Korean_Wansung", 0x0412, 949}, {"Korean", 0x0412, 949},
	{"Chinese_Taiwan_Stroke", 0x0404, 950}, {"Chinese_Taiwan_Bopomofo", 0x30404, 950}, {"Chinese_Hong_Kong_Stroke", 0x0c04, 950},
	{"Chinese_Traditional_Stroke_Count", 0x0404, 950}, {"Chinese_Traditional_Bopomofo", 0x30404, 950},
	{"Chinese_Traditional_Pinyin", 0x0404, 950}, {"Chinese_Traditional_Stroke_Order", 0x20404, 950},
	{"Polish", 0x0415, 1250}, {"Czech", 0x0405, 1250}, {"Hungarian", 0x040e, 1250}, {"Hungarian_Technical", 0x1040e, 1250},
	{"Romanian", 0x0418, 1250}, {"Croatian", 0x041a, 1250}, {"Slovak", 0x041b, 1250}, {"Slovenian", 0x0424, 1250},
	{"Albanian", 0x041c, 1250}, {"Bosnian_Latin", 0x141a, 1250}, {"Serbian_Latin", 0x081a, 1250},
	{"Cyrillic_General", 0x0419, 1251}, {"Ukrainian", 0x0422, 1251}, {"Macedonian_FYROM", 0x042f, 1251},
	{"Bosnian_Cyrillic", 0x201a, 1251}, {"Serbian_Cyrillic", 0x0c1a, 1251}, {"Kazakh", 0x043f, 1251}, {"Tatar", 0x0444, 1251},
	{"Azeri_Cyrillic", 0x082c, 1251},
	{"Greek", 0x0408, 1253},
	{"Turkish", 0x041f, 1254}, {"Azeri_Latin", 0x042c, 1254}, {"Uzbek_Latin", 0x0443, 1254},
	{"Hebrew", 0x040d, 1255},
	{"Arabic", 0x0401, 1256}, {"Urdu", 0x0420, 1256}, {"Persian", 0x0429, 1256},
	{"Estonian", 0x0425, 1257}, {"Latvian", 0x0426, 1257}, {"Lithuanian", 0x0427, 1257},
	{"Vietnamese", 0x042a, 1258},
}

// CaseSensitive reports whether the collation distinguishes case.
func (c Collation) CaseSensitive() bool {
	n := strings.ToUpper(c.Name)
	return strings.Contains(n, "_CS") || strings.Contains(n, "_BIN")
}

type typeInfo struct {
	name     string
	sysID    uint8 // sys.types.system_type_id
	fixedLen int16 // sys.columns.max_length for fixed-size types
	prec     uint8 // sys.columns.precision for fixed types
	rank     int   // data type precedence: higher wins
}

var typeTable = map[TypeID]typeInfo{
	Bit:              {"bit", 104, 1, 1, 12},
	TinyInt:          {"tinyint", 48, 1, 3, 13},
	SmallInt:         {"smallint", 52, 2, 5, 14},
	Int:              {"int", 56, 4, 10, 15},
	BigInt:           {"bigint", 127, 8, 19, 16},
	Decimal:          {"decimal", 106, 0, 0, 19},
	Numeric:          {"numeric", 108, 0, 0, 19},
	Money:            {"money", 60, 8, 19, 18},
	SmallMoney:       {"smallmoney", 122, 4, 10, 17},
	Float:            {"float", 62, 8, 53, 21},
	Real:             {"real", 59, 4, 24, 20},
	Char:             {"char", 175, 0, 0, 1},
	VarChar:          {"varchar", 167, 0, 0, 2},
	NChar:            {"nchar", 239, 0, 0, 3},
	NVarChar:         {"nvarchar", 231, 0, 0, 4},
	SysName:          {"sysname", 231, 256, 0, 4},
	Text:             {"text", 35, 16, 0, 9},
	NText:            {"ntext", 99, 16, 0, 10},
	Binary:           {"binary", 173, 0, 0, -2},
	VarBinary:        {"varbinary", 165, 0, 0, -1},
	Image:            {"image", 34, 16, 0, 8},
	UniqueIdentifier: {"uniqueidentifier", 36, 16, 0, 6},
	Date:             {"date", 40, 3, 10, 23},
	Time:             {"time", 41, 5, 16, 22},
	DateTime:         {"datetime", 61, 8, 23, 25},
	DateTime2:        {"datetime2", 42, 8, 27, 26},
	SmallDateTime:    {"smalldatetime", 58, 4, 16, 24},
	DateTimeOffset:   {"datetimeoffset", 43, 10, 34, 27},
	XML:              {"xml", 241, -1, 0, 28},
	Timestamp:        {"timestamp", 189, 8, 0, 7},
	HierarchyID:      {"hierarchyid", 240, 892, 0, 5},
	SQLVariant:       {"sql_variant", 98, 8016, 0, 29},
	Geometry:         {"geometry", 240, -1, 0, 5},
	Geography:        {"geography", 240, -1, 0, 5},
}

var typeByName = func() map[string]TypeID {
	m := make(map[string]TypeID, len(typeTable)+4)
	for id, ti := range typeTable {
		m[ti.name] = id
	}
	m["rowversion"] = Timestamp
	m["integer"] = Int
	m["dec"] = Decimal
	m["double precision"] = Float
	m["national character varying"] = NVarChar
	return m
}()

// Name is the type's T-SQL name without arguments ("nvarchar").
func (id TypeID) Name() string {
	if ti, ok := typeTable[id]; ok {
		return ti.name
	}
	return "unknown"
}

// String is the type as T-SQL spells it: nvarchar(10), decimal(18,2), varbinary(max).
func (t Type) String() string {
	name := t.ID.Name()
	switch t.ID {
	case Char, VarChar, NChar, NVarChar, Binary, VarBinary:
		if t.Length == Max {
			return name + "(max)"
		}
		return fmt.Sprintf("%s(%d)", name, t.Length)
	case Decimal, Numeric:
		return fmt.Sprintf("%s(%d,%d)", name, t.Precision, t.Scale)
	case Time, DateTime2, DateTimeOffset:
		return fmt.Sprintf("%s(%d)", name, t.Scale)
	}
	return name
}

// LookupTypeID finds a system type by its T-SQL name (case-insensitive).
func LookupTypeID(name string) (TypeID, bool) {
	id, ok := typeByName[strings.ToLower(strings.Join(strings.Fields(name), " "))]
	return id, ok
}

// MakeType builds a full type from a T-SQL name and its arguments as written
// (e.g. "decimal", ["10","2"]; "nvarchar", ["max"]). Missing arguments take
// SQL Server's defaults for declarations: char(1), decimal(18,0), datetime2(7).
func MakeType(name string, args []string) (Type, error) {
	id, ok := LookupTypeID(name)
	if !ok {
		return Type{}, fmt.Errorf("Column, parameter, or variable #0: Cannot find data type %s.", name)
	}
	t := Type{ID: id}
	argInt := func(i int) (int, bool, error) {
		if i >= len(args) {
			return 0, false, nil
		}
		if strings.EqualFold(args[i], "max") {
			return Max, true, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(args[i]))
		if err != nil {
			return 0, false, fmt.Errorf("type %s: bad argument %q", name, args[i])
		}
		return n, true, nil
	}
	switch id {
	case Char, VarChar, NChar, NVarChar, Binary, VarBinary:
		n, ok, err := argInt(0)
		if err != nil {
			return t, err
		}
		if !ok {
			n = 1
		}
		if n == Max && (id == Char || id == NChar || id == Binary) {
			return t, fmt.Errorf("Incorrect syntax near 'max'.")
		}
		limit := 8000
		if id == NChar || id == NVarChar {
			limit = 4000
		}
		if n != Max && (n < 1 || n > limit) {
			return t, fmt.Errorf("The size (%d) given to the type '%s' exceeds the maximum allowed for any data type (%d).", n, id.Name(), limit)
		}
		t.Length = n
		if id.IsCharacter() {
			t.Collation = DefaultCollation
		}
	case Decimal, Numeric:
		p, ok, err := argInt(0)
		if err != nil {
			return t, err
		}
		if !ok {
			p = 18
		}
		s, _, err := argInt(1)
		if err != nil {
			return t, err
		}
		if p < 1 || p > 38 {
			return t, fmt.Errorf("Column or parameter #0: Specified column precision %d is greater than the maximum precision of 38.", p)
		}
		if s < 0 || s > p {
			return t, fmt.Errorf("The scale (%d) for column or parameter #0 must be within the range 0 to %d.", s, p)
		}
		t.Precision, t.Scale = uint8(p), uint8(s)
	case Time, DateTime2, DateTimeOffset:
		s, ok, err := argInt(0)
		if err != nil {
			return t, err
		}
		if !ok {
			s = 7
		}
		if s < 0 || s > 7 {
			return t, fmt.Errorf("Specified scale %d is invalid.", s)
		}
		t.Scale = uint8(s)
	case Float:
		n, ok, err := argInt(0)
		if err != nil {
			return t, err
		}
		if ok && n <= 24 {
			t.ID = Real
		}
	case Text, NText:
		t.Collation = DefaultCollation
		t.Length = Max
	case SysName:
		t.Collation = DefaultCollation
		t.Length = 128
	case Image, XML, Geometry, Geography:
		t.Length = Max
	}
	return t, nil
}

// MustType is MakeType for names known to be valid (used by the catalog).
func MustType(name string, args ...string) Type {
	t, err := MakeType(name, args)
	if err != nil {
		return Type{ID: Unknown}
	}
	return t
}

// IsCharacter reports whether values of the type are strings.
func (id TypeID) IsCharacter() bool {
	switch id {
	case Char, VarChar, NChar, NVarChar, Text, NText, SysName:
		return true
	}
	return false
}

// IsUnicode reports whether the type stores UTF-16 (nchar, nvarchar, ntext).
func (id TypeID) IsUnicode() bool {
	return id == NChar || id == NVarChar || id == NText || id == SysName
}

// IsBinary reports whether values of the type are []byte.
func (id TypeID) IsBinary() bool {
	switch id {
	case Binary, VarBinary, Image, Timestamp, HierarchyID, SQLVariant, Geometry, Geography:
		return true
	}
	return false
}

// IsInteger reports whether the type is an exact integer (including bit).
func (id TypeID) IsInteger() bool {
	switch id {
	case Bit, TinyInt, SmallInt, Int, BigInt:
		return true
	}
	return false
}

// IsNumeric reports whether the type is any number type.
func (id TypeID) IsNumeric() bool {
	switch id {
	case Bit, TinyInt, SmallInt, Int, BigInt, Decimal, Numeric, Money, SmallMoney, Float, Real:
		return true
	}
	return false
}

// IsDateTime reports whether the type is a date or time type.
func (id TypeID) IsDateTime() bool {
	switch id {
	case Date, Time, DateTime, DateTime2, SmallDateTime, DateTimeOffset:
		return true
	}
	return false
}

// IsLOB reports the legacy large-object types text, ntext and image.
func (id TypeID) IsLOB() bool { return id == Text || id == NText || id == Image }

// SystemTypeID is sys.types.system_type_id (sys.columns.system_type_id).
func (t Type) SystemTypeID() uint8 { return typeTable[t.ID].sysID }

// UserTypeID is sys.columns.user_type_id: the system type id except for
// sysname (256), hierarchyid (128), geometry (129) and geography (130).
func (t Type) UserTypeID() int32 {
	switch t.ID {
	case SysName:
		return 256
	case HierarchyID:
		return 128
	case Geometry:
		return 129
	case Geography:
		return 130
	}
	return int32(t.SystemTypeID())
}

// MaxLength is sys.columns.max_length: bytes, -1 for (max) and xml,
// nvarchar(10) = 20.
func (t Type) MaxLength() int16 {
	switch t.ID {
	case Char, VarChar, Binary, VarBinary:
		if t.Length == Max {
			return -1
		}
		return int16(t.Length)
	case NChar, NVarChar:
		if t.Length == Max {
			return -1
		}
		return int16(t.Length * 2)
	case Decimal, Numeric:
		switch {
		case t.Precision <= 9:
			return 5
		case t.Precision <= 19:
			return 9
		case t.Precision <= 28:
			return 13
		}
		return 17
	case Time:
		return int16(timeBytes(t.Scale))
	case DateTime2:
		return int16(timeBytes(t.Scale) + 3)
	case DateTimeOffset:
		return int16(timeBytes(t.Scale) + 5)
	}
	return typeTable[t.ID].fixedLen
}

func timeBytes(scale uint8) int {
	switch {
	case scale <= 2:
		return 3
	case scale <= 4:
		return 4
	}
	return 5
}

// PrecisionScale are sys.columns.precision and scale.
func (t Type) PrecisionScale() (uint8, uint8) {
	switch t.ID {
	case Decimal, Numeric:
		return t.Precision, t.Scale
	case Money, SmallMoney:
		return typeTable[t.ID].prec, 4
	case Time:
		return 8 + addDot(t.Scale), t.Scale
	case DateTime2:
		return 19 + addDot(t.Scale), t.Scale
	case DateTimeOffset:
		return 26 + addDot(t.Scale), t.Scale
	case DateTime:
		return 23, 3
	}
	return typeTable[t.ID].prec, 0
}

func addDot(scale uint8) uint8 {
	if scale == 0 {
		return 0
	}
	return scale + 1
}

// Precedence is SQL Server's data type precedence rank: in an expression that
// mixes types, the operand of lower precedence converts to the higher.
func (id TypeID) Precedence() int { return typeTable[id].rank }

// Common type constructors used by the engine.
var (
	BitType       = Type{ID: Bit}
	IntType       = Type{ID: Int}
	BigIntType    = Type{ID: BigInt}
	SmallIntType  = Type{ID: SmallInt}
	TinyIntType   = Type{ID: TinyInt}
	FloatType     = Type{ID: Float}
	DateTimeType  = Type{ID: DateTime}
	GUIDType      = Type{ID: UniqueIdentifier}
	SysNameType   = Type{ID: SysName, Length: 128, Collation: DefaultCollation}
	LSNType       = Type{ID: Binary, Length: 10}
	DateType      = Type{ID: Date}
	DateTime2Type = Type{ID: DateTime2, Scale: 7}
)

// NVarCharType is nvarchar(n) in the default collation (n may be Max).
func NVarCharType(n int) Type {
	return Type{ID: NVarChar, Length: n, Collation: DefaultCollation}
}

// VarCharType is varchar(n) in the default collation (n may be Max).
func VarCharType(n int) Type { return Type{ID: VarChar, Length: n, Collation: DefaultCollation} }

// VarBinaryType is varbinary(n) (n may be Max).
func VarBinaryType(n int) Type { return Type{ID: VarBinary, Length: n} }

// DecimalType is decimal(p,s).
func DecimalType(p, s uint8) Type { return Type{ID: Decimal, Precision: p, Scale: s} }
