package kafkatest

import (
	"os/exec"
	"strings"
	"testing"
)

// The programs that ship link only what they use: kfake and this package
// are for tests and the dev stack only, and the producer, which never talks
// to PostgreSQL, does not link its driver.
func TestProgramsLinkOnlyWhatTheyUse(t *testing.T) {
	testOnly := func(p string) bool { return strings.Contains(p, "kfake") || strings.HasSuffix(p, "/kafkatest") }
	tests := []struct {
		program   string
		forbidden func(pkg string) bool
	}{
		{"producer", func(p string) bool { return testOnly(p) || strings.HasPrefix(p, "github.com/jackc/pgx") }},
		{"consumer", testOnly},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "github.com/mssql2adb/mssql2adb/"+tt.program).CombinedOutput()
			if err != nil {
				t.Skipf("go list: %v\n%s", err, out)
			}
			for _, p := range strings.Fields(string(out)) {
				if tt.forbidden(p) {
					t.Errorf("%s links %s", tt.program, p)
				}
			}
		})
	}
}
