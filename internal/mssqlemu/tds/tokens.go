package tds

import (
	"fmt"
	"strconv"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
)

// Token types (MS-TDS 2.2.7).
const (
	tokReturnStatus byte = 0x79
	tokColMetadata  byte = 0x81
	tokError        byte = 0xAA
	tokInfo         byte = 0xAB
	tokReturnValue  byte = 0xAC
	tokLoginAck     byte = 0xAD
	tokRow          byte = 0xD1
	tokNBCRow       byte = 0xD2
	tokEnvChange    byte = 0xE3
	tokDone         byte = 0xFD
	tokDoneProc     byte = 0xFE
	tokDoneInProc   byte = 0xFF
)

// DONE status bits.
const (
	doneFinal    uint16 = 0x00
	doneMore     uint16 = 0x01
	doneError    uint16 = 0x02
	doneInXact   uint16 = 0x04
	doneCount    uint16 = 0x10
	doneAttn     uint16 = 0x20
	doneSrvError uint16 = 0x100
)

// DONE CurCmd values.
const (
	cmdNone   uint16 = 0
	cmdSelect uint16 = 0xC1
)

// ENVCHANGE types.
const (
	envDatabase   byte = 1
	envLanguage   byte = 2
	envPacketSize byte = 4
	envCollation  byte = 7
	envBeginTran  byte = 8
	envCommitTran byte = 9
	envRollbackTr byte = 10
	envResetAck   byte = 18
)

func writeDone(w *wbuf, tok byte, status, curCmd uint16, count uint64) {
	w.u8(tok)
	w.u16(status)
	w.u16(curCmd)
	w.u64(count)
}

// writeEnvChange writes an ENVCHANGE whose values are B_VARCHARs.
func writeEnvChangeString(w *wbuf, typ byte, newValue, oldValue string) {
	var body wbuf
	body.u8(typ)
	body.bVarChar(newValue)
	body.bVarChar(oldValue)
	w.u8(tokEnvChange)
	w.u16(uint16(len(body.b)))
	w.raw(body.b)
}

// writeEnvChangeBytes writes an ENVCHANGE whose values are B_VARBYTEs.
func writeEnvChangeBytes(w *wbuf, typ byte, newValue, oldValue []byte) {
	w.u8(tokEnvChange)
	w.u16(uint16(1 + 1 + len(newValue) + 1 + len(oldValue)))
	w.u8(typ)
	w.bVarByte(newValue)
	w.bVarByte(oldValue)
}

func descriptorBytes(d uint64) []byte {
	var w wbuf
	w.u64(d)
	return w.b
}

// writeMessage writes an INFO (class <= 10) or ERROR token.
func writeMessage(w *wbuf, m *Message, server string) {
	tok := tokError
	if m.Class <= 10 {
		tok = tokInfo
	}
	if m.Server != "" {
		server = m.Server
	}
	var body wbuf
	body.u32(uint32(m.Number))
	body.u8(m.State)
	body.u8(m.Class)
	body.usVarChar(m.Text)
	body.bVarChar(server)
	body.bVarChar(m.Proc)
	body.u32(uint32(m.Line))
	w.u8(tok)
	w.u16(uint16(len(body.b)))
	w.raw(body.b)
}

// writeLoginAck writes LOGINACK for TDS 7.4.
func writeLoginAck(w *wbuf, tdsVersion uint32) {
	var body wbuf
	body.u8(1) // interface: SQL_TSQL
	body.b = append(body.b, byte(tdsVersion>>24), byte(tdsVersion>>16), byte(tdsVersion>>8), byte(tdsVersion))
	body.bVarChar("Microsoft SQL Server")
	body.u8(versionMajor)
	body.u8(versionMinor)
	body.u8(versionBuild >> 8)
	body.u8(versionBuild & 0xFF)
	w.u8(tokLoginAck)
	w.u16(uint16(len(body.b)))
	w.raw(body.b)
}

func writePacketSizeEnv(w *wbuf, newSize, oldSize int) {
	writeEnvChangeString(w, envPacketSize, strconv.Itoa(newSize), strconv.Itoa(oldSize))
}

// writeColMetadata writes COLMETADATA for cols.
func writeColMetadata(w *wbuf, cols []Column) error {
	w.u8(tokColMetadata)
	w.u16(uint16(len(cols)))
	for i, c := range cols {
		var userType uint32
		if c.Type.ID == sqltypes.Timestamp {
			userType = userTypeTS
		}
		w.u32(userType)
		w.u16(columnFlags(c))
		if err := writeTypeInfo(w, c.Type, useColumn); err != nil {
			return fmt.Errorf("column %d (%s): %w", i+1, c.Name, err)
		}
		w.bVarChar(c.Name)
	}
	return nil
}

func columnFlags(c Column) uint16 {
	var f uint16 = 0x0008 // updateable: read/write
	if c.Nullable {
		f |= 0x0001
	}
	if c.Identity {
		f |= 0x0010
		f &^= 0x0008
	}
	if c.Type.ID == sqltypes.Timestamp {
		f &^= 0x0008
	}
	return f
}

// writeRow writes ROW, or NBCROW (null bitmap, then the non-NULL values)
// when the row holds NULLs.
func writeRow(w *wbuf, cols []Column, values []any) error {
	if len(values) != len(cols) {
		return fmt.Errorf("row has %d values for %d columns", len(values), len(cols))
	}
	nulls := 0
	for _, v := range values {
		if v == nil {
			nulls++
		}
	}
	if nulls == 0 {
		w.u8(tokRow)
		for i, v := range values {
			if err := writeValue(w, cols[i].Type, v); err != nil {
				return fmt.Errorf("column %d (%s): %w", i+1, cols[i].Name, err)
			}
		}
		return nil
	}
	w.u8(tokNBCRow)
	bitmap := make([]byte, (len(values)+7)/8)
	for i, v := range values {
		if v == nil {
			bitmap[i/8] |= 1 << (i % 8)
		}
	}
	w.raw(bitmap)
	for i, v := range values {
		if v == nil {
			continue
		}
		if err := writeValue(w, cols[i].Type, v); err != nil {
			return fmt.Errorf("column %d (%s): %w", i+1, cols[i].Name, err)
		}
	}
	return nil
}

// writeReturnValue writes RETURNVALUE for an output parameter.
func writeReturnValue(w *wbuf, ordinal uint16, p Param) error {
	w.u8(tokReturnValue)
	w.u16(ordinal)
	w.bVarChar(p.Name)
	w.u8(0x01) // status: output parameter
	var userType uint32
	if p.Type.ID == sqltypes.Timestamp {
		userType = userTypeTS
	}
	w.u32(userType)
	w.u16(0x0001) // flags: nullable
	if err := writeTypeInfo(w, p.Type, useReturnValue); err != nil {
		return fmt.Errorf("output parameter %s: %w", p.Name, err)
	}
	if err := writeValue(w, p.Type, p.Value); err != nil {
		return fmt.Errorf("output parameter %s: %w", p.Name, err)
	}
	return nil
}

func writeReturnStatus(w *wbuf, status int32) {
	w.u8(tokReturnStatus)
	w.u32(uint32(status))
}
