// Command bench is `make bench`: in one run on the embedded stack (kfake,
// the embedded schema registry, a throwaway PostgreSQL) it measures, for the
// same generated rows, PostgreSQL's binary COPY (the ceiling), a
// row-at-a-time INSERT … ON CONFLICT baseline, the producer's path from
// change events to acknowledged Kafka records, and the consumer program
// (bin/consumer, a separate process) applying insert-only, update-heavy and
// delete-mixed streams. It prints one table and writes it as JSON.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mssql2adb/mssql2adb/internal/kafka/kafkatest"
	"github.com/mssql2adb/mssql2adb/internal/pgcluster"
	"github.com/mssql2adb/mssql2adb/internal/registry"
)

type options struct {
	rows         int
	baselineRows int
	partitions   int
	consumer     string
	jsonPath     string
	only         string
	largeRows    int
	producer     string
	snapshotRows int
	heapProfile  string // the snapshot run writes this process's heap profile here
	memoryLimit  int    // MiB: this process's soft memory limit, 0 for none
	consumers    int
	// The latency run: events/s written to the source, for how long.
	latencyRate     int
	latencyDuration time.Duration
	// The network run: the round trip put between the programs and PostgreSQL.
	targetRTT time.Duration
}

// Result is one row of the table.
type Result struct {
	What    string  `json:"what"`
	Rows    int     `json:"rows"` // rows or events processed
	Seconds float64 `json:"seconds"`
	PerSec  float64 `json:"per_sec"`
	Ceiling float64 `json:"x_ceiling,omitempty"` // PerSec / the ceiling's
	PeakRSS int64   `json:"peak_rss_bytes,omitempty"`
	// CPUSeconds is the consumer processes' CPU time (user and system)
	// until the last offset was stored.
	CPUSeconds float64            `json:"cpu_seconds,omitempty"`
	Phases     map[string]float64 `json:"phase_seconds,omitempty"`
	Latency    *Latency           `json:"latency,omitempty"`
	Note       string             `json:"note,omitempty"`

	vsCeiling bool // rows written into the target: compared with the ceiling
	baseline  bool // the row-at-a-time baseline
	consumer  bool // the consumer program applying a topic
	remote    bool // through the network run's proxy
}

// Report is the JSON file.
type Report struct {
	Started    time.Time `json:"started"`
	Rows       int       `json:"rows"`
	Partitions int       `json:"partitions"`
	GoMaxProcs string    `json:"cores"`
	Results    []Result  `json:"results"`
}

// envInt is the positive whole number in environment variable name, or def
// when it is unset or empty; any other value stops the bench, naming it.
func envInt(name string, def int) int { return must(parseEnvInt(name, os.Getenv(name), def)) }

// envDuration is the duration (at least 0) in environment variable name,
// or def when it is unset or empty; any other value stops the bench.
func envDuration(name string, def time.Duration) time.Duration {
	return must(parseEnvDuration(name, os.Getenv(name), def))
}

func parseEnvInt(name, v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive whole number, or nothing for %d", name, v, def)
	}
	return n, nil
}

func parseEnvDuration(name, v string, def time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q: want a duration of at least 0 such as 1ms or 30s, or nothing for %s", name, v, def)
	}
	return d, nil
}

// must stops the bench with err, before anything is measured.
func must[T any](v T, err error) T {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	return v
}

func main() {
	var o options
	flag.IntVar(&o.rows, "rows", envInt("BENCH_ROWS", 1_000_000), "rows (events) per measurement; BENCH_ROWS")
	flag.IntVar(&o.baselineRows, "baseline-rows", envInt("BENCH_BASELINE_ROWS", 100_000), "rows of the row-at-a-time baseline (it is slow), at most -rows; BENCH_BASELINE_ROWS")
	flag.IntVar(&o.largeRows, "large-rows", envInt("BENCH_LARGE_ROWS", 200), "rows of 3 MB values in the large-values run; BENCH_LARGE_ROWS")
	flag.IntVar(&o.partitions, "partitions", 3, "partitions per change topic")
	flag.IntVar(&o.snapshotRows, "snapshot-rows", envInt("BENCH_SNAPSHOT_ROWS", 200_000), "rows of the table the producer snapshots from the SQL Server emulator (the source run then updates them once each; the snapshot run only snapshots them and applies the snapshot); BENCH_SNAPSHOT_ROWS")
	flag.IntVar(&o.latencyRate, "latency-rate", envInt("BENCH_LATENCY_RATE", 5000), "events/s written to the source in the latency run; BENCH_LATENCY_RATE")
	flag.DurationVar(&o.latencyDuration, "latency-duration", time.Duration(envInt("BENCH_LATENCY_SECONDS", 30))*time.Second, "how long the latency run writes; BENCH_LATENCY_SECONDS")
	flag.IntVar(&o.consumers, "consumers", envInt("BENCH_CONSUMERS", 3), "the scale-out run applies the same rows with 1 to this many consumer processes; BENCH_CONSUMERS")
	flag.DurationVar(&o.targetRTT, "target-rtt", envDuration("BENCH_TARGET_RTT", time.Millisecond), "the network run puts this round trip between the programs and PostgreSQL; BENCH_TARGET_RTT (0: no network run)")
	flag.StringVar(&o.consumer, "consumer", "bin/consumer", "the consumer program to run")
	flag.StringVar(&o.producer, "producer", "bin/producer", "the producer program to run")
	flag.StringVar(&o.jsonPath, "json", "bench.json", "where to write the results as JSON")
	flag.StringVar(&o.only, "only", "", "comma-separated subset: ceiling, upsert, baseline, insert-only, update-heavy, delete-mixed, large-values, source, scale-out, network, latency; or snapshot, a run only named here (-snapshot-rows loaded, snapshotted, applied and counted, with each program's peak RSS)")
	flag.IntVar(&o.memoryLimit, "memory-limit", 0, "a soft memory limit for this process only, in MiB (Go's debug.SetMemoryLimit; the programs measured do not inherit it): the emulator and Kafka hold the whole table and topic here, so that a large snapshot run collects garbage before the machine runs out")
	flag.StringVar(&o.heapProfile, "heap-profile", "", "the snapshot run writes this process's heap profile (the emulator and Kafka holding the table and the topic) to this file after the snapshot")
	flag.Parse()
	o.baselineRows = min(o.baselineRows, o.rows)
	if o.memoryLimit > 0 {
		debug.SetMemoryLimit(int64(o.memoryLimit) << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func (o options) want(name string) bool {
	if o.only == "" {
		return true
	}
	return o.named(name)
}

// named reports whether -only names the run: extra runs, not in the
// default list, run only then.
func (o options) named(name string) bool {
	for _, s := range strings.Split(o.only, ",") {
		if strings.TrimSpace(s) == name {
			return true
		}
	}
	return false
}

func run(ctx context.Context, o options) error {
	for _, p := range []string{o.consumer, o.producer} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("program: %w (run make build)", err)
		}
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	slog.SetDefault(log)
	broker, err := kafkatest.StartBroker(ctx, "127.0.0.1:0", int(o.partitions))
	if err != nil {
		return fmt.Errorf("start Kafka: %w", err)
	}
	defer broker.Close()
	brokers := broker.Addrs()
	reg, err := registry.New(ctx, registry.Config{Brokers: brokers, Topic: "_bench_schemas", Logger: log})
	if err == nil {
		err = reg.Start(ctx, "127.0.0.1:0")
	}
	if err != nil {
		return fmt.Errorf("start schema registry: %w", err)
	}
	defer reg.Close()
	pg, err := pgcluster.Start(ctx, pgcluster.Options{})
	if err != nil {
		return fmt.Errorf("start PostgreSQL: %w", err)
	}
	defer pg.Stop()
	env := stack{brokers: brokers, registry: "http://" + reg.Addr(), pg: pg}

	rep := Report{Started: time.Now().UTC(), Rows: o.rows, Partitions: o.partitions, GoMaxProcs: strconv.Itoa(numCPU())}
	progress := func(r Result) {
		rep.Results = append(rep.Results, r)
		rss := ""
		if r.PeakRSS > 0 {
			// Shown as it happens: a long run can be stopped once its rows are in.
			rss = fmt.Sprintf(", peak RSS %d MiB", r.PeakRSS>>20)
		}
		fmt.Fprintf(os.Stderr, "bench: %s: %.0f/s in %.1fs%s\n", r.What, r.PerSec, r.Seconds, rss)
	}
	var ceiling float64
	if o.want("ceiling") {
		r, err := medianCeiling(ctx, env, o.rows)
		if err != nil {
			return fmt.Errorf("ceiling: %w", err)
		}
		ceiling = r.PerSec
		progress(r)
	}
	if o.want("upsert") {
		r, err := stagedUpsert(ctx, env, o.rows)
		if err != nil {
			return fmt.Errorf("upsert: %w", err)
		}
		progress(r)
	}
	if o.want("baseline") {
		r, err := rowAtATime(ctx, env, "baseline", o.baselineRows)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		progress(r)
	}
	for i, w := range workloads {
		if !o.want(w.name) {
			continue
		}
		prefix := fmt.Sprintf("bench%d", i)
		pr, err := produce(ctx, env, prefix, w, o)
		if err != nil {
			return fmt.Errorf("%s: produce: %w", w.name, err)
		}
		progress(pr)
		cr, err := consume(ctx, env, prefix, w, o)
		if err != nil {
			return fmt.Errorf("%s: consume: %w", w.name, err)
		}
		progress(cr)
	}
	if o.want("source") {
		if err := fromSource(ctx, env, o, progress); err != nil {
			return fmt.Errorf("producer from the emulator: %w", err)
		}
	}
	if o.named("snapshot") {
		if err := snapshotOnly(ctx, env, o, progress); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	if o.want("scale-out") {
		if err := scaleOut(ctx, env, o, progress); err != nil {
			return fmt.Errorf("scale-out: %w", err)
		}
	}
	if o.want("network") && o.targetRTT > 0 {
		if err := overNetwork(ctx, env, o, progress); err != nil {
			return fmt.Errorf("over a network: %w", err)
		}
	}
	if o.want("latency") {
		r, err := latency(ctx, env, o)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		progress(r)
	}
	for i := range rep.Results {
		if r := &rep.Results[i]; ceiling > 0 && r.PerSec > 0 && r.vsCeiling {
			r.Ceiling = r.PerSec / ceiling
		}
	}
	// The consumer next to the row-at-a-time baseline on the same machine
	// (the network run says its own).
	var baseline float64
	for _, r := range rep.Results {
		if r.baseline && !r.remote {
			baseline = r.PerSec
		}
	}
	for i := range rep.Results {
		if r := &rep.Results[i]; baseline > 0 && r.vsCeiling && r.consumer && !r.remote {
			r.Note += fmt.Sprintf("; %.1f × the row-at-a-time baseline", r.PerSec/baseline)
		}
	}
	printTable(rep)
	if o.jsonPath != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Printf("\nwritten to %s\n", o.jsonPath)
	}
	return nil
}

var phaseOrder = []string{"fetch", "decode", "prepare", "compact", "copy", "merge", "commit"}

func printTable(rep Report) {
	fmt.Printf("\n%d rows per run, %d partitions, %s cores, %s\n\n", rep.Rows, rep.Partitions, rep.GoMaxProcs, rep.Started.Format(time.RFC3339))
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "what\trows\tseconds\trows/s\t× COPY\tpeak RSS MiB\twhere the time goes\t")
	for _, r := range rep.Results {
		x, rss := "", ""
		if r.Ceiling > 0 {
			x = fmt.Sprintf("%.2f", r.Ceiling)
		}
		if r.PeakRSS > 0 {
			rss = fmt.Sprintf("%d", r.PeakRSS>>20)
		}
		var ph []string
		for _, p := range phaseOrder {
			if s, ok := r.Phases[p]; ok {
				ph = append(ph, fmt.Sprintf("%s %.1fs", p, s))
			}
		}
		where := strings.Join(ph, ", ")
		if r.Note != "" {
			where = strings.TrimPrefix(where+"; "+r.Note, "; ")
		}
		fmt.Fprintf(w, "%s\t%d\t%.1f\t%.0f\t%s\t%s\t%s\t\n", r.What, r.Rows, r.Seconds, r.PerSec, x, rss, where)
	}
	w.Flush()
}
