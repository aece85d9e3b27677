package avro

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"

	havro "github.com/hamba/avro/v2"

	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/schemas"
)

// zigzag is a long in Avro's variable-length zig-zag encoding.
func zigzag(v int64) []byte { return binary.AppendUvarint(nil, uint64(v<<1)^uint64(v>>63)) }

// TestCorruptLengthIsBoundedError: a record whose length or count prefix
// claims a terabyte is refused as malformed, naming hamba's limit where
// hamba reads the field (unchanged) and the record's end where the codec
// reads it by hand (op), without allocating what the prefix claims.
func TestCorruptLengthIsBoundedError(t *testing.T) {
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	c := NewCodec(cl, testPrefix)
	tbl := allTypesTable()
	row := append(event.Row{}, allTypesCases()[1].in...)
	row[tbl.ColumnIndex("vmax")] = event.Unchanged
	key, value, err := c.Encode(ctx, testTopic, &event.Event{Table: tbl, Op: event.OpUpdate, Before: row, After: row, Source: testSource()})
	if err != nil {
		t.Fatal(err)
	}
	// The envelope ends with op "u", ts_ms, transaction null and unchanged
	// ["vmax"]: union branch 1, a block of 1 item, the name, the end block.
	tail := append(append([]byte{2, 2}, zigzag(4)...), "vmax\x00"...)
	if !bytes.HasSuffix(value, tail) {
		t.Fatalf("the encoded value does not end with unchanged [vmax]: % x", value[len(value)-16:])
	}
	head := value[:len(value)-len(tail)]
	op := bytes.LastIndex(head, []byte{2, 'u', 2})
	if op < 0 {
		t.Fatalf("op u not found in % x", head)
	}
	huge := zigzag(1 << 40)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name, limit string
		value       []byte
	}{
		{"unchanged count", "MaxSliceAllocSize", cat(head, []byte{2}, huge, zigzag(4), []byte("vmax\x00"))},
		{"unchanged name length", "MaxByteSliceSize", cat(head, []byte{2, 2}, huge, []byte("vmax\x00"))},
		{"op length", "runs past the end", cat(head[:op], huge, head[op+1:], tail)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := c.Decode(ctx, testTopic, key, tt.value)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.limit) {
				t.Fatalf("err = %v, want ErrMalformed naming %s", err, tt.limit)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Fatalf("decoding allocated %d MiB", grew>>20)
			}
		})
	}
}

// TestSourceEncoderMatchesSchemaFile: encodeSource writes the source block
// field by field in schemas/source.avsc's order, for speed. hamba, reading
// what it wrote with the schema file, must find every value in the field
// of its name: a field added, moved, renamed or retyped in the file and
// not in the encoder fails here.
func TestSourceEncoderMatchesSchemaFile(t *testing.T) {
	schema, err := havro.ParseWithCache(schemas.Source, "", &havro.SchemaCache{})
	if err != nil {
		t.Fatal(err)
	}
	type source struct {
		Version       string  `avro:"version"`
		Connector     string  `avro:"connector"`
		Name          string  `avro:"name"`
		TsMs          int64   `avro:"ts_ms"`
		Snapshot      *string `avro:"snapshot"`
		Db            string  `avro:"db"`
		Sequence      *string `avro:"sequence"`
		Schema        string  `avro:"schema"`
		Table         string  `avro:"table"`
		ChangeLSN     *string `avro:"change_lsn"`
		CommitLSN     *string `avro:"commit_lsn"`
		EventSerialNo *int64  `avro:"event_serial_no"`
		Incarnation   *string `avro:"db_incarnation"`
	}
	if got, want := len(schema.(*havro.RecordSchema).Fields()), reflect.TypeFor[source]().NumField(); got != want {
		t.Fatalf("schemas/source.avsc has %d fields, this test and encodeSource know %d", got, want)
	}
	str := func(s string) *string { return &s }
	full := testSource()
	tests := []struct {
		name string
		in   event.Source
		want source
	}{
		{"every field set", full, source{Version: "1.0.0", Connector: "sqlserver", Name: testPrefix, TsMs: 1700000000123,
			Snapshot: str("false"), Db: "Sales-DB", Schema: "dbo", Table: "AllTypes", ChangeLSN: str(full.ChangeLSN.String()),
			CommitLSN: str(full.CommitLSN.String()), EventSerialNo: &full.EventSerialNo, Incarnation: str(full.Incarnation)}},
		{"optional fields empty", event.Source{Version: "1", Connector: "sqlserver", Name: "p", Db: "d", Schema: "s", Table: "t", Snapshot: "last"},
			source{Version: "1", Connector: "sqlserver", Name: "p", Snapshot: str("last"), Db: "d", Schema: "s", Table: "t", EventSerialNo: new(int64)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w writer
			encodeSource(&w, &tt.in)
			var got source
			if err := havro.Unmarshal(schema, w.b, &got); err != nil {
				t.Fatalf("hamba cannot read encodeSource's bytes with schemas/source.avsc: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("hamba read %+v, want %+v", got, tt.want)
			}
		})
	}
}
