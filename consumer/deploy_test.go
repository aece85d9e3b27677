package main

import (
	"testing"

	"github.com/mssql2adb/mssql2adb/internal/config"
	"github.com/mssql2adb/mssql2adb/internal/deploycheck"
	"k8s.io/apimachinery/pkg/labels"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var program = deploycheck.Program{Name: "consumer", Settings: config.Describe(&Config{})}

// TestComposeRunsTheConsumer checks compose/docker-compose.yml, loaded with
// compose-go, against the consumer's settings: several replicas.
func TestComposeRunsTheConsumer(t *testing.T) {
	deploycheck.Compose(t, "../compose/docker-compose.yml", program)
	proj := deploycheck.LoadCompose(t, "../compose/docker-compose.yml")
	svc := proj.Services["consumer"]
	if svc.Deploy == nil || svc.Deploy.Replicas == nil || *svc.Deploy.Replicas < 2 {
		t.Errorf("compose: the consumer should run several replicas")
	}
}

// TestKubernetesRunsTheConsumer checks deploy/k8s: a Deployment scaled by
// a HorizontalPodAutoscaler on lag, with a PodDisruptionBudget.
func TestKubernetesRunsTheConsumer(t *testing.T) {
	m := deploycheck.LoadManifests(t, "../deploy/k8s/mssql2adb.yaml")
	for _, d := range deploycheck.Kubernetes(t, m, program) {
		hpa := false
		for _, h := range m.HPAs {
			if h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != d.Name {
				continue
			}
			hpa = true
			for _, mt := range h.Spec.Metrics {
				if mt.External == nil || mt.External.Metric.Name != "mssql2adb_consumer_lag_records" {
					t.Errorf("HPA %s: want the external metric mssql2adb_consumer_lag_records (the consumer's lag)", h.Name)
				}
			}
		}
		if !hpa {
			t.Errorf("Deployment %s: no HorizontalPodAutoscaler scales it", d.Name)
		}
		pdb := false
		for _, p := range m.PDBs {
			sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
			pdb = pdb || err == nil && sel.Matches(labels.Set(d.Spec.Template.Labels))
		}
		if !pdb {
			t.Errorf("Deployment %s: no PodDisruptionBudget selects its pods", d.Name)
		}
	}
}
