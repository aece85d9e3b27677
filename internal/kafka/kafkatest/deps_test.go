package kafkatest

import (
	"os/exec"
	"strings"
	"testing"
)

// The programs that ship must not link the test broker: kfake is for tests
// and the dev stack only.
func TestProgramsDoNotLinkTestBroker(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps",
		"github.com/mssql2adb/mssql2adb/producer", "github.com/mssql2adb/mssql2adb/consumer").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.Contains(p, "kfake") || strings.HasSuffix(p, "/kafkatest") {
			t.Errorf("a production program links %s", p)
		}
	}
}
