package e2e

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
)

// lob is a large value of one column: how to read its digest at the target
// and the digest the value written at the source must give there.
type lob struct {
	col, digestSQL string
	value          any // string or []byte, bound as a parameter
}

// digest is the target-side text of a large value: its length in
// characters (bytes for bytea) and the MD5 of its UTF-8 bytes.
func digest(v any) string {
	switch x := v.(type) {
	case nil:
		return null
	case string:
		sum := md5.Sum([]byte(x))
		return fmt.Sprintf("%d %s", len([]rune(x)), hex.EncodeToString(sum[:]))
	case []byte:
		sum := md5.Sum(x)
		return fmt.Sprintf("%d %s", len(x), hex.EncodeToString(sum[:]))
	}
	return fmt.Sprintf("unexpected %T", v)
}

// largeValues returns values of about size bytes for every large-value
// column type, different for each seed; text and varchar(max) stay within
// code page 1252, the others use characters outside the BMP.
func largeValues(seed string, size int) []lob {
	bin := make([]byte, size)
	for i := range bin {
		bin[i] = byte(i*7 + len(seed))
	}
	bin[0], bin[len(bin)-1] = 0, 0
	str := func(unit string, n int) string { return seed + strings.Repeat(unit, n) }
	text := func(c string) string {
		return fmt.Sprintf("length(%[1]s) || ' ' || md5(convert_to(%[1]s, 'UTF8')) AS %[1]s", c)
	}
	return []lob{
		{"c_text", text("c_text"), str("café-", size/6)},
		{"c_ntext", text("c_ntext"), str("😀ü", size/6)},
		{"c_image", "length(c_image) || ' ' || md5(c_image) AS c_image", append([]byte(seed), bin[:size*2/3]...)},
		{"c_vmax", text("c_vmax"), str("déjà-", size/7)},
		{"c_nmax", text("c_nmax"), str("𝄞日本", size/10)},
		{"c_vbmax", "length(c_vbmax) || ' ' || md5(c_vbmax) AS c_vbmax", append([]byte(seed), bin...)},
		{"c_xml", "length(c_xml::text) || ' ' || md5(convert_to(c_xml::text, 'UTF8')) AS c_xml", "<r>" + str("<i>😀</i>", size/12) + "</r>"},
	}
}

// TestLargeValuesAndUnchangedLOBs sends large values of every large-value
// type through the snapshot and streaming, then updates other columns: the
// target must keep the large values, both the legacy types (text, ntext,
// image), which SQL Server's change table leaves NULL in the update's after
// image, and the (max) types and xml, which it repeats. Setting one large
// value to NULL must still reach the target.
func TestLargeValuesAndUnchangedLOBs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		size int    // bytes per value, about
		skip string // why the case cannot pass yet
	}{
		// A change event carries every column, before and after: with
		// 7 values of 60 KB it stays under Kafka's default 1 MB record.
		{"60KB", 60 << 10, ""},
		// 1.5 MB per value makes records of about 12 MB, far above Kafka's
		// default 1 MB and within the producer's MAX_MESSAGE_BYTES (64 MiB
		// by default). Larger values take minutes under the race detector
		// and prove nothing more here; make bench moves 3 MB values
		// (memory and speed, without the race detector).
		{"1.5MB", 3 << 19, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip != "" && os.Getenv("E2E_LARGE_RECORDS") == "" {
				t.Skip("known gap (set E2E_LARGE_RECORDS=1 to run): " + tt.skip)
			}
			testLargeValues(t, tt.size)
		})
	}
}

func testLargeValues(t *testing.T, size int) {
	e := newEnv(t)
	e.exec(`CREATE TABLE dbo.lobs (id int NOT NULL PRIMARY KEY, note nvarchar(50) NULL, c_text text NULL, c_ntext ntext NULL,
			c_image image NULL, c_vmax varchar(max) NULL, c_nmax nvarchar(max) NULL, c_vbmax varbinary(max) NULL, c_xml xml NULL)`,
		`EXEC sys.sp_cdc_enable_db`,
		`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'lobs', @role_name = NULL`)
	ctx := context.Background()
	insert := func(id int, vals []lob) {
		t.Helper()
		cols, params, args := []string{"id", "note"}, []string{"@p1", "N'first'"}, []any{id}
		for i, v := range vals {
			cols = append(cols, v.col)
			params = append(params, fmt.Sprintf("@p%d", i+2))
			args = append(args, v.value)
		}
		q := fmt.Sprintf("INSERT INTO dbo.lobs (%s) VALUES (%s)", strings.Join(cols, ", "), strings.Join(params, ", "))
		if _, err := e.src.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("insert large row %d: %v", id, err)
		}
	}
	row := func(note string, vals []lob) map[string]string {
		r := map[string]string{"note": note}
		for _, v := range vals {
			r[v.col] = digest(v.value)
		}
		return r
	}
	a, b, c := largeValues("a", size), largeValues("b", size), largeValues("c", size)
	sel := []string{"id", "note"}
	for _, v := range a {
		sel = append(sel, v.digestSQL)
	}
	query := "(SELECT " + strings.Join(sel, ", ") + " FROM dbo.lobs) AS t"
	insert(1, a)
	// The source holds text in code page 1252, one byte per character.
	var dl int64
	if err := e.src.QueryRowContext(ctx, "SELECT DATALENGTH(c_text) FROM dbo.lobs WHERE id = 1").Scan(&dl); err != nil || dl != int64(len([]rune(a[0].value.(string)))) {
		t.Fatalf("source text: DATALENGTH = %d (%v), want one byte per character (code page 1252): %d", dl, err, len([]rune(a[0].value.(string))))
	}
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars())
	want := map[string]map[string]string{"1": row("first", a)}
	e.eventually(convergeWithin, "snapshot of large values", func() []string { return e.diffTarget(query, []string{"id"}, want) }, prod, cons)

	insert(2, b)
	want["2"] = row("first", b)
	e.eventually(convergeWithin, "streamed large values", func() []string { return e.diffTarget(query, []string{"id"}, want) }, prod, cons)

	// Updates that touch no large value keep every one of them.
	e.exec(`UPDATE dbo.lobs SET note = N'second' WHERE id IN (1, 2)`)
	want["1"]["note"], want["2"]["note"] = "second", "second"
	e.eventually(convergeWithin, "update of another column", func() []string { return e.diffTarget(query, []string{"id"}, want) }, prod, cons)

	// One large value of each kind changes, the others stay; a NULL is a NULL.
	for _, i := range []int{1, 3} { // c_ntext (legacy), c_vmax (max)
		if _, err := e.src.ExecContext(ctx, fmt.Sprintf("UPDATE dbo.lobs SET %s = @p1, note = N'third' WHERE id = 1", c[i].col), c[i].value); err != nil {
			t.Fatal(err)
		}
		want["1"][c[i].col] = digest(c[i].value)
	}
	want["1"]["note"] = "third"
	e.exec(`UPDATE dbo.lobs SET c_image = NULL, c_nmax = NULL WHERE id = 2`)
	want["2"]["c_image"], want["2"]["c_nmax"] = null, null
	e.eventually(convergeWithin, "update of some large values", func() []string { return e.diffTarget(query, []string{"id"}, want) }, prod, cons)
	e.converge(convergeWithin, prod, cons)
}

// TestUnsupportedColumnsAreLeftOut starts the producer on a table with
// columns of every type DTS does not synchronize: each is named in exactly
// one warning at start-up, the target table lacks them, and the other
// columns flow through the snapshot, inserts and updates.
func TestUnsupportedColumnsAreLeftOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec(`CREATE TABLE dbo.odd (id int NOT NULL PRIMARY KEY, name nvarchar(20) NULL, c_rowversion rowversion,
			c_hierarchyid hierarchyid NULL, c_variant sql_variant NULL, c_geometry geometry NULL, c_geography geography NULL,
			amount decimal(9,2) NULL)`,
		`EXEC sys.sp_cdc_enable_db`,
		`EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'odd', @role_name = NULL`,
		`INSERT INTO dbo.odd (id, name, c_hierarchyid, c_variant, c_geometry, c_geography, amount)
			VALUES (1, N'snap', 0x58, 42, 0x00000000010C00000000000000000000000000000000, 0xE6100000010C00000000000000000000000000000000, 1.50)`,
		`INSERT INTO dbo.odd (id, name) VALUES (2, NULL)`)
	prod := e.start(shared.producerBin, "producer", e.producerVars())
	cons := e.start(shared.consumerBin, "consumer", e.consumerVars())
	want := map[string]map[string]string{
		"1": {"name": "snap", "amount": "1.50"},
		"2": {"name": null, "amount": null},
	}
	e.eventually(convergeWithin, "snapshot", func() []string { return e.diffTarget("dbo.odd", []string{"id"}, want) }, prod, cons)
	e.exec(`INSERT INTO dbo.odd (id, name, c_variant, amount) VALUES (3, N'streamed', N'text', -2.25)`,
		`UPDATE dbo.odd SET name = N'updated', c_hierarchyid = 0x5AC0 WHERE id = 1`,
		`UPDATE dbo.odd SET c_variant = 7 WHERE id = 2`) // changes only what is left out
	want["1"]["name"] = "updated"
	want["3"] = map[string]string{"name": "streamed", "amount": "-2.25"}
	e.eventually(convergeWithin, "streaming", func() []string { return e.diffTarget("dbo.odd", []string{"id"}, want) }, prod, cons)

	_, cols, err := e.targetText(`SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns
		WHERE table_schema = 'dbo' AND table_name = 'odd' AND column_name NOT LIKE '\_\_%'`)
	if err != nil || len(cols) != 1 || cols[0][0] == nil {
		t.Fatalf("target columns: %v %v", cols, err)
	}
	if got := *cols[0][0]; got != "id,name,amount" {
		t.Errorf("target columns = %s, want id,name,amount", got)
	}
	for _, c := range []string{"c_rowversion", "c_hierarchyid", "c_variant", "c_geometry", "c_geography"} {
		var lines []string
		sc := bufio.NewScanner(strings.NewReader(prod.output()))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if l := sc.Text(); strings.Contains(l, "level=WARN") && strings.Contains(l, "dbo.odd."+c+" ") {
				lines = append(lines, l)
			}
		}
		if len(lines) != 1 || !strings.Contains(lines[0], "not synchronized") {
			t.Errorf("column %s: want one warning saying it is not synchronized, got %d:\n%s", c, len(lines), strings.Join(lines, "\n"))
		}
	}
	for _, c := range []string{"id", "name", "amount"} {
		if strings.Contains(prod.output(), "dbo.odd."+c+" ") {
			t.Errorf("synchronized column %s named in a warning:\n%s", c, prod.output())
		}
	}
}
