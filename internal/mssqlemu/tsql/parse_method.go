package tsql

// Methods of the CLR types hierarchyid, geometry and geography: static ones
// (hierarchyid::GetRoot()), instance ones on any expression (@h.GetLevel(),
// hierarchyid::Parse('/1/').ToString()) and properties (@g.STX).
// https://learn.microsoft.com/en-us/sql/t-sql/data-types/hierarchyid-data-type-method-reference
// https://learn.microsoft.com/en-us/sql/t-sql/spatial-geometry/ogc-methods-on-geometry-instances

// clrMethods are the instance methods and properties whose names, after a
// column name, mean a method call rather than a function in a schema (the
// spelling is exact: CLR names are case-sensitive in T-SQL).
var clrMethods = map[string]bool{
	"ToString": true, "GetLevel": true, "GetAncestor": true, "IsDescendantOf": true,
	"GetDescendant": true, "GetReparentedValue": true,
	"STAsText": true, "AsTextZM": true, "STGeometryType": true, "STNumPoints": true,
	"STIsEmpty": true, "STSrid": true, "STX": true, "STY": true, "Lat": true, "Long": true,
	"STPointN": true, "STStartPoint": true, "STEndPoint": true, "STAsBinary": true,
	"STIsValid": true, "STNumGeometries": true, "STGeometryN": true,
}

func isCLRMethod(name string) bool { return clrMethods[name] }

// parseStaticMethod parses type::Method(args) with t the type's name.
func (p *parser) parseStaticMethod(t *token) (Expr, error) {
	p.i += 3 // type : :
	m := p.tok()
	if m.kind != tWord && m.kind != tQuoted {
		return nil, p.fail()
	}
	p.i++
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	return p.callRest(&FuncCall{Pos: t.pos(), Name: ObjectName{Pos: m.pos(), Object: m.val}, TypeName: lowerASCII(t.val)})
}

// parseMethods parses the .Method(args) and .Property that follow x.
func (p *parser) parseMethods(x Expr) (Expr, error) {
	for p.isOp(".") && (p.at(1).kind == tWord || p.at(1).kind == tQuoted) {
		if _, ok := x.(*ColumnRef); ok {
			return nil, p.fail()
		}
		name := p.at(1)
		p.i += 2
		if !p.isOp("(") {
			x = &FuncCall{Pos: x.Position(), Name: ObjectName{Pos: name.pos(), Object: name.val}, Receiver: x, Property: true}
			continue
		}
		p.i++
		call, err := p.methodArgs(x.Position(), x, name.val)
		if err != nil {
			return nil, err
		}
		x = call
	}
	return x, nil
}

// methodArgs parses a method's arguments after its '(' and what follows.
func (p *parser) methodArgs(pos Pos, recv Expr, method string) (Expr, error) {
	return p.callRest(&FuncCall{Pos: pos, Name: ObjectName{Pos: pos, Object: method}, Receiver: recv})
}

// callRest parses a method call's arguments after its '(' and the methods
// called on its result.
func (p *parser) callRest(call *FuncCall) (Expr, error) {
	if !p.acceptOp(")") {
		args, err := p.parseScalarList()
		if err != nil {
			return nil, err
		}
		call.Args = args
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
	}
	return p.parseMethods(call)
}
