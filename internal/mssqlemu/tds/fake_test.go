package tds

import (
	"context"
	"errors"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// fakeBackend is a tiny Backend for protocol tests. Batches are commands:
//
//	types       one row holding a value of every type (typedColumns)
//	nulls       the same columns, all NULL
//	slow        blocks until the request is cancelled
//	fail        returns Msg 208
//	two         two result sets, then an update count
//	use <db>    changes the database
//	big <n>     one nvarchar(max) column of n characters
//	rows <n>    n rows of one int column
//
// An RPC echoes sp_executesql's value parameters as one row whose columns
// have the parameters' types, and sets output parameters to their input.
type fakeBackend struct {
	user, password string

	mu      sync.Mutex
	changed *sync.Cond // broadcast on every recorded event
	calls   []RPCCall
	levels  []IsolationLevel
	events  []string
	logins  []LoginRequest
}

func (b *fakeBackend) Login(_ context.Context, req LoginRequest) (Session, error) {
	b.mu.Lock()
	b.logins = append(b.logins, req)
	b.mu.Unlock()
	if req.User != b.user || req.Password != b.password {
		return nil, &Message{Number: 18456, State: 1, Class: 14, Text: "Login failed for user '" + req.User + "'."}
	}
	db := req.Database
	if db == "" {
		db = "master"
	}
	return &fakeSession{b: b, db: db}, nil
}

func (b *fakeBackend) record(ev string) {
	b.mu.Lock()
	b.events = append(b.events, ev)
	b.mu.Unlock()
	b.changed.Broadcast()
}

// waitFor blocks until ev has been recorded.
func (b *fakeBackend) waitFor(ev string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for !slices.Contains(b.events, ev) {
		b.changed.Wait()
	}
}

func (b *fakeBackend) lastCall() RPCCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.calls) == 0 {
		return RPCCall{}
	}
	return b.calls[len(b.calls)-1]
}

type fakeSession struct {
	b    *fakeBackend
	db   string
	tran uint64
	next uint64
}

func (s *fakeSession) Database() string { return s.db }

func (s *fakeSession) ExecBatch(ctx context.Context, sql string, w ResultWriter) error {
	f := strings.Fields(sql)
	if len(f) == 0 {
		return nil
	}
	switch strings.ToLower(f[0]) {
	case "types", "nulls":
		cols := typedColumns()
		if err := w.Columns(cols); err != nil {
			return err
		}
		vals := make([]any, len(cols))
		if f[0] == "types" {
			vals = typedValues()
		}
		if err := w.Row(vals); err != nil {
			return err
		}
		return w.Done(1, true)
	case "stream":
		// Rows until the request is cancelled.
		if err := w.Columns([]Column{{Name: "i", Type: sqltypes.Type{ID: sqltypes.Int}}}); err != nil {
			return err
		}
		for i := 0; ; i++ {
			if err := w.Row([]any{int64(i)}); err != nil {
				s.b.record("stream stopped")
				return err
			}
		}
	case "slow":
		s.b.record("slow started")
		<-ctx.Done()
		s.b.record("slow cancelled")
		return ctx.Err()
	case "fail":
		return &Message{Number: 208, State: 1, Class: 16, Text: "Invalid object name 'nope'.", Line: 1}
	case "two":
		for i := range 2 {
			if err := w.Columns([]Column{{Name: "n", Type: sqltypes.Type{ID: sqltypes.Int}}}); err != nil {
				return err
			}
			if err := w.Row([]any{int64(i + 1)}); err != nil {
				return err
			}
			if err := w.Done(1, true); err != nil {
				return err
			}
		}
		if err := w.Message(&Message{Number: 0, Class: 0, Text: "hello"}); err != nil {
			return err
		}
		return w.Done(3, true)
	case "varchar":
		// A varchar without collation: it takes the server's.
		if err := w.Columns([]Column{{Name: "s", Type: sqltypes.Type{ID: sqltypes.VarChar, Length: 20}}}); err != nil {
			return err
		}
		if err := w.Row([]any{strings.Join(f[1:], " ")}); err != nil {
			return err
		}
		return w.Done(1, true)
	case "use":
		old := s.db
		s.db = f[1]
		if err := w.DatabaseChanged(old, s.db); err != nil {
			return err
		}
		return w.Done(0, false)
	case "big":
		n := atoi(f[1])
		if err := w.Columns([]Column{{Name: "s", Type: sqltypes.Type{ID: sqltypes.NVarChar, Length: sqltypes.Max}}}); err != nil {
			return err
		}
		if err := w.Row([]any{strings.Repeat("é", n)}); err != nil {
			return err
		}
		return w.Done(1, true)
	case "rows":
		n := atoi(f[1])
		if err := w.Columns([]Column{{Name: "i", Type: sqltypes.Type{ID: sqltypes.Int}}}); err != nil {
			return err
		}
		for i := range n {
			if err := w.Row([]any{int64(i)}); err != nil {
				return err
			}
		}
		return w.Done(int64(n), true)
	}
	return w.Done(0, false)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func (s *fakeSession) ExecRPC(ctx context.Context, call RPCCall, w ResultWriter) error {
	s.b.mu.Lock()
	s.b.calls = append(s.b.calls, call)
	s.b.mu.Unlock()
	if call.ProcName != "" && len(call.Params) == 0 {
		// go-mssqldb sends a one-word query without arguments as a procedure call.
		return s.ExecBatch(ctx, call.ProcName, w)
	}
	params := call.Params
	if call.ProcID == ProcExecuteSQL {
		if len(params) < 1 {
			return &Message{Number: 201, State: 4, Class: 16, Text: "Procedure or function 'sp_executesql' expects parameter '@statement', which was not supplied."}
		}
		if stmt, _ := params[0].Value.(string); stmt == "fail" {
			return &Message{Number: 8134, State: 1, Class: 16, Text: "Divide by zero error encountered."}
		}
		params = params[min(2, len(params)):]
	}
	var cols []Column
	var vals []any
	for _, p := range params {
		if p.Output {
			if err := w.ReturnValue(p); err != nil {
				return err
			}
			continue
		}
		cols = append(cols, Column{Name: strings.TrimPrefix(p.Name, "@"), Type: p.Type, Nullable: true})
		vals = append(vals, p.Value)
	}
	if len(cols) > 0 {
		if err := w.Columns(cols); err != nil {
			return err
		}
		if err := w.Row(vals); err != nil {
			return err
		}
		return w.Done(1, true)
	}
	return w.Done(0, false)
}

func (s *fakeSession) Begin(_ context.Context, level IsolationLevel, w ResultWriter) error {
	s.b.mu.Lock()
	s.b.levels = append(s.b.levels, level)
	s.b.mu.Unlock()
	s.next++
	s.tran = s.next<<8 | 1
	return w.TransactionBegan(s.tran)
}

func (s *fakeSession) Commit(_ context.Context, w ResultWriter) error {
	if s.tran == 0 {
		return &Message{Number: 3902, State: 1, Class: 16, Text: "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION."}
	}
	s.b.record("commit")
	t := s.tran
	s.tran = 0
	return w.TransactionCommitted(t)
}

func (s *fakeSession) Rollback(_ context.Context, w ResultWriter) error {
	if s.tran == 0 {
		return &Message{Number: 3903, State: 1, Class: 16, Text: "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION."}
	}
	s.b.record("rollback")
	t := s.tran
	s.tran = 0
	return w.TransactionRolledBack(t)
}

func (s *fakeSession) Close() error { return nil }

// ResetSession implements SessionResetter.
func (s *fakeSession) ResetSession(_ context.Context, keepTransaction bool, _ ResultWriter) error {
	if keepTransaction {
		s.b.record("reset keep")
	} else {
		s.b.record("reset")
	}
	return nil
}

func dec(s string, scale uint8) sqltypes.DecimalValue {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad decimal literal " + s)
	}
	return sqltypes.DecimalValue{Unscaled: v, Scale: scale}
}

// typedColumns has one column per sqltypes type.
func typedColumns() []Column {
	cp1252 := DefaultCollation()
	t := func(name string, typ sqltypes.Type) Column { return Column{Name: name, Type: typ, Nullable: true} }
	return []Column{
		t("bit", sqltypes.Type{ID: sqltypes.Bit}),
		t("tinyint", sqltypes.Type{ID: sqltypes.TinyInt}),
		t("smallint", sqltypes.Type{ID: sqltypes.SmallInt}),
		t("int", sqltypes.Type{ID: sqltypes.Int}),
		t("bigint", sqltypes.Type{ID: sqltypes.BigInt}),
		t("decimal", sqltypes.Type{ID: sqltypes.Decimal, Precision: 38, Scale: 4}),
		t("numeric", sqltypes.Type{ID: sqltypes.Numeric, Precision: 9, Scale: 2}),
		t("money", sqltypes.Type{ID: sqltypes.Money}),
		t("smallmoney", sqltypes.Type{ID: sqltypes.SmallMoney}),
		t("float", sqltypes.Type{ID: sqltypes.Float}),
		t("real", sqltypes.Type{ID: sqltypes.Real}),
		t("char", sqltypes.Type{ID: sqltypes.Char, Length: 5, Collation: cp1252}),
		t("varchar", sqltypes.Type{ID: sqltypes.VarChar, Length: 20, Collation: cp1252}),
		t("varcharmax", sqltypes.Type{ID: sqltypes.VarChar, Length: sqltypes.Max, Collation: cp1252}),
		t("nchar", sqltypes.Type{ID: sqltypes.NChar, Length: 3}),
		t("nvarchar", sqltypes.Type{ID: sqltypes.NVarChar, Length: 20}),
		t("nvarcharmax", sqltypes.Type{ID: sqltypes.NVarChar, Length: sqltypes.Max}),
		t("text", sqltypes.Type{ID: sqltypes.Text, Collation: cp1252}),
		t("ntext", sqltypes.Type{ID: sqltypes.NText}),
		t("binary", sqltypes.Type{ID: sqltypes.Binary, Length: 4}),
		t("varbinary", sqltypes.Type{ID: sqltypes.VarBinary, Length: 10}),
		t("varbinarymax", sqltypes.Type{ID: sqltypes.VarBinary, Length: sqltypes.Max}),
		t("image", sqltypes.Type{ID: sqltypes.Image}),
		t("guid", sqltypes.Type{ID: sqltypes.UniqueIdentifier}),
		t("date", sqltypes.Type{ID: sqltypes.Date}),
		t("time", sqltypes.Type{ID: sqltypes.Time, Scale: 7}),
		t("datetime", sqltypes.Type{ID: sqltypes.DateTime}),
		t("datetime2", sqltypes.Type{ID: sqltypes.DateTime2, Scale: 3}),
		t("smalldatetime", sqltypes.Type{ID: sqltypes.SmallDateTime}),
		t("datetimeoffset", sqltypes.Type{ID: sqltypes.DateTimeOffset, Scale: 7}),
		t("xml", sqltypes.Type{ID: sqltypes.XML}),
		t("rowversion", sqltypes.Type{ID: sqltypes.Timestamp}),
		t("hierarchyid", sqltypes.Type{ID: sqltypes.HierarchyID}),
		t("variant", sqltypes.Type{ID: sqltypes.SQLVariant}),
		t("geometry", sqltypes.Type{ID: sqltypes.Geometry}),
		t("geography", sqltypes.Type{ID: sqltypes.Geography}),
		t("sysname", sqltypes.Type{ID: sqltypes.SysName}),
	}
}

// Days from 0001-01-01 to 2024-02-29, and from 1900-01-01.
const (
	days20240229       = 738944
	days1900To20240229 = 45349
)

func typedValues() []any {
	variant, err := EncodeVariant(sqltypes.Type{ID: sqltypes.Int}, int64(42))
	if err != nil {
		panic(err)
	}
	return []any{
		true, int64(255), int64(-32768), int64(-2147483648), int64(9223372036854775807),
		dec("-123456789012345678901234567890123456", 4), dec("1234567", 2),
		sqltypes.MoneyValue(-9223372036854775808), sqltypes.MoneyValue(-2147483648),
		3.5, float32(-1.25),
		"ab", "café €", strings.Repeat("x", 9000), "é😀", "naïve 😀", strings.Repeat("ü", 5000),
		"text ©", "ntext 😀", []byte{1, 2}, []byte{0xDE, 0xAD}, make([]byte, 9000), []byte{9, 8, 7},
		sqltypes.GUID{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF},
		sqltypes.DateValue(days20240229),
		sqltypes.TimeValue(((13*60+14)*60+15)*10_000_000 + 1234567),
		sqltypes.DateTimeValue{Days: days1900To20240229, Ticks: 300*3600 + 150}, // 01:00:00.500
		sqltypes.DateTime2Value{Date: days20240229, Time: sqltypes.TimeValue((23*3600+59*60+59)*10_000_000 + 1230000)},
		sqltypes.SmallDateTimeValue{Days: days1900To20240229, Minutes: 61},
		sqltypes.DateTimeOffsetValue{UTC: sqltypes.DateTime2Value{Date: days20240229, Time: sqltypes.TimeValue(22 * 3600 * 10_000_000)}, OffsetMinutes: 120},
		sqltypes.XMLValue("<a>😀</a>"),
		[]byte{0, 0, 0, 0, 0, 0, 0x07, 0xD1},
		[]byte{0x58},
		variant,
		[]byte{0, 0, 0, 0, 1, 4},
		[]byte{0xE6, 0x10, 0, 0, 1, 0x0C},
		"sys_name",
	}
}

// startServer runs a Server with b on 127.0.0.1 and returns its address.
func startServer(t *testing.T, cfg Config, b Backend) (*Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := NewServer(cfg, b)
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return s, l.Addr().String()
}
