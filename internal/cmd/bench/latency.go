package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mssql2adb/mssql2adb/internal/apply"
	"github.com/mssql2adb/mssql2adb/internal/kafka"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu"
)

// Latency is the spread of the time from a source commit to the moment its
// rows can be read in the target.
type Latency struct {
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
	// Transactions measured, and the rate the source was written at.
	Transactions int     `json:"transactions"`
	Rate         float64 `json:"events_per_sec"`
	// The part from the source commit until the records are committed in
	// Kafka (capture, the producer's poll, its Kafka transaction).
	KafkaP50 float64 `json:"to_kafka_p50_ms"`
	KafkaP99 float64 `json:"to_kafka_p99_ms"`
}

// latencyTick is how often the writer commits: rate/50 rows per
// transaction at 50 transactions a second.
const latencyTick = 20 * time.Millisecond

// latency runs bin/producer and bin/consumer with their default settings
// on an empty captured table of the emulator, writes rows into it at
// -latency-rate events/s for -latency-seconds, and times each transaction
// from its commit until a reader of the target sees all of its rows.
func latency(ctx context.Context, env stack, o options) (Result, error) {
	emu, err := startEmulator(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("start the SQL Server emulator: %w", err)
	}
	defer emu.Close()
	const table, prefix, db = "Lat", "benchlat", "latency"
	src, err := newSource(ctx, emu, prefix)
	if err == nil {
		err = src.createTable(ctx, table, false)
	}
	if err == nil {
		err = src.enableCDC(ctx, table)
	}
	if err != nil {
		return Result{}, err
	}
	if err := env.pg.CreateDatabase(ctx, db); err != nil {
		return Result{}, err
	}
	tt, err := apply.TargetTableFor(benchTable("dbo", table))
	if err != nil {
		return Result{}, err
	}
	stopProducer, err := startProgram(ctx, o.producer, producerEnv(env, o, src, prefix))
	if err != nil {
		return Result{}, err
	}
	defer stopProducer()
	stopConsumer, err := startProgram(ctx, o.consumer, consumerEnv(env, prefix, db, "127.0.0.1:0"))
	if err != nil {
		return Result{}, err
	}
	defer stopConsumer()
	conn, err := connectRetry(ctx, env.pg.DSN(db))
	if err != nil {
		return Result{}, err
	}
	defer conn.Close(ctx)

	// One row first: the programs have started, the topic and the target
	// table exist, before anything is timed.
	if err := src.exec(ctx, insertStatement(table, 0, 1)); err != nil {
		return Result{}, err
	}
	if err := waitVisible(ctx, conn, tt, 0, 1, time.Now().Add(2*time.Minute)); err != nil {
		return Result{}, fmt.Errorf("the first row did not reach the target: %w", err)
	}

	topic := prefix + "." + prefix + ".dbo." + table
	seen, err := watchKafka(ctx, env, topic)
	if err != nil {
		return Result{}, err
	}
	defer seen.close()
	per := max(int(float64(o.latencyRate)*latencyTick.Seconds()), 1)
	type txn struct {
		lo, hi    int
		committed time.Time
	}
	txns := make(chan txn, 1<<16)
	werr := make(chan error, 1)
	wctx, stopWriting := context.WithTimeout(ctx, o.latencyDuration)
	defer stopWriting()
	began := time.Now()
	go func() {
		defer close(txns)
		tick := time.NewTicker(latencyTick)
		defer tick.Stop()
		for next := 1; ; next += per {
			select {
			case <-wctx.Done():
				werr <- nil
				return
			case <-tick.C:
			}
			if err := src.exec(wctx, insertStatement(table, next, next+per)); err != nil {
				if wctx.Err() != nil {
					werr <- nil
				} else {
					werr <- err
				}
				return
			}
			txns <- txn{next, next + per, time.Now()}
		}
	}()
	var took, toKafka []float64
	rows := 0
	var last time.Time // the last commit
	for t := range txns {
		if err := waitVisible(ctx, conn, tt, t.lo, t.hi, time.Now().Add(time.Minute)); err != nil {
			return Result{}, fmt.Errorf("rows %d to %d: %w", t.lo, t.hi-1, err)
		}
		took = append(took, ms(time.Since(t.committed)))
		if at, ok := seen.last(t.lo, t.hi); ok {
			toKafka = append(toKafka, ms(at.Sub(t.committed)))
		}
		rows += t.hi - t.lo
		last = t.committed
	}
	if err := <-werr; err != nil {
		return Result{}, fmt.Errorf("write the source: %w", err)
	}
	if len(took) == 0 {
		return Result{}, errors.New("no transaction was written")
	}
	wrote := last.Sub(began)
	l := percentiles(took)
	l.Transactions, l.Rate = len(took), float64(rows)/wrote.Seconds()
	k := percentiles(toKafka)
	l.KafkaP50, l.KafkaP99 = k.P50, k.P99
	note := fmt.Sprintf("source commit to rows readable in the target: p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms over %d transactions of %d rows"+
		" (%.0f events/s reached); of which commit to committed in Kafka p50 %.0f ms, p99 %.0f ms, the emulator's capture delay (%s) included",
		l.P50, l.P95, l.P99, l.Max, l.Transactions, per, l.Rate, k.P50, k.P99, mssqlemu.DefaultCaptureDelay)
	return Result{What: fmt.Sprintf("end-to-end latency at %d events/s, default settings", o.latencyRate), Rows: rows,
		Seconds: wrote.Seconds(), PerSec: l.Rate, Latency: l, Note: note}, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// percentiles of the values v (sorted in place); zero without values.
func percentiles(v []float64) *Latency {
	if len(v) == 0 {
		return &Latency{}
	}
	slices.Sort(v)
	pct := func(p float64) float64 { return v[min(int(p*float64(len(v))), len(v)-1)] }
	return &Latency{P50: pct(0.50), P95: pct(0.95), P99: pct(0.99), Max: v[len(v)-1]}
}

// kafkaWatch records when each key of a change topic (a bigint Id) became
// readable to a read_committed consumer.
type kafkaWatch struct {
	mu    sync.Mutex
	at    map[int64]time.Time
	close func()
}

func watchKafka(ctx context.Context, env stack, topic string) (*kafkaWatch, error) {
	cl, err := kgo.NewClient(append(kafka.ClientOpts(env.brokers), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxWait(10*time.Millisecond))...)
	if err != nil {
		return nil, err
	}
	w := &kafkaWatch{at: map[int64]time.Time{}}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	w.close = func() { cancel(); <-done; cl.Close() }
	go func() {
		defer close(done)
		for wctx.Err() == nil {
			fs := cl.PollFetches(wctx)
			now := time.Now()
			w.mu.Lock()
			fs.EachRecord(func(r *kgo.Record) {
				// Confluent framing (magic byte, schema id), then the
				// Avro long of the key: a zig-zag varint.
				if len(r.Key) > 5 {
					if id, n := binary.Varint(r.Key[5:]); n > 0 {
						w.at[id] = now
					}
				}
			})
			w.mu.Unlock()
		}
	}()
	return w, nil
}

// last is when the last of keys [lo, hi) was seen, if all were.
func (w *kafkaWatch) last(lo, hi int) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var last time.Time
	for id := lo; id < hi; id++ {
		at, ok := w.at[int64(id)]
		if !ok {
			return time.Time{}, false
		}
		if at.After(last) {
			last = at
		}
	}
	return last, true
}

// waitVisible polls the target until it holds every row of ids [lo, hi).
func waitVisible(ctx context.Context, conn *pgx.Conn, tt *apply.TargetTable, lo, hi int, deadline time.Time) error {
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE %s >= $1 AND %s < $2", tt.Ident(), pgx.Identifier{tt.Key[0]}.Sanitize(), pgx.Identifier{tt.Key[0]}.Sanitize())
	for {
		var n int
		err := conn.QueryRow(ctx, q, lo, hi).Scan(&n)
		if err == nil && n == hi-lo {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not in the target by the deadline (last: %d rows, %v)", n, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func producerEnv(env stack, o options, src source, prefix string) []string {
	return []string{"MSSQL_DSN=" + src.emu.DSN(src.db), "KAFKA_BROKERS=" + strings.Join(env.brokers, ","), "SCHEMA_REGISTRY_URL=" + env.registry,
		"TOPIC_PREFIX=" + prefix, "STATE_TOPIC=" + prefix + "._state", "LOG_LEVEL=warn", "HEARTBEAT_TABLE=off",
		"HTTP_ADDR=127.0.0.1:0", fmt.Sprintf("TOPIC_PARTITIONS=%d", o.partitions)}
}

func consumerEnv(env stack, prefix, db, addr string) []string {
	return []string{"KAFKA_BROKERS=" + strings.Join(env.brokers, ","), "SCHEMA_REGISTRY_URL=" + env.registry, "TARGET_DSN=" + env.dsn(db),
		"TOPIC_PREFIX=" + prefix, "GROUP_ID=" + prefix + "-" + db, "HTTP_ADDR=" + addr, "LOG_LEVEL=warn", "BAD_RECORDS=stop"}
}

// startProgram starts bin with vars (and this process's environment, so
// that settings given to make bench reach it); stop ends it.
func startProgram(ctx context.Context, bin string, vars []string) (stop func(), err error) {
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), vars...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	return func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}, nil
}
