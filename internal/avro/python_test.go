package avro

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/catalog"
	"github.com/mssql2adb/mssql2adb/internal/event"
)

// pythonReader decodes an Avro value with Apache Avro's Python library, an
// implementation independent of ours, and prints it as JSON with every
// value as text.
const pythonReader = `
import sys, json, io, hashlib, decimal, datetime, uuid, warnings
warnings.simplefilter("ignore")
import avro.schema, avro.io
schema = avro.schema.parse(open(sys.argv[1]).read())
body = open(sys.argv[2], "rb").read()
dec = avro.io.BinaryDecoder(io.BytesIO(body))
rec = avro.io.DatumReader(schema).read(dec)
if dec.reader.read(1) != b"":
    raise SystemExit("bytes left after the record")
def conv(v):
    if v is None: return None
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, int): return str(v)
    if isinstance(v, float): return repr(v)
    if isinstance(v, decimal.Decimal): return format(v, "f")
    if isinstance(v, bytes): return ("sha256:" + hashlib.sha256(v).hexdigest()) if len(v) > 64 else v.hex()
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)): return v.isoformat()
    if isinstance(v, uuid.UUID): return str(v).upper()
    if isinstance(v, list): return [conv(x) for x in v]
    return str(v)
row = lambda r: None if r is None else {k: conv(x) for k, x in r.items()}
json.dump({"op": rec["op"], "ts_ms": conv(rec["ts_ms"]), "source": row(rec["source"]),
           "before": row(rec["before"]), "after": row(rec["after"]), "unchanged": conv(rec["unchanged"])}, sys.stdout)
`

type pythonRecord struct {
	Op        string             `json:"op"`
	TsMs      *string            `json:"ts_ms"`
	Source    map[string]*string `json:"source"`
	Before    map[string]*string `json:"before"`
	After     map[string]*string `json:"after"`
	Unchanged []string           `json:"unchanged"`
}

func TestPythonAvroReadsOurRecords(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import avro").Run(); err != nil {
		t.Skipf("Apache Avro for Python is not installed (apt-get install python3-avro): %v", err)
	}
	ctx := context.Background()
	_, cl, _ := newRegistry(t)
	tbl := allTypesTable()
	names, err := fieldNames(tbl)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ValueSchema(testPrefix, tbl)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	schemaPath := filepath.Join(dir, "value.avsc")
	if err := os.WriteFile(schemaPath, []byte(vs), 0o644); err != nil {
		t.Fatal(err)
	}
	c := NewCodec(cl, testPrefix)
	for _, tc := range allTypesCases() {
		t.Run(tc.name, func(t *testing.T) {
			after := append(event.Row{}, tc.in...)
			want := append(event.Row{}, tc.want...)
			after[tbl.ColumnIndex("ntxt")] = event.Unchanged
			want[tbl.ColumnIndex("ntxt")] = nil
			e := &event.Event{Table: tbl, Op: event.OpUpdate, Before: tc.in, After: after, Source: testSource(), TsMs: 42}
			_, value, err := c.Encode(ctx, testTopic, e)
			if err != nil {
				t.Fatal(err)
			}
			bodyPath := filepath.Join(dir, "value.bin")
			if err := os.WriteFile(bodyPath, value[5:], 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.CommandContext(ctx, python, "-c", pythonReader, schemaPath, bodyPath).Output()
			if err != nil {
				var stderr string
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = string(ee.Stderr)
				}
				t.Fatalf("python: %v\n%s", err, stderr)
			}
			var rec pythonRecord
			if err := json.Unmarshal(out, &rec); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if rec.Op != "u" || rec.TsMs == nil || *rec.TsMs != "42" {
				t.Errorf("op %q ts_ms %v", rec.Op, rec.TsMs)
			}
			if s := rec.Source; s["change_lsn"] == nil || *s["change_lsn"] != "0000002a:000001a8:0003" || *s["snapshot"] != "false" || *s["db"] != "Sales-DB" {
				t.Errorf("source %v", s)
			}
			if len(rec.Unchanged) != 1 || rec.Unchanged[0] != "ntxt" {
				t.Errorf("unchanged %v", rec.Unchanged)
			}
			for i, col := range tbl.Columns {
				got := rec.After[names[i]]
				exp := pythonText(col, want[i])
				switch {
				case got == nil && exp == nil:
				case got == nil || exp == nil:
					t.Errorf("column %s: python read %v, want %v", col.Name, deref2(got), deref2(exp))
				case !samePythonText(col, *got, *exp):
					t.Errorf("column %s: python read %q, want %q", col.Name, *got, *exp)
				}
			}
		})
	}
}

func deref2(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// samePythonText compares floats by value (Python's repr and Go's
// shortest formatting may differ in spelling), the rest as text.
func samePythonText(col catalog.Column, got, want string) bool {
	if col.Type == "float" || col.Type == "real" {
		g, err1 := strconv.ParseFloat(got, 64)
		w, err2 := strconv.ParseFloat(want, 64)
		return err1 == nil && err2 == nil && math.Float64bits(g) == math.Float64bits(w)
	}
	return got == want
}

// pythonText is how the Python reader should print v, computed without
// this package's encoder.
func pythonText(col catalog.Column, v any) *string {
	if v == nil {
		return nil
	}
	var s string
	switch x := v.(type) {
	case bool:
		s = strconv.FormatBool(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case *big.Rat:
		scale := col.Scale
		if col.Type == "money" || col.Type == "smallmoney" {
			scale = 4
		}
		s = x.FloatString(scale)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(x), 'g', -1, 64)
	case string:
		s = x
	case []byte:
		if len(x) > 64 {
			sum := sha256.Sum256(x)
			s = "sha256:" + hex.EncodeToString(sum[:])
		} else {
			s = hex.EncodeToString(x)
		}
	case time.Duration:
		us := x / time.Microsecond
		s = fmt.Sprintf("%02d:%02d:%02d", us/3_600_000_000, us/60_000_000%60, us/1_000_000%60)
		if us%1_000_000 != 0 {
			s += fmt.Sprintf(".%06d", us%1_000_000)
		}
	case time.Time:
		switch col.Type {
		case "date":
			s = x.Format("2006-01-02")
		case "datetimeoffset":
			layout := "2006-01-02T15:04:05-07:00"
			if col.Scale > 0 {
				layout = "2006-01-02T15:04:05." + strings.Repeat("0", col.Scale) + "-07:00"
			}
			s = x.Format(layout)
		default: // local-timestamp-micros: Python 1.11 reads the plain long
			s = strconv.FormatInt(x.UnixMicro(), 10)
		}
	default:
		s = fmt.Sprintf("%v", v)
	}
	return &s
}
