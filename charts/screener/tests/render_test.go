// Package tests renders the screener Helm chart with Helm's Go SDK, the same
// code `helm template` and `helm install` use, and checks what comes out.
//
// It is a separate Go module so that Helm and the Kubernetes API types stay
// out of the service's own module.
package tests

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

const (
	chartDir    = ".."
	releaseName = "prod"
	namespace   = "screening"
	fullname    = "prod-screener"
	redisName   = "prod-screener-redis"
	oldestKube  = "v1.23.0" // the chart's kubeVersion floor
	currentKube = "v1.33.0"
)

// newObject maps each apiVersion/kind the chart may emit to the Go type it
// must decode into. A kind that is not listed fails the tests: add its type
// here when the chart grows one.
var newObject = map[string]func() any{
	"v1/ConfigMap":        func() any { return &corev1.ConfigMap{} },
	"v1/Secret":           func() any { return &corev1.Secret{} },
	"v1/Service":          func() any { return &corev1.Service{} },
	"v1/ServiceAccount":   func() any { return &corev1.ServiceAccount{} },
	"v1/Pod":              func() any { return &corev1.Pod{} },
	"apps/v1/Deployment":  func() any { return &appsv1.Deployment{} },
	"apps/v1/StatefulSet": func() any { return &appsv1.StatefulSet{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any {
		return &autoscalingv2.HorizontalPodAutoscaler{}
	},
	"policy/v1/PodDisruptionBudget":           func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/Ingress":            func() any { return &networkingv1.Ingress{} },
	"networking.k8s.io/v1/NetworkPolicy":      func() any { return &networkingv1.NetworkPolicy{} },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return &monitoringv1.ServiceMonitor{} },
}

// object is one rendered manifest, decoded into its typed struct.
type object struct {
	Template string // e.g. "screener/templates/deployment.yaml"
	Kind     string
	Name     string
	Meta     metav1.Object
	Obj      any
}

// release is a rendered chart.
type release struct {
	Objects []object
	Notes   string
}

// renderOptions tune one render.
type renderOptions struct {
	kubeVersion string
}

type option func(*renderOptions)

// withKube renders as for a cluster of that Kubernetes version.
func withKube(version string) option {
	return func(o *renderOptions) { o.kubeVersion = version }
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return c
}

// renderValues renders the chart with the given values (YAML, as a user's
// values file) and returns the raw output per template, or the error Helm
// would print: schema violations and template `fail`s included.
func renderValues(t *testing.T, valuesYAML string, opts ...option) (map[string]string, error) {
	t.Helper()
	o := renderOptions{kubeVersion: currentKube}
	for _, opt := range opts {
		opt(&o)
	}
	c := loadChart(t)
	vals, err := chartutil.ReadValues([]byte(valuesYAML))
	if err != nil {
		t.Fatalf("test values are not YAML: %v", err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = kubeVersion(t, o.kubeVersion)
	top, err := chartutil.ToRenderValues(c, vals, chartutil.ReleaseOptions{
		Name: releaseName, Namespace: namespace, Revision: 1, IsInstall: true,
	}, caps)
	if err != nil {
		return nil, err
	}
	// Strict: a template that reads a value missing from values.yaml fails
	// here instead of rendering an empty string.
	return engine.Engine{Strict: true}.Render(c, top)
}

func kubeVersion(t *testing.T, v string) chartutil.KubeVersion {
	t.Helper()
	m := regexp.MustCompile(`^v(\d+)\.(\d+)\.\d+$`).FindStringSubmatch(v)
	if m == nil {
		t.Fatalf("bad Kubernetes version %q", v)
	}
	return chartutil.KubeVersion{Version: v, Major: m[1], Minor: m[2]}
}

// render renders the chart and decodes every manifest strictly; any error
// fails the test.
func render(t *testing.T, valuesYAML string, opts ...option) *release {
	t.Helper()
	out, err := renderValues(t, valuesYAML, opts...)
	if err != nil {
		t.Fatalf("render:\n%v", err)
	}
	rel, err := decode(out)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// decode splits the rendered templates into manifests and decodes each into
// its Kubernetes type, rejecting unknown and duplicate fields (matched case
// sensitively, as the API server does).
func decode(out map[string]string) (*release, error) {
	rel := &release{}
	names := make([]string, 0, len(out))
	for name := range out {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, tmpl := range names {
		content := out[tmpl]
		if strings.HasSuffix(tmpl, "NOTES.txt") {
			rel.Notes = content
			continue
		}
		for i, doc := range docSeparator.Split(content, -1) {
			if isBlank(doc) {
				continue
			}
			obj, err := decodeOne([]byte(doc))
			if err != nil {
				return nil, fmt.Errorf("%s (document %d): %w", tmpl, i, err)
			}
			obj.Template = tmpl
			rel.Objects = append(rel.Objects, obj)
		}
	}
	return rel, nil
}

func decodeOne(doc []byte) (object, error) {
	js, err := sigsyaml.YAMLToJSONStrict(doc)
	if err != nil {
		// YAML errors name a line: show the numbered document.
		return object{}, fmt.Errorf("not valid YAML: %w\n%s", err, numbered(string(doc)))
	}
	var tm metav1.TypeMeta
	if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &tm); err != nil {
		return object{}, err
	}
	key := tm.APIVersion + "/" + tm.Kind
	mk, ok := newObject[key]
	if !ok {
		return object{}, fmt.Errorf("no Go type registered for %s", key)
	}
	obj := mk()
	strictErrs, err := kjson.UnmarshalStrict(js, obj)
	if err != nil {
		return object{}, fmt.Errorf("decode %s: %w", key, err)
	}
	if len(strictErrs) > 0 {
		msgs := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			msgs[i] = e.Error()
		}
		return object{}, fmt.Errorf("decode %s strictly: %s", key, strings.Join(msgs, "; "))
	}
	meta, ok := obj.(metav1.Object)
	if !ok {
		return object{}, fmt.Errorf("%s has no object metadata", key)
	}
	return object{Kind: tm.Kind, Name: meta.GetName(), Meta: meta, Obj: obj}, nil
}

func isBlank(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}

func numbered(doc string) string {
	var b bytes.Buffer
	for i, line := range strings.Split(doc, "\n") {
		fmt.Fprintf(&b, "%4d | %s\n", i+1, line)
	}
	return b.String()
}

// kinds lists "Kind/name" of every object, sorted.
func (r *release) kinds() []string {
	var ks []string
	for _, o := range r.Objects {
		ks = append(ks, o.Kind+"/"+o.Name)
	}
	sort.Strings(ks)
	return ks
}

// find returns the object of that kind and name, or nil.
func (r *release) find(kind, name string) any {
	for _, o := range r.Objects {
		if o.Kind == kind && o.Name == name {
			return o.Obj
		}
	}
	return nil
}

// get returns the object of that kind and name, failing the test without it.
func get[T any](t *testing.T, r *release, kind, name string) T {
	t.Helper()
	o := r.find(kind, name)
	if o == nil {
		t.Fatalf("no %s/%s rendered; have %v", kind, name, r.kinds())
	}
	typed, ok := o.(T)
	if !ok {
		t.Fatalf("%s/%s is a %T", kind, name, o)
	}
	return typed
}

// podSpecs returns every pod template the release runs: Deployments,
// StatefulSets and bare Pods (the helm test).
func (r *release) podSpecs() map[string]corev1.PodTemplateSpec {
	pods := map[string]corev1.PodTemplateSpec{}
	for _, o := range r.Objects {
		switch obj := o.Obj.(type) {
		case *appsv1.Deployment:
			pods[o.Kind+"/"+o.Name] = obj.Spec.Template
		case *appsv1.StatefulSet:
			pods[o.Kind+"/"+o.Name] = obj.Spec.Template
		case *corev1.Pod:
			pods[o.Kind+"/"+o.Name] = corev1.PodTemplateSpec{ObjectMeta: obj.ObjectMeta, Spec: obj.Spec}
		}
	}
	return pods
}

func chartFiles(c *chart.Chart) []string {
	var names []string
	for _, f := range c.Raw {
		names = append(names, filepath.ToSlash(f.Name))
	}
	sort.Strings(names)
	return names
}
