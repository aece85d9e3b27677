package apply

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// TestCopyEncodingMatchesPgx: the hand-written COPY encoders write the
// bytes pgx writes for the same value after toPG, for every pair they
// cover, and leave the others to pgx.
func TestCopyEncodingMatchesPgx(t *testing.T) {
	m := pgtype.NewMap()
	col := func(typ string, scale int) *catalog.Column {
		return &catalog.Column{Name: "c", Type: typ, Scale: scale, Precision: 38, Nullable: true}
	}
	rat := func(s string) *big.Rat {
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("bad rational %q", s)
		}
		return r
	}
	when := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	tests := []struct {
		name string
		c    *catalog.Column
		oid  uint32
		v    any
		hand bool // the hand-written encoder takes it
	}{
		{"bigint", col("bigint", 0), pgtype.Int8OID, int64(math.MinInt64), true},
		{"int", col("int", 0), pgtype.Int4OID, int64(-2147483648), true},
		{"smallint", col("smallint", 0), pgtype.Int2OID, int64(32767), true},
		{"tinyint", col("tinyint", 0), pgtype.Int2OID, int64(255), true},
		{"int into a user's bigint", col("int", 0), pgtype.Int8OID, int64(7), true},
		{"bigint into a user's numeric", col("bigint", 0), pgtype.NumericOID, int64(7), false},
		{"int out of a user's smallint range", col("int", 0), pgtype.Int2OID, int64(40000), false},
		{"decimal", col("decimal", 2), pgtype.NumericOID, rat("12345.67"), true},
		{"decimal negative", col("decimal", 2), pgtype.NumericOID, rat("-0.05"), true},
		{"decimal zero", col("decimal", 4), pgtype.NumericOID, rat("0"), true},
		{"decimal whole", col("decimal", 0), pgtype.NumericOID, rat("10000"), true},
		{"decimal trailing zero digits", col("decimal", 6), pgtype.NumericOID, rat("100000000.5"), true},
		{"decimal scale 18", col("decimal", 18), pgtype.NumericOID, rat("0.000000000000000001"), true},
		{"decimal largest int64", col("decimal", 0), pgtype.NumericOID, rat("9223372036854775807"), true},
		{"decimal beyond 64 bits", col("decimal", 2), pgtype.NumericOID, rat("123456789012345678901234567.89"), false},
		{"decimal beyond 64 bits once aligned", col("decimal", 1), pgtype.NumericOID, rat("922337203685477580.7"), false},
		{"money", col("money", 0), pgtype.NumericOID, rat("-922337203685477.5808"), true},
		{"datetime2", col("datetime2", 7), pgtype.TimestampOID, when, true},
		{"datetime2 in another zone", col("datetime2", 7), pgtype.TimestampOID, when.In(time.FixedZone("x", 3600)), true},
		{"datetime2 before 2000", col("datetime2", 7), pgtype.TimestampOID, time.Date(1753, 1, 1, 0, 0, 0, 1000, time.UTC), true},
		{"date", col("date", 0), pgtype.DateOID, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"date after 2000", col("date", 0), pgtype.DateOID, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), true},
		{"datetimeoffset", col("datetimeoffset", 7), pgtype.TimestamptzOID, time.Date(2024, 1, 1, 1, 2, 3, 4500, time.FixedZone("y", -7*3600)), true},
		{"time", col("time", 7), pgtype.TimeOID, 23*time.Hour + 59*time.Minute + 999999*time.Microsecond, true},
		{"bit", col("bit", 0), pgtype.BoolOID, true, true},
		{"float", col("float", 0), pgtype.Float8OID, math.Inf(-1), true},
		{"real", col("real", 0), pgtype.Float4OID, float32(1.5), true},
		{"varbinary", col("varbinary", 0), pgtype.ByteaOID, []byte{0, 1, 2}, true},
		{"nvarchar", col("nvarchar", 0), pgtype.VarcharOID, "héllo", true},
		{"nchar", col("nchar", 0), pgtype.BPCharOID, "ab  ", true},
		{"ntext", col("ntext", 0), pgtype.TextOID, "", true},
		{"uniqueidentifier", col("uniqueidentifier", 0), pgtype.BPCharOID, "6F9619FF-8B86-D011-B42D-00C04FC964FF", true},
		{"xml", col("xml", 0), pgtype.XMLOID, "<a/>", false},
		{"nvarchar into a user's uuid", col("nvarchar", 0), pgtype.UUIDOID, "6f9619ff-8b86-d011-b42d-00c04fc964ff", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pv, err := toPG(*tt.c, tt.v, false)
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.Encode(tt.oid, pgtype.BinaryFormatCode, pv, nil)
			if err != nil && tt.hand {
				t.Fatalf("pgx: %v", err)
			}
			got, hand := appendSourceValue(nil, tt.oid, tt.c, tt.v)
			if hand != tt.hand {
				t.Fatalf("hand-written encoder took it: %v, want %v", hand, tt.hand)
			}
			if !hand {
				return
			}
			if len(got) < 4 || int(int32(uint32(got[0])<<24|uint32(got[1])<<16|uint32(got[2])<<8|uint32(got[3]))) != len(got)-4 {
				t.Fatalf("length prefix of % x is wrong", got)
			}
			if tt.oid == pgtype.NumericOID {
				// pgx keeps zero digits PostgreSQL drops on receipt: compare
				// the values and the display scale.
				var g, w pgtype.Numeric
				if err := m.Scan(tt.oid, pgtype.BinaryFormatCode, got[4:], &g); err != nil {
					t.Fatalf("pgx cannot read % x: %v", got[4:], err)
				}
				if err := m.Scan(tt.oid, pgtype.BinaryFormatCode, want, &w); err != nil {
					t.Fatal(err)
				}
				if numericRat(g).Cmp(numericRat(w)) != 0 || !bytes.Equal(got[10:12], want[6:8]) {
					t.Fatalf("encoded % x (%s), want %s as pgx's % x", got[4:], numericRat(g).RatString(), numericRat(w).RatString(), want)
				}
				return
			}
			if !bytes.Equal(got[4:], want) {
				t.Fatalf("encoded\n% x\nwant (pgx)\n% x", got[4:], want)
			}
		})
	}
}

func numericRat(n pgtype.Numeric) *big.Rat {
	r := new(big.Rat).SetInt(n.Int)
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(n.Exp, -n.Exp))), nil))
	if n.Exp < 0 {
		return r.Quo(r, p)
	}
	return r.Mul(r, p)
}

// TestAppendNumericRandom: random 64-bit unscaled values at every scale
// read back, through pgx's decoder, as the value written.
func TestAppendNumericRandom(t *testing.T) {
	m := pgtype.NewMap()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		q := int64(rng.Uint64()) >> rng.IntN(64)
		scale := rng.IntN(19)
		r := new(big.Rat).SetFrac(big.NewInt(q), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
		got, ok := appendNumeric(nil, r, scale)
		if !ok {
			continue // beyond 64 bits once aligned: pgx encodes it
		}
		var n pgtype.Numeric
		if err := m.Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, got[4:], &n); err != nil {
			t.Fatalf("%d: pgx cannot read %s at scale %d as % x: %v", i, r.RatString(), scale, got[4:], err)
		}
		if numericRat(n).Cmp(r) != 0 {
			t.Fatalf("%d: %s at scale %d reads back as %s", i, r.RatString(), scale, numericRat(n).RatString())
		}
	}
}

// TestColumnTypeChangeIsRetried: when someone changes a target column's
// type between two batches, the COPY written with the types read before
// fails; that is a transient error, not a bad record, and the batch applies
// on the next attempt with the new types.
func TestColumnTypeChangeIsRetried(t *testing.T) {
	ctx := context.Background()
	a, pool := newApplier(t)
	tbl := people()
	const topic = "p.db.dbo.People"
	mustApply(t, a, batch(topic, 0, ev(tbl, event.OpRead, 1, nil, row(int64(1), "ann", "a"))))
	if _, err := pool.Exec(ctx, `ALTER TABLE "dbo"."People" ALTER COLUMN "Id" TYPE bigint`); err != nil {
		t.Fatal(err)
	}
	next := batch(topic, 1, ev(tbl, event.OpCreate, 2, nil, row(int64(2), "bob", "b")))
	err := a.Apply(ctx, next)
	if err == nil {
		t.Fatal("the COPY with the old column types succeeded; the test no longer changes what it should")
	}
	if !errors.Is(err, ErrColumnTypesChanged) || !IsTransient(err) || IsPoison(err) {
		t.Fatalf("err = %v: want ErrColumnTypesChanged, transient, not poison", err)
	}
	mustApply(t, a, next)
	if got := dump(t, pool, `"dbo"."People"`, "Id", "Name"); got != "1|ann\n2|bob" {
		t.Errorf("got %q", got)
	}
}
