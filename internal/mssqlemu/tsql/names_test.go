package tsql

import "testing"

func TestParseObjectName(t *testing.T) {
	cases := []struct {
		in   string
		want ObjectName
	}{
		{"t", ObjectName{Object: "t"}},
		{"dbo.customer", ObjectName{Schema: "dbo", Object: "customer"}},
		{"[dbo].[my table]", ObjectName{Schema: "dbo", Object: "my table"}},
		{`"cdc"."dbo_customer_CT"`, ObjectName{Schema: "cdc", Object: "dbo_customer_CT"}},
		{"db..t", ObjectName{Database: "db", Object: "t"}},
		{"srv.db.dbo.t", ObjectName{Server: "srv", Database: "db", Schema: "dbo", Object: "t"}},
		{"dbo.table", ObjectName{Schema: "dbo", Object: "table"}},
		{" dbo . t ", ObjectName{Schema: "dbo", Object: "t"}},
	}
	for _, c := range cases {
		got, err := ParseObjectName(c.in)
		got.Pos = Pos{}
		if err != nil || got != c.want {
			t.Errorf("ParseObjectName(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "a.", ".a", "a b", "a.b.c.d.e", "[a", "'a'"} {
		if got, err := ParseObjectName(bad); err == nil {
			t.Errorf("ParseObjectName(%q) = %+v, want an error", bad, got)
		}
	}
}
