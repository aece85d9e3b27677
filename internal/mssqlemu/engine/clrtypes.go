package engine

// Methods of SQL Server's built-in CLR types. hierarchyid's follow
// "hierarchyid data type method reference":
// https://learn.microsoft.com/en-us/sql/t-sql/data-types/hierarchyid-data-type-method-reference
// Like SQL Server's (InvokeIfReceiverIsNull=false, OnNullCall=false), an
// instance method of a NULL value and a method given a NULL argument give NULL.

import (
	"fmt"

	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/sqltypes"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

var hierarchyIDType = sqltypes.Type{ID: sqltypes.HierarchyID}

// clrClass is the CLR class SQL Server names in its errors about a type's methods.
func clrClass(id sqltypes.TypeID) string {
	switch id {
	case sqltypes.HierarchyID:
		return "Microsoft.SqlServer.Types.SqlHierarchyId"
	case sqltypes.Geometry:
		return "Microsoft.SqlServer.Types.SqlGeometry"
	}
	return "Microsoft.SqlServer.Types.SqlGeography"
}

// errNoMethod is Msg 6506, a method the type does not have.
func errNoMethod(id sqltypes.TypeID, method string) error {
	return msg(6506, 16, 10, fmt.Sprintf("Could not find method '%s' for type '%s' in assembly 'Microsoft.SqlServer.Types'", method, clrClass(id)))
}

// clrCall evaluates type::Method(...), x.Method(...) and x.Property.
func (ev *evaluator) clrCall(f *tsql.FuncCall, rc *rowCtx) (any, sqltypes.Type, error) {
	var recv any
	var id sqltypes.TypeID
	if f.Receiver != nil {
		v, t, err := ev.eval(f.Receiver, rc)
		if err != nil {
			return nil, t, err
		}
		switch t.ID {
		case sqltypes.HierarchyID, sqltypes.Geometry, sqltypes.Geography:
		default:
			return nil, sqltypes.Type{}, msg(258, 15, 1, fmt.Sprintf("Cannot call methods on %s.", t.ID.Name()))
		}
		recv, id = v, t.ID
	} else {
		switch f.TypeName {
		case "hierarchyid":
			id = sqltypes.HierarchyID
		case "geometry":
			id = sqltypes.Geometry
		case "geography":
			id = sqltypes.Geography
		default:
			return nil, sqltypes.Type{}, msg(243, 16, 1, fmt.Sprintf("Type %s is not a defined system type.", f.TypeName))
		}
	}
	args, types, err := ev.evalArgs(f.Args, rc)
	if err != nil {
		return nil, sqltypes.Type{}, err
	}
	if id == sqltypes.HierarchyID {
		return hierarchyMethod(f, recv, args, types)
	}
	return spatialMethod(f, id, recv, args, types)
}

// evalArgs evaluates a call's arguments in order.
func (ev *evaluator) evalArgs(list []tsql.Expr, rc *rowCtx) ([]any, []sqltypes.Type, error) {
	args := make([]any, len(list))
	types := make([]sqltypes.Type, len(list))
	for i, a := range list {
		v, t, err := ev.eval(a, rc)
		if err != nil {
			return nil, nil, err
		}
		args[i], types[i] = v, t
	}
	return args, types, nil
}

// methodArgc is SQL Server's Msg 10024-like refusal of a wrong argument count.
func methodArgc(f *tsql.FuncCall, id sqltypes.TypeID, n int) error {
	if len(f.Args) != n {
		return msg(6506, 16, 10, fmt.Sprintf("Could not find method '%s' for type '%s' in assembly 'Microsoft.SqlServer.Types' that takes %d argument(s)", f.Name.Object, clrClass(id), len(f.Args)))
	}
	return nil
}

// hierarchyArg converts a method's argument to a hierarchyid path.
func hierarchyArg(v any, t sqltypes.Type) (sqltypes.HierarchyPath, error) {
	b, err := sqltypes.Convert(v, t, hierarchyIDType, -1)
	if err != nil {
		return nil, err
	}
	return sqltypes.DecodeHierarchyID(b.([]byte))
}

func hierarchyMethod(f *tsql.FuncCall, recv any, args []any, types []sqltypes.Type) (any, sqltypes.Type, error) {
	static := f.Receiver == nil
	method := f.Name.Object
	resultType := map[string]sqltypes.Type{
		"GetRoot": hierarchyIDType, "Parse": hierarchyIDType, "ToString": sqltypes.NVarCharType(4000),
		"GetLevel": sqltypes.SmallIntType, "GetAncestor": hierarchyIDType, "IsDescendantOf": sqltypes.BitType,
		"GetReparentedValue": hierarchyIDType, "GetDescendant": hierarchyIDType,
	}
	rt, ok := resultType[method]
	if !ok || static != (method == "GetRoot" || method == "Parse") || f.Property {
		return nil, sqltypes.Type{}, errNoMethod(sqltypes.HierarchyID, method)
	}
	want := map[string]int{"GetRoot": 0, "Parse": 1, "ToString": 0, "GetLevel": 0, "GetAncestor": 1, "IsDescendantOf": 1, "GetReparentedValue": 2, "GetDescendant": 2}
	if err := methodArgc(f, sqltypes.HierarchyID, want[method]); err != nil {
		return nil, rt, err
	}
	for _, a := range args {
		if a == nil && method != "GetDescendant" { // GetDescendant gives NULL children a meaning
			return nil, rt, nil
		}
	}
	encode := func(h sqltypes.HierarchyPath) (any, sqltypes.Type, error) {
		b, err := h.Encode()
		return b, rt, err
	}
	switch method {
	case "GetRoot":
		return []byte{}, rt, nil
	case "Parse":
		h, err := hierarchyArg(args[0], types[0])
		if err != nil {
			return nil, rt, err
		}
		return encode(h)
	}
	if recv == nil {
		return nil, rt, nil
	}
	h, err := sqltypes.DecodeHierarchyID(recv.([]byte))
	if err != nil {
		return nil, rt, err
	}
	switch method {
	case "ToString":
		return h.String(), rt, nil
	case "GetLevel":
		return int64(len(h)), rt, nil
	case "GetAncestor":
		nv, err := sqltypes.Convert(args[0], types[0], sqltypes.IntType, -1)
		if err != nil {
			return nil, rt, err
		}
		n := nv.(int64)
		if n < 0 {
			return nil, rt, msg(6522, 16, 2, "A .NET Framework error occurred during execution of user-defined routine or aggregate \"hierarchyid\": "+
				"Microsoft.SqlServer.Types.HierarchyIdException: 24011: SqlHierarchyId.GetAncestor failed because 'n' was negative.")
		}
		if n > int64(len(h)) {
			return nil, rt, nil
		}
		return encode(h[:len(h)-int(n)])
	case "IsDescendantOf":
		p, err := hierarchyArg(args[0], types[0])
		if err != nil {
			return nil, rt, err
		}
		return isPrefix(p, h), rt, nil
	case "GetDescendant":
		var kids [2]sqltypes.HierarchyPath
		for i, a := range args {
			if a == nil {
				continue
			}
			c, err := hierarchyArg(a, types[i])
			if err != nil {
				return nil, rt, err
			}
			if len(c) != len(h)+1 || !isPrefix(h, c) {
				return nil, rt, msg(6522, 16, 2, "A .NET Framework error occurred during execution of user-defined routine or aggregate \"hierarchyid\": "+
					fmt.Sprintf("Microsoft.SqlServer.Types.HierarchyIdException: SqlHierarchyId.GetDescendant failed because 'child%d' must be a child of 'this'.  'child%d' was '%s' and 'this' was '%s'.", i+1, i+1, c, h))
			}
			kids[i] = c
		}
		var lo, hi []int64
		if kids[0] != nil {
			lo = kids[0][len(h)]
		}
		if kids[1] != nil {
			hi = kids[1][len(h)]
			if lo != nil && !labelLess(lo, hi) {
				return nil, rt, msg(6522, 16, 2, "A .NET Framework error occurred during execution of user-defined routine or aggregate \"hierarchyid\": "+
					fmt.Sprintf("Microsoft.SqlServer.Types.HierarchyIdException: SqlHierarchyId.GetDescendant failed because 'child1' must be less than 'child2'.  'child1' was '%s' and 'child2' was '%s'.", kids[0], kids[1]))
			}
		}
		return encode(append(append(sqltypes.HierarchyPath{}, h...), labelBetween(lo, hi)))
	default: // GetReparentedValue(oldRoot, newRoot)
		oldRoot, err := hierarchyArg(args[0], types[0])
		if err != nil {
			return nil, rt, err
		}
		newRoot, err := hierarchyArg(args[1], types[1])
		if err != nil {
			return nil, rt, err
		}
		if !isPrefix(oldRoot, h) {
			return nil, rt, msg(6522, 16, 2, "A .NET Framework error occurred during execution of user-defined routine or aggregate \"hierarchyid\": "+
				fmt.Sprintf("Microsoft.SqlServer.Types.HierarchyIdException: 24009: SqlHierarchyId.GetReparentedValue failed because 'oldRoot' was not an ancestor node of 'this'.  'oldRoot' was '%s', and 'this' was '%s'.", oldRoot, h))
		}
		out := append(append(sqltypes.HierarchyPath{}, newRoot...), h[len(oldRoot):]...)
		return encode(out)
	}
}

// isPrefix reports whether node is parent or in parent's subtree: "parent
// is considered its own descendant".
func isPrefix(parent, node sqltypes.HierarchyPath) bool {
	if len(parent) > len(node) {
		return false
	}
	for i, level := range parent {
		if len(level) != len(node[i]) {
			return false
		}
		for j := range level {
			if level[j] != node[i][j] {
				return false
			}
		}
	}
	return true
}

// labelLess orders two labels of one level: component by component, a
// label before the longer ones it begins (1 < 1.1 < 1.2 < 2).
func labelLess(a, b []int64) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// labelBetween is GetDescendant's new label: greater than lo and less than
// hi (nil: unbounded). With neither it is 1; past lo alone the next
// integer; before hi alone the integer below; between two, the next
// integer after lo when it fits, else lo's label extended by a dotted
// component (between /0/ and /1/ comes /0.1/, the example of
// GetDescendant's page).
// https://learn.microsoft.com/en-us/sql/t-sql/data-types/getdescendant-database-engine
func labelBetween(lo, hi []int64) []int64 {
	switch {
	case lo == nil && hi == nil:
		return []int64{1}
	case hi == nil:
		return []int64{lo[0] + 1}
	case lo == nil:
		if len(hi) == 1 {
			return []int64{hi[0] - 1}
		}
		return []int64{hi[0]} // k comes before k.x
	}
	if next := []int64{lo[0] + 1}; labelLess(next, hi) {
		return next
	}
	var restLo, restHi []int64
	if len(lo) > 1 {
		restLo = lo[1:]
	}
	if lo[0] == hi[0] {
		restHi = hi[1:] // hi is longer, as lo < hi
	}
	return append([]int64{lo[0]}, labelBetween(restLo, restHi)...)
}
