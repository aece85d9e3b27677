package tds

import (
	"fmt"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// Well-known procedure ids of RPC requests (MS-TDS 2.2.6.6).
const (
	ProcCursor          uint16 = 1
	ProcCursorOpen      uint16 = 2
	ProcCursorPrepare   uint16 = 3
	ProcCursorExecute   uint16 = 4
	ProcCursorPrepExec  uint16 = 5
	ProcCursorUnprepare uint16 = 6
	ProcCursorFetch     uint16 = 7
	ProcCursorOption    uint16 = 8
	ProcCursorClose     uint16 = 9
	ProcExecuteSQL      uint16 = 10
	ProcPrepare         uint16 = 11
	ProcExecute         uint16 = 12
	ProcPrepExec        uint16 = 13
	ProcPrepExecRPC     uint16 = 14
	ProcUnprepare       uint16 = 15
)

// ProcName returns the name of a well-known procedure id, "" if unknown.
func ProcName(id uint16) string {
	names := [...]string{"", "sp_cursor", "sp_cursoropen", "sp_cursorprepare", "sp_cursorexecute",
		"sp_cursorprepexec", "sp_cursorunprepare", "sp_cursorfetch", "sp_cursoroption", "sp_cursorclose",
		"sp_executesql", "sp_prepare", "sp_execute", "sp_prepexec", "sp_prepexecrpc", "sp_unprepare"}
	if int(id) < len(names) {
		return names[id]
	}
	return ""
}

// RPC parameter status flags.
const (
	paramByRef      = 0x01
	paramDefault    = 0x02
	paramEncrypted  = 0x08
	rpcBatchFlag    = 0xFF
	rpcNoExecFlag   = 0xFE
	allHeadersTrans = 2
)

// allHeaders is what ALL_HEADERS carried.
type allHeaders struct {
	TransactionDescriptor uint64
	OutstandingRequests   uint32
}

// readAllHeaders reads ALL_HEADERS (TDS 7.2+) at the start of a request.
func readAllHeaders(r *rbuf) (allHeaders, error) {
	var h allHeaders
	start := r.off
	total := int(r.u32())
	if r.err != nil {
		return h, fmt.Errorf("ALL_HEADERS: %w", r.err)
	}
	if total < 4 || total > len(r.b)-start {
		return h, fmt.Errorf("ALL_HEADERS: total length %d does not fit the %d-byte request", total, len(r.b)-start)
	}
	end := start + total
	for r.off < end && r.err == nil {
		hstart := r.off
		n := int(r.u32())
		typ := r.u16()
		if n < 6 || hstart+n > end {
			return h, fmt.Errorf("ALL_HEADERS: header of type %d has length %d", typ, n)
		}
		if typ == allHeadersTrans && n >= 18 {
			h.TransactionDescriptor = r.u64()
			h.OutstandingRequests = r.u32()
		}
		r.off = hstart + n
	}
	if r.err != nil {
		return h, fmt.Errorf("ALL_HEADERS: %w", r.err)
	}
	r.off = end
	return h, nil
}

// parseRPC decodes an RPC request: ALL_HEADERS then one or more calls
// separated by batch flags. def is the collation assumed for parameters
// sent with a zero collation.
func parseRPC(data []byte, def sqltypes.Collation) ([]RPCCall, error) {
	r := &rbuf{b: data}
	if _, err := readAllHeaders(r); err != nil {
		return nil, fmt.Errorf("rpc: %w", err)
	}
	var calls []RPCCall
	for r.remaining() > 0 {
		call, err := parseRPCCall(r, def)
		if err != nil {
			return nil, fmt.Errorf("rpc call %d: %w", len(calls)+1, err)
		}
		calls = append(calls, call)
		if r.remaining() > 0 {
			flag := r.u8()
			if flag != rpcBatchFlag && flag != rpcNoExecFlag {
				return nil, fmt.Errorf("rpc call %d: unexpected byte %#x after the parameters", len(calls), flag)
			}
		}
	}
	if len(calls) == 0 {
		return nil, fmt.Errorf("rpc: request holds no call")
	}
	return calls, nil
}

func parseRPCCall(r *rbuf, def sqltypes.Collation) (RPCCall, error) {
	var c RPCCall
	n := r.u16()
	if n == 0xFFFF {
		c.ProcID = r.u16()
	} else {
		c.ProcName = decodeUTF16(r.bytes(2 * int(n)))
	}
	r.u16() // option flags: recompile, no metadata
	if r.err != nil {
		return c, r.err
	}
	if c.ProcName == "" && c.ProcID == 0 {
		return c, fmt.Errorf("call has neither a procedure name nor an id")
	}
	for r.remaining() > 0 {
		if b := r.b[r.off]; b == rpcBatchFlag || b == rpcNoExecFlag {
			break
		}
		p, err := parseParam(r, def)
		if err != nil {
			return c, fmt.Errorf("parameter %d: %w", len(c.Params)+1, err)
		}
		c.Params = append(c.Params, p)
	}
	return c, nil
}

func parseParam(r *rbuf, def sqltypes.Collation) (Param, error) {
	var p Param
	p.Name = r.bVarChar()
	status := r.u8()
	if r.err != nil {
		return p, r.err
	}
	if status&paramEncrypted != 0 {
		return p, fmt.Errorf("%s: Always Encrypted parameters are not supported", p.Name)
	}
	p.Output = status&paramByRef != 0
	wt, err := readTypeInfo(r, def)
	if err != nil {
		return p, fmt.Errorf("%s: %w", p.Name, err)
	}
	p.Type = wt.t
	if p.Value, err = readParamValue(r, wt); err != nil {
		return p, fmt.Errorf("%s: %w", p.Name, err)
	}
	return p, nil
}

// Transaction manager request types (MS-TDS 2.2.6.9).
const (
	tmBegin    = 5
	tmCommit   = 7
	tmRollback = 8
	tmSave     = 9
	tmFlagNew  = 0x01 // commit/rollback: begin a new transaction afterwards
)

// tmRequest is a decoded transaction manager request.
type tmRequest struct {
	Type     uint16
	Level    IsolationLevel // for begin, or for the new transaction
	Name     string
	BeginNew bool
}

func parseTransMgr(data []byte) (tmRequest, error) {
	r := &rbuf{b: data}
	var q tmRequest
	if _, err := readAllHeaders(r); err != nil {
		return q, fmt.Errorf("transaction manager request: %w", err)
	}
	q.Type = r.u16()
	switch q.Type {
	case tmBegin:
		q.Level = IsolationLevel(r.u8())
		q.Name = r.bVarChar()
	case tmCommit, tmRollback:
		q.Name = r.bVarChar()
		if r.remaining() > 0 {
			flags := r.u8()
			if flags&tmFlagNew != 0 {
				q.BeginNew = true
				q.Level = IsolationLevel(r.u8())
				r.bVarChar() // name of the new transaction
			}
		}
	case tmSave:
		q.Name = r.bVarChar()
	}
	if r.err != nil {
		return q, fmt.Errorf("transaction manager request type %d: %w", q.Type, r.err)
	}
	if q.Level > IsolationSnapshot {
		return q, fmt.Errorf("transaction manager request: isolation level %d is not defined", q.Level)
	}
	return q, nil
}
