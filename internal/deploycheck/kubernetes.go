package deploycheck

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// Manifests are the objects of a multi-document Kubernetes YAML file,
// decoded strictly (an unknown field fails) into the API types.
type Manifests struct {
	Secrets     map[string]*corev1.Secret
	ConfigMaps  map[string]*corev1.ConfigMap
	Deployments []*appsv1.Deployment
	HPAs        []*autoscalingv2.HorizontalPodAutoscaler
	PDBs        []*policyv1.PodDisruptionBudget
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

// LoadManifests decodes the file at path; any kind it does not know fails.
func LoadManifests(t *testing.T, path string) *Manifests {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifests{Secrets: map[string]*corev1.Secret{}, ConfigMaps: map[string]*corev1.ConfigMap{}}
	for i, doc := range docSep.Split(string(b), -1) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("%s document %d: %v", path, i+1, err)
		}
		if tm.Kind == "" && len(bytes.TrimSpace(stripYAMLComments([]byte(doc)))) == 0 {
			continue
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "v1 Secret":
			s := &corev1.Secret{}
			obj, m.Secrets[name(t, doc)] = s, s
		case "v1 ConfigMap":
			c := &corev1.ConfigMap{}
			obj, m.ConfigMaps[name(t, doc)] = c, c
		case "apps/v1 Deployment":
			d := &appsv1.Deployment{}
			obj, m.Deployments = d, append(m.Deployments, d)
		case "autoscaling/v2 HorizontalPodAutoscaler":
			h := &autoscalingv2.HorizontalPodAutoscaler{}
			obj, m.HPAs = h, append(m.HPAs, h)
		case "policy/v1 PodDisruptionBudget":
			p := &policyv1.PodDisruptionBudget{}
			obj, m.PDBs = p, append(m.PDBs, p)
		default:
			t.Fatalf("%s document %d: unexpected %s %s", path, i+1, tm.APIVersion, tm.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("%s document %d (%s): %v", path, i+1, tm.Kind, err)
		}
	}
	return m
}

func name(t *testing.T, doc string) string {
	var om struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal([]byte(doc), &om); err != nil || om.Metadata.Name == "" {
		t.Fatalf("an object without a name: %v", err)
	}
	return om.Metadata.Name
}

func stripYAMLComments(b []byte) []byte {
	return regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAll(b, nil)
}

// Kubernetes checks the Deployments of m that run p, and returns them.
func Kubernetes(t *testing.T, m *Manifests, p Program) []*appsv1.Deployment {
	t.Helper()
	var out []*appsv1.Deployment
	for _, d := range m.Deployments {
		spec := d.Spec.Template.Spec
		for _, c := range spec.Containers {
			if len(c.Command) == 0 || c.Command[0] != p.binary() {
				continue
			}
			out = append(out, d)
			where := "Deployment " + d.Name + " container " + c.Name
			env := m.containerEnv(t, where, p, c)
			p.checkEnv(t, where, env)
			port := p.httpPort(t, env)
			var portName string
			for _, cp := range c.Ports {
				if int(cp.ContainerPort) == port {
					portName = cp.Name
				}
			}
			if portName == "" {
				t.Errorf("%s: no containerPort %d (HTTP_ADDR)", where, port)
			}
			checkProbe(t, where+" liveness", c.LivenessProbe, "/healthz", port, portName)
			checkProbe(t, where+" readiness", c.ReadinessProbe, "/readyz", port, portName)
			if a := d.Spec.Template.Annotations["prometheus.io/port"]; a != strconv.Itoa(port) {
				t.Errorf("%s: annotation prometheus.io/port %q, want %d", where, a, port)
			}
			sc := spec.SecurityContext
			if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
				t.Errorf("%s: the pod must run as a non-root user (runAsNonRoot, runAsUser)", where)
			}
			if c.SecurityContext == nil || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
				t.Errorf("%s: allowPrivilegeEscalation must be false", where)
			}
			timeout := 30 * time.Second
			if v, ok := env["SHUTDOWN_TIMEOUT"]; ok {
				timeout, _ = time.ParseDuration(v)
			}
			if g := spec.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= timeout {
				t.Errorf("%s: terminationGracePeriodSeconds must exceed SHUTDOWN_TIMEOUT %s, so the program stops by itself", where, timeout)
			}
			sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
			if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				t.Errorf("Deployment %s: its selector does not select its pods (%v)", d.Name, err)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no Deployment runs %s", p.binary())
	}
	return out
}

// containerEnv is every variable a container gets, with its value (""
// for one from a Secret), checking that Secret and ConfigMap references
// exist and that secret settings come from a Secret.
func (m *Manifests) containerEnv(t *testing.T, where string, p Program, c corev1.Container) map[string]string {
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm, ok := m.ConfigMaps[ef.ConfigMapRef.Name]
			if !ok {
				t.Errorf("%s: envFrom names ConfigMap %s, which is not in the file", where, ef.ConfigMapRef.Name)
				continue
			}
			for k, v := range cm.Data {
				env[k] = v
				if s, ok := p.setting(k); ok && s.Secret {
					t.Errorf("%s: %s comes from ConfigMap %s; it is a secret: take it from a Secret", where, k, cm.Name)
				}
			}
		case ef.SecretRef != nil:
			s, ok := m.Secrets[ef.SecretRef.Name]
			if !ok {
				t.Errorf("%s: envFrom names Secret %s, which is not in the file", where, ef.SecretRef.Name)
				continue
			}
			for k := range s.StringData {
				env[k] = ""
			}
		}
	}
	for _, e := range c.Env {
		env[e.Name] = e.Value
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			s, ok := m.Secrets[ref.Name]
			if _, has := s.StringData[ref.Key]; !ok || !has {
				t.Errorf("%s: %s comes from Secret %s key %s, which is not in the file", where, e.Name, ref.Name, ref.Key)
			}
		default:
			if s, ok := p.setting(e.Name); ok && s.Secret {
				t.Errorf("%s: %s is given in the manifest; it is a secret: take it from a Secret", where, e.Name)
			}
		}
	}
	return env
}

func checkProbe(t *testing.T, where string, pr *corev1.Probe, path string, port int, portName string) {
	t.Helper()
	if pr == nil || pr.HTTPGet == nil {
		t.Errorf("%s: want an httpGet probe on %s", where, path)
		return
	}
	g := pr.HTTPGet
	okPort := g.Port.IntValue() == port || (g.Port.StrVal != "" && g.Port.StrVal == portName)
	if g.Path != path || !okPort {
		t.Errorf("%s: probes %s on port %s, want %s on %d", where, g.Path, g.Port.String(), path, port)
	}
}
