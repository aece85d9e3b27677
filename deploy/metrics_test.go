// Package deploy_test checks the files under deploy/ against the programs:
// the Grafana dashboard and the Prometheus alert rules reference only
// metrics the programs export, and the Kubernetes manifests agree with the
// programs' settings, ports and health endpoints.
package deploy_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v3"

	"github.com/mssql2adb/mssql2adb/internal/obs"
	"github.com/mssql2adb/mssql2adb/internal/publish"
	"github.com/mssql2adb/mssql2adb/internal/sink"
	"github.com/mssql2adb/mssql2adb/internal/source"
)

// describing is a Registerer that remembers the name of every metric
// registered on it, histograms included even before any observation.
type describing struct {
	reg   *prometheus.Registry
	names map[string]bool
}

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (d *describing) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		// Desc has no accessor for its name; its String form is stable.
		if m := fqName.FindStringSubmatch(desc.String()); m != nil {
			d.names[m[1]] = true
		}
	}
	return d.reg.Register(c)
}

func (d *describing) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := d.Register(c); err != nil {
			panic(err)
		}
	}
}

func (d *describing) Unregister(c prometheus.Collector) bool { return d.reg.Unregister(c) }

// exported returns every metric name the producer and the consumer serve on
// /metrics, registered as their main functions register them.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	d := &describing{reg: prometheus.NewRegistry(), names: map[string]bool{}}
	// The producer's.
	publish.NewMetrics(d)
	source.RegisterMetrics(d, func() source.Progress { return source.Progress{} })
	obs.NewRetries(d, "producer")
	// The consumer's.
	sink.NewMetrics(d)
	obs.NewRetries(d, "consumer")
	// A histogram is served as <name>_bucket, _sum and _count. Gather
	// shows the type of every metric without labels (obs.NewRegistry's Go
	// and process collectors are on a registry of their own: they are
	// registered once per process).
	for _, g := range []prometheus.Gatherer{obs.NewRegistry(), d.reg} {
		mfs, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			d.names[mf.GetName()] = true
			if mf.GetType() == dto.MetricType_HISTOGRAM || mf.GetType() == dto.MetricType_SUMMARY {
				for _, s := range []string{"_bucket", "_sum", "_count"} {
					d.names[mf.GetName()+s] = true
				}
			}
		}
	}
	return d.names
}

var (
	promStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promMatchers = regexp.MustCompile(`\{[^{}]*\}`)
	promRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promNumbers  = regexp.MustCompile(`\b\d[\w.]*`) // 10000, 0.99, 5m
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*\s*\(?`)
	promKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true, "without": true}
)

// metricNames returns the metric names a PromQL expression selects: what is
// left when strings, label matchers, ranges, grouping clauses, function
// calls, keywords and numbers are taken away.
func metricNames(expr string) []string {
	s := promStrings.ReplaceAllString(expr, `""`)
	s = strings.ReplaceAll(s, "$__rate_interval", "5m")
	s = strings.ReplaceAll(s, "$__range", "1h")
	s = promMatchers.ReplaceAllString(s, " ")
	s = promRanges.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	s = promNumbers.ReplaceAllString(s, " ")
	var out []string
	for _, m := range promIdent.FindAllString(s, -1) {
		if m = strings.TrimSpace(m); strings.HasSuffix(m, "(") || promKeywords[m] {
			continue // a function, or sum/avg/... before its argument
		}
		out = append(out, m)
	}
	return out
}

func TestMetricNamesOfAnExpression(t *testing.T) {
	got := metricNames(`sum by (table, op) (rate(mssql2adb_producer_events_total{job=~"a|b"}[$__rate_interval])) > 0 and on (x) up_metric offset 5m`)
	if want := []string{"mssql2adb_producer_events_total", "up_metric"}; !slices.Equal(got, want) {
		t.Fatalf("metricNames = %q, want %q", got, want)
	}
}

// TestDashboardAndAlertsUseExportedMetrics keeps deploy/grafana and
// deploy/prometheus true to the programs: every metric their expressions
// select is one the producer or the consumer exports.
func TestDashboardAndAlertsUseExportedMetrics(t *testing.T) {
	names := exported(t)
	exprs := map[string][]string{} // file → expressions
	var dash any
	b, err := os.ReadFile("grafana/mssql2adb-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	collectExprs(dash, func(e string) { exprs["dashboard"] = append(exprs["dashboard"], e) })
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	b, err = os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("alerts.yml: a rule without alert name or expr: %+v", r)
			}
			exprs["alerts"] = append(exprs["alerts"], r.Expr)
		}
	}
	if len(exprs["dashboard"]) < 10 || len(exprs["alerts"]) < 5 {
		t.Fatalf("found %d dashboard and %d alert expressions; the files lost their content?", len(exprs["dashboard"]), len(exprs["alerts"]))
	}
	used := map[string]bool{}
	for file, es := range exprs {
		for _, e := range es {
			if strings.Count(e, "(") != strings.Count(e, ")") || strings.Count(e, "{") != strings.Count(e, "}") {
				t.Errorf("%s: unbalanced brackets in %s", file, e)
			}
			ms := metricNames(e)
			if len(ms) == 0 {
				t.Errorf("%s: %s selects no metric", file, e)
			}
			for _, m := range ms {
				used[m] = true
				if !names[m] {
					t.Errorf("%s: %s uses %s, which neither program exports", file, e, m)
				}
			}
		}
	}
	// Each of the subjects has a panel or a rule.
	for _, m := range []string{"mssql2adb_producer_events_total", "mssql2adb_producer_snapshot_rows_done", "mssql2adb_consumer_source_lag_seconds",
		"mssql2adb_consumer_lag_records", "mssql2adb_consumer_retries_total", "mssql2adb_producer_retries_total", "mssql2adb_consumer_dead_letter_records_total"} {
		if !used[m] {
			t.Errorf("nothing in deploy/ shows %s", m)
		}
	}
}

// collectExprs calls f with every "expr" string in a decoded JSON document.
func collectExprs(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "expr" {
				f(s)
				continue
			}
			collectExprs(x, f)
		}
	case []any:
		for _, x := range v {
			collectExprs(x, f)
		}
	}
}
