// Package deploycheck checks the compose file and the Kubernetes manifests
// against a program's settings, for the programs' tests: every variable
// they set is one the program reads, every required one is set, secrets
// come from Secrets, ports and probes match HTTP_ADDR and the health
// endpoints, and the images agree. Only tests import it.
package deploycheck

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/mssqlemu/tsql"
)

// Program says what a check needs to know of one program.
type Program struct {
	Name     string           // producer or consumer: its binary is /usr/local/bin/<Name>
	Settings []config.Setting // config.Describe(&Config{})
}

func (p Program) binary() string { return "/usr/local/bin/" + p.Name }

func (p Program) setting(name string) (config.Setting, bool) {
	for _, s := range p.Settings {
		if s.Name == name {
			return s, true
		}
	}
	return config.Setting{}, false
}

// httpPort is the port of HTTP_ADDR as set in env, or of its default.
func (p Program) httpPort(t testing.TB, env map[string]string) int {
	t.Helper()
	addr, ok := env["HTTP_ADDR"]
	if !ok {
		s, _ := p.setting("HTTP_ADDR")
		addr = s.Default
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s: HTTP_ADDR %q: %v", p.Name, addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("%s: HTTP_ADDR %q: %v", p.Name, addr, err)
	}
	return n
}

// checkEnv reports variables the program does not read and required
// settings missing from env.
func (p Program) checkEnv(t testing.TB, where string, env map[string]string) {
	t.Helper()
	for name := range env {
		if _, ok := p.setting(name); !ok {
			t.Errorf("%s sets %s, which the %s does not read", where, name, p.Name)
		}
	}
	for _, s := range p.Settings {
		if _, ok := env[s.Name]; s.Required && !ok {
			t.Errorf("%s does not set %s, which the %s requires", where, s.Name, p.Name)
		}
	}
	if d, ok := env["SHUTDOWN_TIMEOUT"]; ok {
		if _, err := time.ParseDuration(d); err != nil {
			t.Errorf("%s: SHUTDOWN_TIMEOUT %q: %v", where, d, err)
		}
	}
}

// Compose checks the services of the compose file at path that run p.
func Compose(t *testing.T, path string, p Program) {
	t.Helper()
	proj := LoadCompose(t, path)
	found := 0
	for name, svc := range proj.Services {
		if len(svc.Command) == 0 || svc.Command[0] != p.binary() {
			continue
		}
		found++
		where := "compose service " + name
		env := map[string]string{}
		for k, v := range svc.Environment {
			if v == nil {
				t.Errorf("%s: %s has no value", where, k)
				continue
			}
			env[k] = *v
		}
		p.checkEnv(t, where, env)
		port := p.httpPort(t, env)
		published := false
		for _, pc := range svc.Ports {
			published = published || int(pc.Target) == port
		}
		if !published {
			t.Errorf("%s: HTTP_ADDR port %d (metrics, /healthz, /readyz) is not among its ports %v", where, port, svc.Ports)
		}
		if svc.Build == nil || svc.Image == "" {
			t.Errorf("%s: wants both build (from deploy/Dockerfile) and image (shared with the other program)", where)
		} else if _, err := os.Stat(filepath.Join(svc.Build.Context, svc.Build.Dockerfile)); err != nil {
			t.Errorf("%s: build: %v", where, err)
		}
	}
	if found == 0 {
		t.Fatalf("%s: no service runs %s", path, p.binary())
	}
}

// LoadCompose loads a compose file as docker compose would with an empty
// environment (so the defaults of ${VAR:-default} apply), and checks what
// does not depend on a program: health checks for the dependencies waited
// on, one image per build, and that SQL files mounted into a SQL Server
// image parse with the emulator's parser.
func LoadCompose(t *testing.T, path string) *types.Project {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	proj, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("mssql2adb", true) })
	if err != nil {
		t.Fatalf("compose-go cannot load %s: %v", path, err)
	}
	images := map[string]string{} // image → build context+dockerfile
	for name, svc := range proj.Services {
		for dep, d := range svc.DependsOn {
			if d.Condition == types.ServiceConditionHealthy && proj.Services[dep].HealthCheck == nil {
				t.Errorf("compose service %s waits for %s to be healthy, which has no healthcheck", name, dep)
			}
		}
		if svc.Build != nil {
			b := svc.Build.Context + "|" + svc.Build.Dockerfile
			if prev, ok := images[svc.Image]; ok && prev != b {
				t.Errorf("compose image %s is built from two places: %s and %s", svc.Image, prev, b)
			}
			images[svc.Image] = b
		}
		for _, v := range svc.Volumes {
			if strings.HasSuffix(v.Source, ".sql") && strings.Contains(svc.Image, "mssql") {
				CheckTSQL(t, v.Source)
			}
		}
	}
	return proj
}

var goLine = regexp.MustCompile(`(?im)^\s*GO\s*$`)

// CheckTSQL parses every batch (separated by GO lines, as sqlcmd does) of
// the SQL Server script at path with the emulator's T-SQL parser.
func CheckTSQL(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, batch := range goLine.Split(string(b), -1) {
		if strings.TrimSpace(stripComments(batch)) == "" {
			continue
		}
		n++
		if _, err := tsql.Parse(batch); err != nil {
			t.Errorf("%s: batch %d does not parse: %v\n%s", path, i+1, err, batch)
		}
	}
	if n == 0 {
		t.Errorf("%s holds no SQL", path)
	}
}

func stripComments(s string) string {
	var b bytes.Buffer
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			fmt.Fprintln(&b, line)
		}
	}
	return b.String()
}
