package sink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/event"
	"github.com/mssql2adb/mssql2adb/internal/retry"
)

var errBadBytes = errors.New("malformed record")

// flakyDecoder reads "garbage" as a malformed record, and fails the first
// tries of "c,4,…" as a registry outage would.
type flakyDecoder struct {
	*fakeDecoder
	mu     sync.Mutex
	outage int
}

func (d *flakyDecoder) Decode(ctx context.Context, topic string, key, value []byte) (*event.Event, error) {
	if string(value) == "garbage" {
		return nil, fmt.Errorf("decode %s: %w: not Schema Registry framed", topic, errBadBytes)
	}
	if strings.HasPrefix(string(value), "c,4,") {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.outage > 0 {
			d.outage--
			return nil, errors.New("fetch schema id 7 from the registry (is it reachable?): connection refused")
		}
	}
	return d.fakeDecoder.Decode(ctx, topic, key, value)
}

func TestBadRecordsAreDeadLetteredAndOutagesRetried(t *testing.T) {
	brokers := newKafka(t)
	target, pool := newTarget(t)
	const dlq = prefix + "._deadletter"
	adm, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if _, err := kadm.NewClient(adm).CreateTopic(context.Background(), 1, 1, nil, dlq); err != nil {
		t.Fatal(err)
	}
	rec := func(v string) *kgo.Record { return &kgo.Record{Topic: topics[0], Partition: 0, Value: []byte(v)} }
	produce(t, brokers, rec("c,1,ok,1"), rec("garbage"), rec("c,2,nul\x00here,2"), rec("c,3,fine,3"), rec("c,4,later,4"))
	cfg := testConfig(brokers, "g")
	cfg.DeadLetterTopic = dlq
	cfg.Poison = func(err error) bool { return errors.Is(err, errBadBytes) || apply.IsPoison(err) }
	cfg.Retry = retry.Policy{Window: time.Minute, Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := start(ctx, cfg, Deps{Logger: quiet, Decoder: &flakyDecoder{fakeDecoder: newDecoder(), outage: 3}, Applier: target})
	waitCaughtUp(t, target, "g", endOffsets(t, brokers), done)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := dumpTables(t, pool); got != "A 1 ok\nA 3 fine\nA 4 later\n" {
		t.Fatalf("target:\n%s", got)
	}
	// The two bad records are in the dead-letter topic, saying where they came from and why.
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{dlq: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var got []string
	pctx, pcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer pcancel()
	for len(got) < 2 {
		fs := cl.PollFetches(pctx)
		if pctx.Err() != nil {
			t.Fatalf("dead-letter topic holds %d records: %q", len(got), got)
		}
		fs.EachRecord(func(r *kgo.Record) {
			h := map[string]string{}
			for _, x := range r.Headers {
				h[x.Key] = string(x.Value)
			}
			got = append(got, fmt.Sprintf("%s/%s@%s %s %q %t", h[HeaderTopic], h[HeaderPartition], h[HeaderOffset], h[HeaderStage], r.Value,
				strings.Contains(h[HeaderError], "U+0000") || strings.Contains(h[HeaderError], "not Schema Registry framed")))
		})
	}
	p := strings.Split(got[0], "/")[1][:1] // produce picked one partition for all five
	want := []string{topics[0] + "/" + p + `@1 decode "garbage" true`, topics[0] + "/" + p + `@2 apply "c,2,nul\x00here,2" true`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("dead-lettered:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
