package engine

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// cdcFunc evaluates the sys.fn_cdc_* scalar functions.
func (ev *evaluator) cdcFunc(f *tsql.FuncCall, rc *rowCtx) (any, sqltypes.Type, error) {
	name := strings.ToLower(f.Name.Object)
	args, types, err := ev.evalArgs(f.Args, rc)
	if err != nil {
		return nil, sqltypes.Type{}, err
	}
	d, err := ev.s.curDB()
	if err != nil {
		return nil, sqltypes.Type{}, err
	}
	argc := func(n int) error {
		if len(args) != n {
			return msg(313, 16, 2, fmt.Sprintf("An insufficient number of arguments were supplied for the procedure or function sys.%s.", name))
		}
		return nil
	}
	lsnArg := func(i int) ([]byte, bool) {
		b, ok := args[i].([]byte)
		return b, ok
	}
	strArg := func(i int) string {
		s, _ := sqltypes.ToString(args[i], types[i], -1)
		return s
	}
	switch name {
	case "fn_cdc_get_min_lsn":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-get-min-lsn-transact-sql
		if err := argc(1); err != nil {
			return nil, sqltypes.LSNType, err
		}
		if ci := d.captureInstance(strArg(0)); ci != nil {
			return lsnBytes(ci.startLSN), sqltypes.LSNType, nil
		}
		return make([]byte, 10), sqltypes.LSNType, nil
	case "fn_cdc_get_max_lsn":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-get-max-lsn-transact-sql
		if err := argc(0); err != nil {
			return nil, sqltypes.LSNType, err
		}
		return lsnBytes(d.maxLSNAt(ev.s.snapshotSeq(ev.tx))), sqltypes.LSNType, nil
	case "fn_cdc_increment_lsn", "fn_cdc_decrement_lsn":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-increment-lsn-transact-sql
		if err := argc(1); err != nil {
			return nil, sqltypes.LSNType, err
		}
		b, ok := lsnArg(0)
		if !ok {
			return nil, sqltypes.LSNType, nil
		}
		delta := 1
		if name == "fn_cdc_decrement_lsn" {
			delta = -1
		}
		return lsnAdd(b, delta), sqltypes.LSNType, nil
	case "fn_cdc_map_lsn_to_time":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-map-lsn-to-time-transact-sql
		if err := argc(1); err != nil {
			return nil, sqltypes.DateTimeType, err
		}
		b, ok := lsnArg(0)
		if !ok || d.cdc == nil {
			return nil, sqltypes.DateTimeType, nil
		}
		for i := len(d.cdc.mapping) - 1; i >= 0; i-- {
			m := d.cdc.mapping[i]
			if bytes.Compare(lsnBytes(m.startLSN), b) <= 0 {
				return sqltypes.FromTime(wall(m.endTime), sqltypes.DateTimeType), sqltypes.DateTimeType, nil
			}
		}
		return nil, sqltypes.DateTimeType, nil
	case "fn_cdc_map_time_to_lsn":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-map-time-to-lsn-transact-sql
		if err := argc(2); err != nil {
			return nil, sqltypes.LSNType, err
		}
		op := strings.ToLower(strings.Join(strings.Fields(strArg(0)), " "))
		tv, err := sqltypes.Convert(args[1], types[1], sqltypes.DateTimeType, -1)
		if err != nil || tv == nil || d.cdc == nil {
			return nil, sqltypes.LSNType, err
		}
		var found []byte
		for _, m := range d.cdc.mapping {
			mt := sqltypes.FromTime(wall(m.endTime), sqltypes.DateTimeType)
			c, _ := sqltypes.Compare(mt, tv, sqltypes.DateTimeType, sqltypes.DateTimeType, sqltypes.DefaultCollation)
			var hit bool
			switch op {
			case "largest less than":
				hit = c < 0
			case "largest less than or equal":
				hit = c <= 0
			case "smallest greater than":
				hit = c > 0
			case "smallest greater than or equal":
				hit = c >= 0
			default:
				return nil, sqltypes.LSNType, msg(22986, 16, 1, fmt.Sprintf("Relational operator '%s' is not valid. Specify one of: largest less than, largest less than or equal, smallest greater than, smallest greater than or equal.", strArg(0)))
			}
			if !hit {
				continue
			}
			if strings.HasPrefix(op, "largest") {
				found = lsnBytes(m.startLSN)
			} else if found == nil {
				found = lsnBytes(m.startLSN)
			}
		}
		if found == nil {
			return nil, sqltypes.LSNType, nil
		}
		return found, sqltypes.LSNType, nil
	case "fn_cdc_get_column_ordinal":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-get-column-ordinal-transact-sql
		if err := argc(2); err != nil {
			return nil, sqltypes.IntType, err
		}
		if ci := d.captureInstance(strArg(0)); ci != nil {
			for i, n := range ci.colNames {
				if strings.EqualFold(n, strArg(1)) {
					return int64(i + 1), sqltypes.IntType, nil
				}
			}
		}
		return int64(-1), sqltypes.IntType, nil
	case "fn_cdc_is_bit_set":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-is-bit-set-transact-sql
		if err := argc(2); err != nil {
			return nil, sqltypes.BitType, err
		}
		pos, ok := args[0].(int64)
		mask, ok2 := args[1].([]byte)
		if !ok || !ok2 {
			return nil, sqltypes.BitType, nil
		}
		return maskBit(mask, int(pos)), sqltypes.BitType, nil
	case "fn_cdc_has_column_changed":
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/sys-fn-cdc-has-column-changed-transact-sql
		if err := argc(3); err != nil {
			return nil, sqltypes.BitType, err
		}
		ci := d.captureInstance(strArg(0))
		mask, ok := args[2].([]byte)
		if ci == nil || !ok {
			return nil, sqltypes.BitType, nil
		}
		for i, n := range ci.colNames {
			if strings.EqualFold(n, strArg(1)) {
				return maskBit(mask, i+1), sqltypes.BitType, nil
			}
		}
		return nil, sqltypes.BitType, nil
	}
	if ev2, t, ok, err := ev.catalogFunc(strings.ToUpper(name), args, types); ok {
		return ev2, t, err
	}
	return nil, sqltypes.Type{}, msg(4121, 16, 1, fmt.Sprintf("Cannot find either column \"%s\" or the user-defined function or aggregate \"%s\", or the name is ambiguous.", strings.ToLower(f.Name.Schema), displayName(f.Name)))
}

// tableFunc evaluates the table-valued functions in FROM:
// cdc.fn_cdc_get_all_changes_<capture_instance> and
// cdc.fn_cdc_get_net_changes_<capture_instance>.
func (ev *evaluator) tableFunc(x *tsql.TableFunc) (*relation, error) {
	d, err := ev.s.dbFor(x.Name)
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(x.Name.Object)
	var kind, ciName string
	switch {
	case strings.HasPrefix(name, "fn_cdc_get_all_changes_"):
		kind, ciName = "all", x.Name.Object[len("fn_cdc_get_all_changes_"):]
	case strings.HasPrefix(name, "fn_cdc_get_net_changes_"):
		kind, ciName = "net", x.Name.Object[len("fn_cdc_get_net_changes_"):]
	}
	ci := d.captureInstance(ciName)
	if kind == "" || ci == nil || !strings.EqualFold(x.Name.Schema, "cdc") || (kind == "net" && !ci.netChanges) {
		return nil, errInvalidObject(displayName(x.Name))
	}
	fnName := "cdc.fn_cdc_get_all_changes_"
	if kind == "net" {
		fnName = "cdc.fn_cdc_get_net_changes_"
	}
	insufficient := msg(313, 16, 3, "An insufficient number of arguments were supplied for the procedure or function "+fnName+" ... .")
	if len(x.Args) != 3 {
		return nil, msg(313, 16, 2, fmt.Sprintf("An insufficient number of arguments were supplied for the procedure or function %s.", displayName(x.Name)))
	}
	vals := make([]any, 3)
	for i, a := range x.Args {
		v, _, err := ev.eval(a, nil)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	from, ok1 := vals[0].([]byte)
	to, ok2 := vals[1].([]byte)
	opt, _ := vals[2].(string)
	opt = strings.ToLower(strings.Join(strings.Fields(opt), " "))
	// The documented range checks: from_lsn below the capture instance's
	// low endpoint or to_lsn above the highest LSN fail, with the
	// misleading Msg 313 that SQL Server raises.
	if !ok1 || !ok2 || bytes.Compare(from, lsnBytes(ci.startLSN)) < 0 || bytes.Compare(to, lsnBytes(d.maxLSNAt(ev.s.snapshotSeq(ev.tx)))) > 0 || bytes.Compare(from, to) > 0 {
		return nil, insufficient
	}
	if err := ev.s.checkSnapshot(ev.tx, d); err != nil {
		return nil, err
	}
	rows, _ := ci.ct.scan(ev.tx, ev.s.snapshotSeq(ev.tx))
	var in [][]any
	for _, r := range rows {
		b := r[0].([]byte)
		if bytes.Compare(b, from) >= 0 && bytes.Compare(b, to) <= 0 {
			in = append(in, r)
		}
	}
	sort.SliceStable(in, func(i, j int) bool {
		if c := bytes.Compare(in[i][0].([]byte), in[j][0].([]byte)); c != 0 {
			return c < 0
		}
		if c := bytes.Compare(in[i][2].([]byte), in[j][2].([]byte)); c != 0 {
			return c < 0
		}
		return in[i][3].(int64) < in[j][3].(int64)
	})
	n := len(ci.colNames)
	if kind == "all" {
		// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/cdc-fn-cdc-get-all-changes-capture-instance-transact-sql
		if opt != "all" && opt != "all update old" {
			return nil, insufficient
		}
		rel := &relation{cols: []relCol{{name: "__$start_lsn", typ: sqltypes.LSNType}, {name: "__$seqval", typ: sqltypes.LSNType},
			{name: "__$operation", typ: sqltypes.IntType}, {name: "__$update_mask", typ: sqltypes.VarBinaryType(128), nullable: true}}}
		for i, cn := range ci.colNames {
			rel.cols = append(rel.cols, relCol{name: cn, typ: ci.colTypes[i], nullable: true})
		}
		for _, r := range in {
			if opt == "all" && r[3].(int64) == cdcUpdateBefore {
				continue
			}
			out := append([]any{r[0], r[2], r[3], r[4]}, r[5:5+n]...)
			rel.rows = append(rel.rows, out)
		}
		return rel, nil
	}
	// https://learn.microsoft.com/en-us/sql/relational-databases/system-functions/cdc-fn-cdc-get-net-changes-capture-instance-transact-sql
	if opt != "all" && opt != "all with mask" && opt != "all with merge" {
		return nil, insufficient
	}
	type netState struct {
		first int64
		last  []any
		mask  []byte
		order int
	}
	states := map[string]*netState{}
	var keys []string
	for _, r := range in {
		op := r[3].(int64)
		if op == cdcUpdateBefore {
			continue
		}
		var kb strings.Builder
		for _, k := range ci.indexCols {
			s, _ := sqltypes.ToString(r[5+k], ci.colTypes[k], 2)
			if v, ok := r[5+k].(string); ok && !ci.colTypes[k].Collation.CaseSensitive() {
				s = strings.ToLower(strings.TrimRight(v, " "))
			}
			kb.WriteString(s)
			kb.WriteByte(0)
		}
		k := kb.String()
		st := states[k]
		if st == nil {
			st = &netState{first: op, order: len(keys)}
			states[k] = st
			keys = append(keys, k)
		}
		st.last = r
		if m, ok := r[4].([]byte); ok && op == cdcUpdateAfter {
			if st.mask == nil {
				st.mask = append([]byte(nil), m...)
			} else {
				for i := range st.mask {
					st.mask[i] |= m[i]
				}
			}
		}
	}
	rel := &relation{cols: []relCol{{name: "__$start_lsn", typ: sqltypes.LSNType}, {name: "__$operation", typ: sqltypes.IntType},
		{name: "__$update_mask", typ: sqltypes.VarBinaryType(128), nullable: true}}}
	for i, cn := range ci.colNames {
		rel.cols = append(rel.cols, relCol{name: cn, typ: ci.colTypes[i], nullable: true})
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := states[keys[i]], states[keys[j]]
		if c := bytes.Compare(a.last[0].([]byte), b.last[0].([]byte)); c != 0 {
			return c < 0
		}
		return a.order < b.order
	})
	for _, k := range keys {
		st := states[k]
		lastOp := st.last[3].(int64)
		existedBefore := st.first != cdcInsert
		var op int64
		switch {
		case lastOp == cdcDelete && !existedBefore:
			continue
		case lastOp == cdcDelete:
			op = cdcDelete
		case !existedBefore:
			op = cdcInsert
		default:
			op = cdcUpdateAfter
		}
		var mask any
		if opt == "all with merge" && op != cdcDelete {
			op = 5
		} else if opt == "all with mask" && op == cdcUpdateAfter {
			if st.mask != nil {
				mask = st.mask
			} else {
				mask = updateMask(n, func(int) bool { return true })
			}
		}
		rel.rows = append(rel.rows, append([]any{st.last[0], op, mask}, st.last[5:5+n]...))
	}
	return rel, nil
}
