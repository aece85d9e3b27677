package tds

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// login7Record builds a LOGIN7 record as clients send it.
func login7Record(user, password, database string, packetSize uint32) []byte {
	obfuscate := func(b []byte) []byte {
		out := make([]byte, len(b))
		for i, c := range b {
			c = c<<4 | c>>4
			out[i] = c ^ 0xA5
		}
		return out
	}
	strs := [][]byte{
		encodeUTF16("host"), encodeUTF16(user), obfuscate(encodeUTF16(password)), encodeUTF16("app"),
		encodeUTF16("server"), nil, encodeUTF16("lib"), nil, encodeUTF16(database),
	}
	var w wbuf
	w.u32(0) // length, patched below
	w.b = append(w.b, 0x74, 0, 0, 4)
	w.u32(packetSize)
	w.u32(7)
	w.u32(1234)
	w.u32(0)
	w.u8(0xE0)
	w.u8(0x03)
	w.u8(0)
	w.u8(0)
	w.u32(0)
	w.u32(0x0409)
	off := login7FixedLen
	for _, s := range strs {
		w.u16(uint16(off))
		w.u16(uint16(len(s) / 2))
		off += len(s)
	}
	w.raw(make([]byte, 6)) // client id
	for range 3 {          // SSPI, attach db file, change password
		w.u16(uint16(off))
		w.u16(0)
	}
	w.u32(0)
	for _, s := range strs {
		w.raw(s)
	}
	binary.LittleEndian.PutUint32(w.b, uint32(len(w.b)))
	return w.b
}

func TestParseLogin7(t *testing.T) {
	rec := login7Record("user", "p@ss wörd 😀", "db1", 8192)
	l, err := parseLogin7(rec)
	if err != nil {
		t.Fatal(err)
	}
	if l.UserName != "user" || l.Password != "p@ss wörd 😀" || l.Database != "db1" || l.HostName != "host" ||
		l.AppName != "app" || l.ServerName != "server" || l.CltIntName != "lib" || l.PacketSize != 8192 || l.TDSVersion != tdsVersion74 {
		t.Fatalf("parsed %+v", l)
	}
	for _, n := range []int{0, 10, login7FixedLen - 1, len(rec) - 1} {
		if _, err := parseLogin7(rec[:n]); err == nil {
			t.Errorf("truncated record of %d bytes parsed without error", n)
		}
	}
}

func TestNegotiatedPacketSize(t *testing.T) {
	for _, c := range []struct {
		in   uint32
		want int
	}{{0, 4096}, {100, 512}, {4096, 4096}, {16000, 16000}, {100000, 32767}} {
		if got := negotiatedPacketSize(c.in); got != c.want {
			t.Errorf("negotiatedPacketSize(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestPacketWriterSplits(t *testing.T) {
	var out bytes.Buffer
	pw := newPacketWriter(&out, 512)
	pw.begin(packetReply)
	payload := bytes.Repeat([]byte{7}, 504*2) // exactly two full packets
	if _, err := pw.Write(payload); err != nil {
		t.Fatal(err)
	}
	if err := pw.end(); err != nil {
		t.Fatal(err)
	}
	b := out.Bytes()
	if len(b) != 1024 {
		t.Fatalf("wrote %d bytes, want 2 packets of 512 (no empty trailing packet)", len(b))
	}
	if b[1] != 0 || b[513] != statusEOM || b[6] != 1 || b[512+6] != 2 {
		t.Fatalf("status/sequence bytes %d %d %d %d", b[1], b[513], b[6], b[518])
	}
	m, err := readMessage(&out, &out, 1<<20)
	if err != nil || m.typ != packetReply || !bytes.Equal(m.data, payload) {
		t.Fatalf("read back: %v, type %d, %d bytes", err, m.typ, len(m.data))
	}
}

func TestPreloginRoundTrip(t *testing.T) {
	resp := buildPreloginResponse(encryptOn, false)
	opts, err := parsePrelogin(resp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(opts[preloginEncryption], []byte{encryptOn}) || len(opts[preloginVersion]) != 6 || opts[preloginVersion][0] != 16 {
		t.Fatalf("options %v", opts)
	}
	for _, bad := range [][]byte{nil, {0x00, 0, 5}, {0x01, 0, 50, 0, 1, 0xFF}} {
		if _, err := parsePrelogin(bad); err == nil {
			t.Errorf("parsePrelogin(%x) accepted malformed input", bad)
		}
	}
}

func TestNegotiateEncryption(t *testing.T) {
	cases := []struct {
		client byte
		force  bool
		want   byte
	}{
		{encryptOff, false, encryptOff}, {encryptOn, false, encryptOn}, {encryptNotSup, false, encryptNotSup},
		{encryptReq, false, encryptOn}, {encryptOff, true, encryptReq}, {encryptNotSup, true, encryptReq},
	}
	for _, c := range cases {
		if got := negotiateEncryption(c.client, c.force); got != c.want {
			t.Errorf("negotiateEncryption(%d, %v) = %d, want %d", c.client, c.force, got, c.want)
		}
	}
}

func TestCollationBytes(t *testing.T) {
	got := collationBytes(DefaultCollation())
	if want := [5]byte{0x09, 0x04, 0xD0, 0x00, 0x34}; got != want {
		t.Fatalf("SQL_Latin1_General_CP1_CI_AS = % x, want % x", got, want)
	}
	got = collationBytes(sqltypes.Collation{Name: "Latin1_General_100_CI_AS_SC_UTF8", LCID: 0x0409})
	if want := [5]byte{0x09, 0x04, 0xD0, 0x14, 0x00}; got != want {
		t.Fatalf("Latin1_General_100_CI_AS_SC_UTF8 = % x, want % x", got, want)
	}
	if cp := codePageFor(0x00D00411, 0); cp != 932 {
		t.Fatalf("Japanese code page %d", cp)
	}
}

func TestEncodeCodePageReplacesUnmappable(t *testing.T) {
	b, err := encodeCodePage("a€😀", 1252)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, []byte{'a', 0x80, '?'}) {
		t.Fatalf("got % x", b)
	}
}

func TestVariantRoundTrip(t *testing.T) {
	cols, vals := typedColumns(), typedValues()
	for i, c := range cols {
		b, err := EncodeVariant(c.Type, vals[i])
		if err != nil {
			continue // not a variant base type
		}
		typ, v, err := DecodeVariant(b, DefaultCollation())
		if err != nil {
			t.Errorf("%s: decode: %v", c.Name, err)
			continue
		}
		var w1, w2 wbuf
		_ = writeValue(&w1, c.Type, vals[i])
		if err := writeValue(&w2, typ, v); err != nil || !bytes.Equal(w1.b, w2.b) {
			t.Errorf("%s: round trip gave %s %#v", c.Name, typeName(typ), v)
		}
	}
	if _, err := EncodeVariant(sqltypes.Type{ID: sqltypes.XML}, sqltypes.XMLValue("<a/>")); err == nil {
		t.Error("xml accepted as a variant base type")
	}
}

func FuzzParseLogin7(f *testing.F) {
	f.Add(login7Record("sa", "pw", "master", 4096))
	f.Add(login7Record("", "", "", 0))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseLogin7(b)
	})
}

func FuzzParseRPC(f *testing.F) {
	t := f
	cols, vals := typedColumns(), typedValues()
	// Small seeds: the fuzzer mutates large inputs very slowly.
	for i, c := range cols {
		v := vals[i]
		switch x := v.(type) {
		case string:
			v = x[:min(len(x), 8)]
		case []byte:
			v = x[:min(len(x), 8)]
		}
		f.Add(rpcMessage(t, "p", Param{Name: "@" + c.Name, Type: c.Type, Value: v}))
	}
	f.Add(rpcMessage(t, "p", Param{Name: "@x", Type: sqltypes.Type{ID: sqltypes.NVarChar, Length: sqltypes.Max}, Value: "x"}))
	f.Add([]byte{4, 0, 0, 0, 0xFF, 0xFF, 10, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = parseRPC(b, DefaultCollation())
			_, _ = parseTransMgr(b)
			_, _ = parsePrelogin(b)
			_, _, _ = DecodeVariant(b, DefaultCollation())
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("HANG on %x", b)
		}
	})
}
