package precheck

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRunSkipAndPrint(t *testing.T) {
	down := errors.New("dial tcp 127.0.0.1:9: connection refused")
	items := []Item{
		Reach("kafka_connection", "Kafka at 127.0.0.1:9", "check KAFKA_BROKERS", func(context.Context) error { return down }),
		{Name: "topics", Needs: []string{"kafka_connection"}, Check: func(context.Context) Result { return Pass("fine") }},
		{Name: "odd", Check: func(context.Context) Result { return Fail("do it", "broken") }},
		{Name: "meh", Check: func(context.Context) Result { return Warn("", "so so") }},
	}
	if err := CheckSkip(items, []string{"kafka_conection"}); err == nil || !strings.Contains(err.Error(), `"kafka_conection" is not a precheck item`) {
		t.Errorf("CheckSkip of a misspelt item: %v", err)
	}
	rep := Run(context.Background(), items, []string{"odd"})
	var out bytes.Buffer
	if err := rep.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"FAILED       kafka_connection  cannot reach Kafka at 127.0.0.1:9: dial tcp 127.0.0.1:9: connection refused — fix: check KAFKA_BROKERS",
		"not checked  topics            needs kafka_connection, which failed",
		"skipped      odd               broken — fix: do it",
		"warning      meh               so so",
		"precheck: 0 passed, 1 warnings, 1 failed, 1 failed but skipped (PRECHECK_SKIP), 1 not checked",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	var fe *FailedError
	if err := rep.Err(); !errors.As(err, &fe) || len(fe.Failed) != 1 || fe.Failed[0].Item != "kafka_connection" {
		t.Errorf("Err = %v, want the one failed item", err)
	}
	if err := Run(context.Background(), items[2:], []string{"odd"}).Err(); err != nil {
		t.Errorf("a skipped failure and a warning: Err = %v, want nil", err)
	}
}
