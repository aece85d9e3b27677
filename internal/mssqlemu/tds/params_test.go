package tds

import (
	"context"
	"database/sql"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-sql/civil"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

func TestParamsRoundTripThroughSpExecuteSQL(t *testing.T) {
	b := newFake()
	_, addr := startServer(t, Config{}, b)
	db := openDB(t, addr, "encrypt=disable")
	ist := time.FixedZone("", 5*3600+30*60)
	guid := mssql.UniqueIdentifier{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF}
	long := strings.Repeat("ж", 4500)
	cases := []struct {
		name      string
		arg       any
		wantType  sqltypes.Type
		wantValue any
		back      any // what go-mssqldb scans back from the echoed column
	}{
		{"int64", int64(-7), sqltypes.Type{ID: sqltypes.BigInt}, int64(-7), int64(-7)},
		{"int32", int32(1 << 30), sqltypes.Type{ID: sqltypes.Int}, int64(1 << 30), int64(1 << 30)},
		{"int16", int16(-300), sqltypes.Type{ID: sqltypes.SmallInt}, int64(-300), int64(-300)},
		{"byte", byte(200), sqltypes.Type{ID: sqltypes.TinyInt}, int64(200), int64(200)},
		{"bool", true, sqltypes.Type{ID: sqltypes.Bit}, true, true},
		{"float64", 2.75, sqltypes.Type{ID: sqltypes.Float}, 2.75, 2.75},
		{"float32", float32(0.5), sqltypes.Type{ID: sqltypes.Real}, float32(0.5), 0.5},
		{"string", "héllo 😀", sqltypes.Type{ID: sqltypes.NVarChar, Length: 8, Collation: DefaultCollation()}, "héllo 😀", "héllo 😀"},
		{"long string", long, sqltypes.Type{ID: sqltypes.NVarChar, Length: sqltypes.Max, Collation: DefaultCollation()}, long, long},
		{"varchar", mssql.VarChar("abc"), sqltypes.Type{ID: sqltypes.VarChar, Length: 3, Collation: DefaultCollation()}, "abc", "abc"},
		{"varchar(max)", mssql.VarCharMax("abc"), sqltypes.Type{ID: sqltypes.VarChar, Length: sqltypes.Max, Collation: DefaultCollation()}, "abc", "abc"},
		{"nvarchar(max)", mssql.NVarCharMax("x"), sqltypes.Type{ID: sqltypes.NVarChar, Length: sqltypes.Max, Collation: DefaultCollation()}, "x", "x"},
		{"nchar", mssql.NChar("ab"), sqltypes.Type{ID: sqltypes.NChar, Length: 2, Collation: DefaultCollation()}, "ab", "ab"},
		{"bytes", []byte{1, 2, 3}, sqltypes.Type{ID: sqltypes.VarBinary, Length: 3}, []byte{1, 2, 3}, []byte{1, 2, 3}},
		{"long bytes", make([]byte, 9000), sqltypes.Type{ID: sqltypes.VarBinary, Length: sqltypes.Max}, make([]byte, 9000), make([]byte, 9000)},
		{"time.Time", time.Date(2024, 2, 29, 10, 0, 0, 100, ist),
			sqltypes.Type{ID: sqltypes.DateTimeOffset, Scale: 7},
			sqltypes.DateTimeOffsetValue{UTC: sqltypes.DateTime2Value{Date: days20240229, Time: sqltypes.TimeValue((4*3600+30*60)*10_000_000 + 1)}, OffsetMinutes: 330},
			time.Date(2024, 2, 29, 10, 0, 0, 100, ist)},
		{"datetime", mssql.DateTime1(time.Date(2024, 2, 29, 1, 0, 0, 500_000_000, time.UTC)),
			sqltypes.Type{ID: sqltypes.DateTime}, sqltypes.DateTimeValue{Days: days1900To20240229, Ticks: 300*3600 + 150},
			time.Date(2024, 2, 29, 1, 0, 0, 500_000_000, time.UTC)},
		{"civil.Date", civil.Date{Year: 2024, Month: 2, Day: 29}, sqltypes.Type{ID: sqltypes.Date}, sqltypes.DateValue(days20240229),
			time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"civil.DateTime", civil.DateTime{Date: civil.Date{Year: 2024, Month: 2, Day: 29}, Time: civil.Time{Hour: 1, Nanosecond: 700}},
			sqltypes.Type{ID: sqltypes.DateTime2, Scale: 7}, sqltypes.DateTime2Value{Date: days20240229, Time: 3600*10_000_000 + 7},
			time.Date(2024, 2, 29, 1, 0, 0, 700, time.UTC)},
		{"civil.Time", civil.Time{Hour: 23, Minute: 59, Second: 59, Nanosecond: 999_999_900},
			sqltypes.Type{ID: sqltypes.Time, Scale: 7}, sqltypes.TimeValue(864_000_000_000 - 1),
			time.Date(1, 1, 1, 23, 59, 59, 999_999_900, time.UTC)},
		{"guid", guid, sqltypes.Type{ID: sqltypes.UniqueIdentifier},
			sqltypes.GUID{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF},
			[]byte{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF}},
		{"empty string", "", sqltypes.Type{ID: sqltypes.NVarChar, Length: sqltypes.Max, Collation: DefaultCollation()}, "", ""},
		{"empty bytes", []byte{}, sqltypes.Type{ID: sqltypes.VarBinary, Length: sqltypes.Max}, []byte{}, []byte{}},
		{"nil", nil, sqltypes.Type{ID: sqltypes.NVarChar, Length: 1, Collation: DefaultCollation()}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var back any
			if err := db.QueryRowContext(context.Background(), "select @p1", tc.arg).Scan(&back); err != nil {
				t.Fatalf("query: %v", err)
			}
			call := b.lastCall()
			if call.ProcID != ProcExecuteSQL || len(call.Params) != 3 {
				t.Fatalf("call = proc %d with %d params, want sp_executesql with 3", call.ProcID, len(call.Params))
			}
			if stmt := call.Params[0].Value; stmt != "select @p1" {
				t.Errorf("statement = %q", stmt)
			}
			p := call.Params[2]
			if p.Name != "@p1" || p.Output {
				t.Errorf("param name %q output %v, want @p1 input", p.Name, p.Output)
			}
			if !reflect.DeepEqual(p.Type, tc.wantType) {
				t.Errorf("type = %+v, want %+v", p.Type, tc.wantType)
			}
			if !reflect.DeepEqual(p.Value, tc.wantValue) {
				t.Errorf("value = %#v, want %#v", p.Value, tc.wantValue)
			}
			if !sameValue(back, tc.back) {
				t.Errorf("scanned back %#v (%T), want %#v", back, back, tc.back)
			}
		})
	}
}

func TestOutputParameter(t *testing.T) {
	b := newFake()
	_, addr := startServer(t, Config{}, b)
	db := openDB(t, addr, "encrypt=disable")
	out := int64(41)
	var status mssql.ReturnStatus
	if _, err := db.ExecContext(context.Background(), "sp_echo", sql.Named("in", "x"), sql.Named("out", sql.Out{Dest: &out}), &status); err != nil {
		t.Fatalf("exec: %v", err)
	}
	if out != 41 {
		t.Fatalf("output = %d, want 41 (echoed)", out)
	}
	call := b.lastCall()
	if call.ProcName != "sp_echo" || len(call.Params) != 2 || !call.Params[1].Output || call.Params[1].Name != "@out" {
		t.Fatalf("call = %+v", call)
	}
}

// TestParamDecodingEveryType encodes one RPC parameter of every type the
// way a client does and checks the server decodes it to the same value.
func TestParamDecodingEveryType(t *testing.T) {
	cols, vals := typedColumns(), typedValues()
	for i, c := range cols {
		t.Run(c.Name, func(t *testing.T) {
			for _, v := range []any{vals[i], nil} {
				msg := rpcMessage(t, "p", Param{Name: "@x", Type: c.Type, Value: v})
				calls, err := parseRPC(msg, DefaultCollation())
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				got := calls[0].Params[0]
				want := v
				switch c.Type.ID {
				case sqltypes.Char:
					if v != nil {
						want = "ab   " // padded as stored
					}
				case sqltypes.Binary:
					if v != nil {
						want = []byte{1, 2, 0, 0}
					}
				case sqltypes.Timestamp:
					// rowversion parameters travel as binary(8)
				}
				if d, ok := want.(sqltypes.DecimalValue); ok {
					gd, _ := got.Value.(sqltypes.DecimalValue)
					if gd.Unscaled == nil || gd.Unscaled.Cmp(d.Unscaled) != 0 || gd.Scale != d.Scale {
						t.Fatalf("decimal = %+v, want %+v", got.Value, d)
					}
					continue
				}
				if f, ok := want.(float32); ok {
					if got.Value != f {
						t.Fatalf("real = %v, want %v", got.Value, f)
					}
					continue
				}
				if !reflect.DeepEqual(got.Value, want) {
					t.Fatalf("value = %#v, want %#v", got.Value, want)
				}
			}
		})
	}
}

// rpcMessage builds an RPC request for proc with params, as a client would.
func rpcMessage(t testing.TB, proc string, params ...Param) []byte {
	t.Helper()
	var w wbuf
	w.u32(22) // ALL_HEADERS with a transaction descriptor header
	w.u32(18)
	w.u16(2)
	w.u64(0)
	w.u32(1)
	w.usVarChar(proc)
	w.u16(0)
	for _, p := range params {
		w.bVarChar(p.Name)
		if p.Output {
			w.u8(1)
		} else {
			w.u8(0)
		}
		if err := writeTypeInfo(&w, p.Type, useRPCParam); err != nil {
			t.Fatal(err)
		}
		if p.Type.ID == sqltypes.Text || p.Type.ID == sqltypes.NText || p.Type.ID == sqltypes.Image {
			// RPC parameters carry text values as a 4-byte length and the data.
			if p.Value == nil {
				w.u32(0xFFFFFFFF)
				continue
			}
			var tmp wbuf
			if err := writeValue(&tmp, p.Type, p.Value); err != nil {
				t.Fatal(err)
			}
			w.raw(tmp.b[1+16+8:])
			continue
		}
		if err := writeValue(&w, p.Type, p.Value); err != nil {
			t.Fatal(err)
		}
	}
	return w.b
}

func TestRescaleRounds(t *testing.T) {
	cases := []struct {
		in   int64
		from uint8
		to   uint8
		want int64
	}{
		{12345, 2, 4, 1234500}, {12345, 2, 1, 1235}, {-12345, 2, 1, -1235}, {12344, 2, 1, 1234}, {5, 1, 0, 1},
	}
	for _, c := range cases {
		got := rescale(sqltypes.DecimalValue{Unscaled: big.NewInt(c.in), Scale: c.from}, c.to)
		if got.Int64() != c.want {
			t.Errorf("rescale(%d, %d→%d) = %s, want %d", c.in, c.from, c.to, got, c.want)
		}
	}
}
