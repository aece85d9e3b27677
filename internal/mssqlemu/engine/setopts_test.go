package engine

import "testing"

func TestSetOptionsNotEmulatedAreRefused(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		stmt string
		num  int32
	}{
		// Defaults the engine behaves as, and options without visible effect.
		{"SET ANSI_NULLS ON", 0}, {"SET QUOTED_IDENTIFIER ON", 0}, {"SET ANSI_WARNINGS ON", 0},
		{"SET CONCAT_NULL_YIELDS_NULL ON", 0}, {"SET IMPLICIT_TRANSACTIONS OFF", 0}, {"SET ARITHABORT OFF", 0},
		{"SET ARITHABORT ON", 0}, {"SET TEXTSIZE 2147483647", 0}, {"SET ROWCOUNT 0", 0}, {"SET DATEFORMAT mdy", 0},
		{"SET DATEFIRST 7", 0}, {"SET LANGUAGE us_english", 0}, {"SET NOCOUNT ON", 0}, {"SET XACT_ABORT OFF", 0},
		{"SET DEADLOCK_PRIORITY LOW", 0}, {"SET ANSI_PADDING, ANSI_NULLS ON", 0},
		// Settings whose semantics the engine does not have.
		{"SET ANSI_NULLS OFF", 40517}, {"SET IMPLICIT_TRANSACTIONS ON", 40517}, {"SET ANSI_WARNINGS OFF", 40517},
		{"SET CONCAT_NULL_YIELDS_NULL OFF", 40517}, {"SET QUOTED_IDENTIFIER OFF", 40517}, {"SET ANSI_DEFAULTS ON", 40517},
		{"SET ANSI_PADDING, ANSI_NULLS OFF", 40517}, {"SET ROWCOUNT 1", 40517}, {"SET DATEFORMAT ymd", 40517},
		{"SET LANGUAGE Klingon", 40517}, {"SET FMTONLY OFF", 0},
		// Languages and date settings the engine has (language.go).
		{"SET DATEFORMAT dmy", 0}, {"SET DATEFIRST 1", 0}, {"SET LANGUAGE French", 0},
		{"SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED", 0}, {"SET TRANSACTION ISOLATION LEVEL READ COMMITTED", 0},
		{"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", 0}, {"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", 0},
	} {
		n, text := h.errNum(tc.stmt)
		if n != tc.num {
			t.Errorf("%s: Msg %d %q, want Msg %d", tc.stmt, n, text, tc.num)
		}
	}
	// A refused option changes nothing: NULL = NULL stays unknown.
	if got := flat(h.rows(`SELECT CASE WHEN NULL = NULL THEN 'eq' ELSE 'unknown' END`)); got != "unknown" {
		t.Fatalf("ANSI_NULLS: %s", got)
	}
}
