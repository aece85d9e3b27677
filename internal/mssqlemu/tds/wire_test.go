package tds

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"testing"
)

// rawClient speaks just enough TDS (no TLS) to check the exact token
// stream the server sends.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	pw *packetWriter
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	c := &rawClient{t: t, nc: nc, pw: newPacketWriter(nc, 4096)}
	var pre wbuf // PRELOGIN: VERSION, ENCRYPTION = not supported
	pre.raw([]byte{0, 0, 11, 0, 6, 1, 0, 17, 0, 1, 0xFF, 16, 0, 0, 0, 0, 0, encryptNotSup})
	c.send(packetPrelogin, pre.b)
	if m := c.read(); m.typ != packetReply {
		t.Fatalf("prelogin reply type %d", m.typ)
	}
	c.send(packetLogin7, login7Record(testUser, testPass, "testdb", 4096))
	c.read()
	return c
}

func (c *rawClient) send(typ byte, b []byte) {
	c.pw.begin(typ)
	if _, err := c.pw.Write(b); err != nil {
		c.t.Fatal(err)
	}
	if err := c.pw.end(); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) read() message {
	m, err := readMessage(c.nc, c.nc, 1<<20)
	if err != nil {
		c.t.Fatalf("read reply: %v", err)
	}
	return m
}

// tokens renders a response as "NAME(status,cmd,count)" items; only the
// tokens and types these tests produce are understood.
func (c *rawClient) tokens(data []byte) string {
	r := &rbuf{b: data}
	var out []string
	for r.remaining() > 0 && r.err == nil {
		tok := r.u8()
		switch tok {
		case tokDone, tokDoneProc, tokDoneInProc:
			name := map[byte]string{tokDone: "DONE", tokDoneProc: "DONEPROC", tokDoneInProc: "DONEINPROC"}[tok]
			out = append(out, fmt.Sprintf("%s(%x,%x,%d)", name, r.u16(), r.u16(), r.u64()))
		case tokColMetadata:
			n := int(r.u16())
			for range n {
				r.u32()
				r.u16()
				if typ := r.u8(); typ != tIntN {
					c.t.Fatalf("raw client reads INTN columns only, got type %#x", typ)
				}
				r.u8()
				r.bVarChar()
			}
			out = append(out, fmt.Sprintf("COLMETADATA(%d)", n))
		case tokRow:
			r.bytes(int(r.u8()))
			out = append(out, "ROW")
		case tokReturnStatus:
			out = append(out, fmt.Sprintf("RETURNSTATUS(%d)", int32(r.u32())))
		case tokInfo, tokError, tokEnvChange, tokLoginAck:
			body := r.bytes(int(r.u16()))
			name := map[byte]string{tokInfo: "INFO", tokError: "ERROR", tokEnvChange: "ENVCHANGE", tokLoginAck: "LOGINACK"}[tok]
			if tok == tokInfo || tok == tokError {
				name += fmt.Sprintf("(%d)", binary.LittleEndian.Uint32(body))
			} else if tok == tokEnvChange {
				name += fmt.Sprintf("(%d)", body[0])
			}
			out = append(out, name)
		default:
			c.t.Fatalf("raw client: unexpected token %#x in % x", tok, data)
		}
	}
	if r.err != nil {
		c.t.Fatalf("raw client: %v", r.err)
	}
	return strings.Join(out, " ")
}

func batchMessage(sql string) []byte {
	var w wbuf
	w.u32(22)
	w.u32(18)
	w.u16(2)
	w.u64(0)
	w.u32(1)
	w.raw(encodeUTF16(sql))
	return w.b
}

func TestTokenStreams(t *testing.T) {
	_, addr := startServer(t, Config{}, newFake())
	c := dialRaw(t, addr)
	cases := []struct {
		name string
		typ  byte
		body []byte
		want string
	}{
		{"batch with results", packetSQLBatch, batchMessage("two now"),
			"COLMETADATA(1) ROW DONE(11,c1,1) COLMETADATA(1) ROW DONE(11,c1,1) INFO(0) DONE(10,0,3)"},
		{"batch error", packetSQLBatch, batchMessage("fail now"), "ERROR(208) DONE(2,0,0)"},
		{"empty batch", packetSQLBatch, batchMessage("   "), "DONE(0,0,0)"},
		{"rpc by name", packetRPC, rpcMessage(t, "two"),
			"COLMETADATA(1) ROW DONEINPROC(11,c1,1) COLMETADATA(1) ROW DONEINPROC(11,c1,1) INFO(0) DONEINPROC(11,0,3) RETURNSTATUS(0) DONEPROC(0,0,0)"},
		{"rpc error", packetRPC, rpcMessage(t, "fail"), "ERROR(208) DONEPROC(2,0,0)"},
		{"two rpcs", packetRPC, append(append(rpcMessage(t, "rows 1"), 0xFF), rpcMessage(t, "use x")[22:]...),
			"COLMETADATA(1) ROW DONEINPROC(11,c1,1) RETURNSTATUS(0) DONEPROC(1,0,0) ENVCHANGE(1) DONEINPROC(1,0,0) RETURNSTATUS(0) DONEPROC(0,0,0)"},
		{"begin", packetTransMgr, tmMessage(tmBegin, 5, false), "ENVCHANGE(8) DONE(0,0,0)"},
		{"commit and begin new", packetTransMgr, tmMessage(tmCommit, 2, true), "ENVCHANGE(9) ENVCHANGE(8) DONE(0,0,0)"},
		{"rollback", packetTransMgr, tmMessage(tmRollback, 0, false), "ENVCHANGE(10) DONE(0,0,0)"},
		{"rollback without transaction", packetTransMgr, tmMessage(tmRollback, 0, false), "ERROR(3903) DONE(2,0,0)"},
		{"attention while idle", packetAttention, nil, "DONE(20,0,0)"},
		{"unsupported packet", packetBulkLoad, []byte{1}, "ERROR(8009) DONE(2,0,0)"},
		{"malformed rpc", packetRPC, []byte{22, 0, 0, 0, 1}, "ERROR(8009) DONE(2,0,0)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.send(tc.typ, tc.body)
			if got := c.tokens(c.read().data); got != tc.want {
				t.Fatalf("tokens\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// tmMessage builds a transaction manager request.
func tmMessage(typ uint16, level IsolationLevel, beginNew bool) []byte {
	var w wbuf
	w.u32(22)
	w.u32(18)
	w.u16(2)
	w.u64(0)
	w.u32(1)
	w.u16(typ)
	if typ == tmBegin {
		w.u8(byte(level))
		w.bVarChar("")
		return w.b
	}
	w.bVarChar("")
	if beginNew {
		w.u8(tmFlagNew)
		w.u8(byte(level))
		w.bVarChar("")
	} else {
		w.u8(0)
	}
	return w.b
}
