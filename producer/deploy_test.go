package main

import (
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/deploycheck"
)

var program = deploycheck.Program{Name: "producer", Settings: config.Describe(&Config{})}

// TestComposeRunsTheProducer checks compose/docker-compose.yml, loaded with
// compose-go, against the producer's settings (and its init SQL against
// the emulator's parser).
func TestComposeRunsTheProducer(t *testing.T) {
	deploycheck.Compose(t, "../compose/docker-compose.yml", program)
}

// TestKubernetesRunsTheProducer checks deploy/k8s: one replica per source,
// replaced by Recreate (the transactional id fences a second copy).
func TestKubernetesRunsTheProducer(t *testing.T) {
	m := deploycheck.LoadManifests(t, "../deploy/k8s/mssql2adb.yaml")
	sources := map[string]bool{}
	for _, d := range deploycheck.Kubernetes(t, m, program) {
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != "Recreate" {
			t.Errorf("Deployment %s: want replicas 1 and strategy Recreate: a second producer of one source is fenced", d.Name)
		}
		src := ""
		for _, c := range d.Spec.Template.Spec.Containers {
			for _, e := range c.Env {
				if e.Name == "SOURCE_NAME" {
					src = e.Value
				}
			}
		}
		if src == "" || sources[src] {
			t.Errorf("Deployment %s: each producer Deployment needs its own SOURCE_NAME (got %q)", d.Name, src)
		}
		sources[src] = true
	}
}
