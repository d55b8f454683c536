package tests

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Values files for the configurations that matter. Each is rendered, decoded
// strictly and held to the invariants in checkRelease.
const (
	inChartRedis = `
redis:
  enabled: true
`
	inChartRedisPersistent = `
replicaCount: 3
redis:
  enabled: true
  persistence:
    enabled: true
    storageClass: fast
    size: 5Gi
  extraArgs: ["--maxmemory", "200mb"]
`
	externalRedis = `
replicaCount: 2
redis:
  url: rediss://redis.example.internal:6380/0
  password: s3cret
  keyPrefix: screener-prod
`
	existingSecrets = `
replicaCount: 2
auth:
  existingSecret: screener-keys
  existingSecretKey: keys
redis:
  existingUrlSecret: screener-redis
  existingUrlSecretKey: url
  existingSecret: screener-redis
  existingSecretPasswordKey: password
tests:
  apiKeySecret:
    name: screener-test-key
    key: key
`
	apiKeys = `
auth:
  apiKeys:
    - "ops:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
    - "batch:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"
`
	everything = `
autoscaling:
  enabled: true
  minReplicas: 2
  maxReplicas: 6
  targetMemoryUtilizationPercentage: 80
redis:
  enabled: true
ingress:
  enabled: true
  className: nginx
  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: 20m
  hosts:
    - host: screener.example.com
      paths:
        - path: /
          pathType: Prefix
  tls:
    - secretName: screener-tls
      hosts: [screener.example.com]
metrics:
  serviceMonitor:
    enabled: true
    labels:
      release: prometheus
networkPolicy:
  enabled: true
  apiFrom:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: ingress-nginx
  metricsFrom:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
config:
  logLevel: debug
  matchThreshold: 0.9
  rateLimit:
    rps: 2.5
    burst: 10
  batch:
    maxBytes: 10485760
    maxRows: 50000
    resultTTL: 24h
    workers: 4
  audit:
    enabled: true
    maxLen: 1000000
    maxAge: 720h
  extraEnv:
    GOMAXPROCS: "2"
podDisruptionBudget:
  maxUnavailable: 25%
`
	listFile = `
lists:
  url: "off"
  file: /lists/consolidated.csv.gz
  refreshInterval: "0"
extraVolumes:
  - name: lists
    configMap:
      name: screening-list
extraVolumeMounts:
  - name: lists
    mountPath: /lists
    readOnly: true
`
	metricsOnAPIPort = `
metrics:
  port: 0
  serviceMonitor:
    enabled: true
networkPolicy:
  enabled: true
`
)

var configurations = []struct {
	name   string
	values string
	want   []string // Kind/name that must be rendered
}{
	{"defaults", "", []string{
		"ConfigMap/" + fullname, "Deployment/" + fullname, "PodDisruptionBudget/" + fullname,
		"Pod/" + fullname + "-test", "Service/" + fullname, "ServiceAccount/" + fullname,
	}},
	{"in-chart redis", inChartRedis, []string{
		"Secret/" + fullname, "StatefulSet/" + redisName, "Service/" + redisName,
	}},
	{"in-chart redis with persistence", inChartRedisPersistent, []string{"StatefulSet/" + redisName}},
	{"external redis", externalRedis, []string{"Secret/" + fullname}},
	{"existing secrets", existingSecrets, []string{"Deployment/" + fullname}},
	{"api keys", apiKeys, []string{"Secret/" + fullname}},
	{"everything on", everything, []string{
		"HorizontalPodAutoscaler/" + fullname, "Ingress/" + fullname, "ServiceMonitor/" + fullname,
		"NetworkPolicy/" + fullname, "NetworkPolicy/" + redisName, "StatefulSet/" + redisName,
	}},
	{"list from a file", listFile, []string{"Deployment/" + fullname}},
	{"metrics on the API port", metricsOnAPIPort, []string{"ServiceMonitor/" + fullname, "NetworkPolicy/" + fullname}},
	{"postgres system of record", postgresRecord, []string{"Deployment/" + fullname, "StatefulSet/" + redisName}},
	{"postgres, one URL", postgresOneURL, []string{"Deployment/" + fullname}},
}

// TestConfigurations renders each configuration, decodes every manifest
// strictly into its Kubernetes type and checks the invariants every release
// must keep.
func TestConfigurations(t *testing.T) {
	for _, c := range configurations {
		t.Run(c.name, func(t *testing.T) {
			for _, kube := range []string{oldestKube, currentKube} {
				rel := render(t, c.values, withKube(kube))
				have := rel.kinds()
				for _, w := range c.want {
					if !slices.Contains(have, w) {
						t.Errorf("kube %s: %s not rendered; have %v", kube, w, have)
					}
				}
				checkRelease(t, rel)
			}
		})
	}
}

func TestDefaultsRenderNoOptionalObjects(t *testing.T) {
	rel := render(t, "")
	for _, o := range rel.Objects {
		switch o.Kind {
		case "Secret", "StatefulSet", "HorizontalPodAutoscaler", "Ingress", "ServiceMonitor", "NetworkPolicy":
			t.Errorf("%s/%s rendered by default", o.Kind, o.Name)
		}
	}
	d := get[*appsv1.Deployment](t, rel, "Deployment", fullname)
	if got := *d.Spec.Replicas; got != 1 {
		t.Errorf("default replicas = %d, want 1: without Redis only one replica works", got)
	}
}

// checkRelease holds a rendered release to the invariants of every
// configuration.
func checkRelease(t *testing.T, rel *release) {
	t.Helper()
	checkNamesAndLabels(t, rel)
	for name, pod := range rel.podSpecs() {
		checkPodSecurity(t, name, pod.Spec)
		checkResources(t, name, pod.Spec)
	}
	checkSecretRefs(t, rel)
	checkServer(t, rel)
	checkSelectors(t, rel)
}

var standardLabels = []string{
	"app.kubernetes.io/name",
	"app.kubernetes.io/instance",
	"app.kubernetes.io/version",
	"app.kubernetes.io/component",
	"app.kubernetes.io/managed-by",
	"app.kubernetes.io/part-of",
	"helm.sh/chart",
}

func checkNamesAndLabels(t *testing.T, rel *release) {
	t.Helper()
	for _, o := range rel.Objects {
		id := o.Kind + "/" + o.Name
		if errs := validation.IsDNS1123Subdomain(o.Name); len(errs) > 0 {
			t.Errorf("%s: invalid name: %v", id, errs)
		}
		if o.Kind == "Service" {
			if errs := validation.IsDNS1035Label(o.Name); len(errs) > 0 {
				t.Errorf("%s: invalid Service name: %v", id, errs)
			}
		}
		if ns := o.Meta.GetNamespace(); ns != namespace {
			t.Errorf("%s: namespace %q, want %q", id, ns, namespace)
		}
		labels := o.Meta.GetLabels()
		for _, l := range standardLabels {
			if labels[l] == "" {
				t.Errorf("%s: label %s missing", id, l)
			}
		}
		for k, v := range labels {
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				t.Errorf("%s: label key %q: %v", id, k, errs)
			}
			if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
				t.Errorf("%s: label %s=%q: %v", id, k, v, errs)
			}
		}
		if got := labels["app.kubernetes.io/instance"]; got != releaseName {
			t.Errorf("%s: app.kubernetes.io/instance = %q, want %q", id, got, releaseName)
		}
		if got := labels["app.kubernetes.io/managed-by"]; got != "Helm" {
			t.Errorf("%s: app.kubernetes.io/managed-by = %q, want Helm", id, got)
		}
	}
	for name, pod := range rel.podSpecs() {
		for _, l := range standardLabels {
			if pod.Labels[l] == "" {
				t.Errorf("%s pod template: label %s missing", name, l)
			}
		}
	}
}

// checkPodSecurity holds every pod to the restricted Pod Security Standard.
func checkPodSecurity(t *testing.T, name string, spec corev1.PodSpec) {
	t.Helper()
	psc := spec.SecurityContext
	if psc == nil {
		t.Errorf("%s: no pod securityContext", name)
		return
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("%s: pod runAsNonRoot is not true", name)
	}
	// A numeric user lets the kubelet verify runAsNonRoot whatever USER the
	// image declares.
	if psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: pod runAsUser must be a non-zero uid", name)
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod seccompProfile is not RuntimeDefault", name)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken is not false", name)
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		t.Errorf("%s: uses a host namespace", name)
	}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			t.Errorf("%s: hostPath volume %s", name, v.Name)
		}
	}
	for _, c := range append(spec.InitContainers, spec.Containers...) {
		id := name + " container " + c.Name
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("%s: no securityContext", id)
			continue
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: allowPrivilegeEscalation is not false", id)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: readOnlyRootFilesystem is not true", id)
		}
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: runAsNonRoot is not true", id)
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("%s: privileged", id)
		}
		if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("%s: capabilities do not drop ALL", id)
		} else if len(sc.Capabilities.Add) > 0 {
			t.Errorf("%s: adds capabilities %v", id, sc.Capabilities.Add)
		}
		if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: seccompProfile is not RuntimeDefault", id)
		}
		// With a read-only root filesystem every writable path is a volume.
		if c.Name != "screen" && !hasMount(c, "/tmp") {
			t.Errorf("%s: no writable /tmp volume", id)
		}
	}
}

func hasMount(c corev1.Container, path string) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return true
		}
	}
	return false
}

func checkResources(t *testing.T, name string, spec corev1.PodSpec) {
	t.Helper()
	for _, c := range spec.Containers {
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, okReq := c.Resources.Requests[r]
			lim, okLim := c.Resources.Limits[r]
			if !okReq || !okLim {
				t.Errorf("%s container %s: %s request and limit must both be set", name, c.Name, r)
				continue
			}
			if req.Cmp(lim) > 0 {
				t.Errorf("%s container %s: %s request %s above limit %s", name, c.Name, r, req.String(), lim.String())
			}
		}
	}
}

// checkSecretRefs: every reference to the chart's own Secret names a key it
// has, and the ConfigMap never carries a secret.
func checkSecretRefs(t *testing.T, rel *release) {
	t.Helper()
	own, _ := rel.find("Secret", fullname).(*corev1.Secret)
	checkRef := func(where, name, key string) {
		if name != fullname {
			return // an existing Secret the user provides
		}
		if own == nil {
			t.Errorf("%s: refers to Secret %s, which is not rendered", where, name)
			return
		}
		if _, ok := own.Data[key]; !ok {
			t.Errorf("%s: Secret %s has no key %q", where, name, key)
		}
	}
	for name, pod := range rel.podSpecs() {
		for _, c := range pod.Spec.Containers {
			for _, e := range c.Env {
				if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil {
					checkRef(name+" env "+e.Name, ref.SecretKeyRef.Name, ref.SecretKeyRef.Key)
				}
			}
		}
		for _, v := range pod.Spec.Volumes {
			if v.Secret != nil {
				for _, item := range v.Secret.Items {
					checkRef(name+" volume "+v.Name, v.Secret.SecretName, item.Key)
				}
			}
		}
	}
	if own != nil {
		for k, v := range own.Data {
			if len(v) == 0 {
				t.Errorf("Secret %s: key %s is empty", fullname, k)
			}
		}
	}
	cm := get[*corev1.ConfigMap](t, rel, "ConfigMap", fullname)
	for _, k := range []string{"REDIS_PASSWORD", "API_KEYS", "DATABASE_URL", "DATABASE_OWNER_URL"} {
		if _, ok := cm.Data[k]; ok {
			t.Errorf("ConfigMap carries the secret %s", k)
		}
	}
	if u := cm.Data["REDIS_URL"]; strings.Contains(u, "@") {
		t.Errorf("ConfigMap REDIS_URL %q carries credentials", u)
	}
	for k, v := range cm.Data {
		if strings.Contains(v, "postgres://") || strings.Contains(v, "postgresql://") {
			t.Errorf("ConfigMap %s carries a database URL %q", k, v)
		}
	}
	for k := range cm.Data {
		if errs := validation.IsEnvVarName(k); len(errs) > 0 || strings.ToUpper(k) != k {
			t.Errorf("ConfigMap key %q is not an environment variable name", k)
		}
	}
}

// checkServer checks the screener Deployment: probes, ports, shutdown timing,
// configuration wiring.
func checkServer(t *testing.T, rel *release) {
	t.Helper()
	d := get[*appsv1.Deployment](t, rel, "Deployment", fullname)
	cm := get[*corev1.ConfigMap](t, rel, "ConfigMap", fullname)
	spec := d.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("Deployment has %d containers, want 1", len(spec.Containers))
	}
	c := spec.Containers[0]

	port := containerPort(t, c, "http")
	if want := fmt.Sprintf(":%d", port); cm.Data["LISTEN_ADDR"] != want {
		t.Errorf("LISTEN_ADDR = %q, container port http = %d", cm.Data["LISTEN_ADDR"], port)
	}
	if addr := cm.Data["METRICS_ADDR"]; addr != "" {
		if want := fmt.Sprintf(":%d", containerPort(t, c, "metrics")); addr != want {
			t.Errorf("METRICS_ADDR = %q, container port metrics wants %q", addr, want)
		}
	}
	checkProbe(t, "liveness", c.LivenessProbe, "/healthz")
	checkProbe(t, "readiness", c.ReadinessProbe, "/readyz")

	if !slices.ContainsFunc(c.EnvFrom, func(e corev1.EnvFromSource) bool {
		return e.ConfigMapRef != nil && e.ConfigMapRef.Name == cm.Name
	}) {
		t.Errorf("container does not take its environment from ConfigMap %s", cm.Name)
	}
	for _, k := range []string{"checksum/config", "checksum/secret"} {
		if len(d.Spec.Template.Annotations[k]) != 64 {
			t.Errorf("pod template annotation %s = %q, want a sha256", k, d.Spec.Template.Annotations[k])
		}
	}

	// Kubernetes must not SIGKILL a pod that is still shutting down.
	shutdown, err := time.ParseDuration(cm.Data["SHUTDOWN_TIMEOUT"])
	if err != nil {
		t.Fatalf("SHUTDOWN_TIMEOUT: %v", err)
	}
	stop := shutdown
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		if s := c.Lifecycle.PreStop.Sleep; s != nil {
			stop += time.Duration(s.Seconds) * time.Second
		} else {
			t.Errorf("preStop is not the native sleep action: the image has no shell")
		}
	}
	if grace := spec.TerminationGracePeriodSeconds; grace == nil || time.Duration(*grace)*time.Second <= stop {
		t.Errorf("terminationGracePeriodSeconds %v does not exceed shutdown timeout plus preStop (%v)", grace, stop)
	}

	// /tmp is writable scratch for batch uploads.
	if cm.Data["BATCH_DIR"] != "/tmp" || !hasMount(c, "/tmp") {
		t.Errorf("BATCH_DIR %q needs the /tmp emptyDir", cm.Data["BATCH_DIR"])
	}

	// Configuration that must always be explicit.
	for _, k := range []string{"LIST_URL", "REFRESH_INTERVAL", "LOG_LEVEL", "REDIS_KEY_PREFIX"} {
		if cm.Data[k] == "" {
			t.Errorf("ConfigMap lacks %s", k)
		}
	}
	for _, k := range []string{"REFRESH_INTERVAL", "REFRESH_TIMEOUT", "LIST_POLL_INTERVAL", "BATCH_RESULT_TTL", "AUDIT_MAX_AGE"} {
		if v, ok := cm.Data[k]; ok {
			if _, err := time.ParseDuration(v); err != nil {
				t.Errorf("%s = %q is not a Go duration: %v", k, v, err)
			}
		}
	}
	for _, k := range []string{"RATE_LIMIT_BURST", "BATCH_MAX_BYTES", "BATCH_MAX_ROWS", "BATCH_WORKERS", "AUDIT_MAX_LEN"} {
		if v, ok := cm.Data[k]; ok {
			if _, err := strconv.Atoi(v); err != nil {
				t.Errorf("%s = %q is not an integer", k, v)
			}
		}
	}

	// Without Redis only one replica can work.
	_, urlInCM := cm.Data["REDIS_URL"]
	urlInSecret := slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "REDIS_URL" })
	if !urlInCM && !urlInSecret {
		if _, hpa := rel.find("HorizontalPodAutoscaler", fullname).(*autoscalingv2.HorizontalPodAutoscaler); hpa {
			t.Errorf("autoscaling without Redis")
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas > 1 {
			t.Errorf("%v replicas without Redis", d.Spec.Replicas)
		}
	}

	// The Service reaches the container's named ports.
	svc := get[*corev1.Service](t, rel, "Service", fullname)
	for _, p := range svc.Spec.Ports {
		if p.TargetPort.StrVal == "" {
			t.Errorf("Service port %s targets a number, not a named port", p.Name)
			continue
		}
		containerPort(t, c, p.TargetPort.StrVal)
	}
}

func containerPort(t *testing.T, c corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Errorf("container %s has no port named %q", c.Name, name)
	return 0
}

func checkProbe(t *testing.T, kind string, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s probe: want an HTTP GET of %s", kind, path)
		return
	}
	if p.HTTPGet.Path != path || p.HTTPGet.Port.StrVal != "http" {
		t.Errorf("%s probe: GET %s on port %v, want %s on port http", kind, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
	}
	if p.PeriodSeconds < 1 || p.TimeoutSeconds < 1 || p.FailureThreshold < 1 {
		t.Errorf("%s probe: period %d, timeout %d, failures %d", kind, p.PeriodSeconds, p.TimeoutSeconds, p.FailureThreshold)
	}
}

// checkSelectors: every selector picks the pods it is meant for, and only
// those.
func checkSelectors(t *testing.T, rel *release) {
	t.Helper()
	pods := rel.podSpecs()
	server := pods["Deployment/"+fullname].Labels
	selects := func(sel, labels map[string]string) bool {
		if len(sel) == 0 {
			return false
		}
		for k, v := range sel {
			if labels[k] != v {
				return false
			}
		}
		return true
	}
	for name, pod := range pods {
		var sel map[string]string
		switch name {
		case "Deployment/" + fullname:
			sel = get[*appsv1.Deployment](t, rel, "Deployment", fullname).Spec.Selector.MatchLabels
		case "StatefulSet/" + redisName:
			sel = get[*appsv1.StatefulSet](t, rel, "StatefulSet", redisName).Spec.Selector.MatchLabels
		default:
			continue
		}
		if !selects(sel, pod.Labels) {
			t.Errorf("%s: selector %v does not match its pod labels %v", name, sel, pod.Labels)
		}
		for other, op := range pods {
			if other != name && selects(sel, op.Labels) {
				t.Errorf("%s: selector %v also matches %s", name, sel, other)
			}
		}
	}
	for _, o := range rel.Objects {
		var sel map[string]string
		want := server
		switch obj := o.Obj.(type) {
		case *corev1.Service:
			sel = obj.Spec.Selector
			if o.Name == redisName {
				want = pods["StatefulSet/"+redisName].Labels
			}
		case *policyv1.PodDisruptionBudget:
			sel = obj.Spec.Selector.MatchLabels
		case *networkingv1.NetworkPolicy:
			sel = obj.Spec.PodSelector.MatchLabels
			if o.Name == redisName {
				want = pods["StatefulSet/"+redisName].Labels
			}
		case *monitoringv1.ServiceMonitor:
			sel = obj.Spec.Selector.MatchLabels
			svc := get[*corev1.Service](t, rel, "Service", fullname)
			if !selects(sel, svc.Labels) {
				t.Errorf("ServiceMonitor selector %v does not match Service labels %v", sel, svc.Labels)
			}
			continue
		default:
			continue
		}
		if !selects(sel, want) {
			t.Errorf("%s/%s: selector %v does not match the pods %v", o.Kind, o.Name, sel, want)
		}
	}
}

// TestSchemaRejectsBadValues: a misspelled key or a wrong type fails the
// install instead of being silently ignored.
func TestSchemaRejectsBadValues(t *testing.T) {
	cases := []struct {
		name, values, want string
	}{
		{"misspelled top-level key", "replicaCout: 2", "replicaCout"},
		{"misspelled nested key", "redis:\n  enable: true", "enable"},
		{"misspelled list key", "lists:\n  refreshIntervall: 5m", "refreshIntervall"},
		{"misspelled probe key", "probes:\n  readiness:\n    periodSecond: 5", "periodSecond"},
		{"string for integer", "replicaCount: two", "replicaCount"},
		{"string for boolean", "redis:\n  enabled: \"yes\"", "enabled"},
		{"not a duration", "lists:\n  refreshInterval: 1 hour", "refreshInterval"},
		{"bad log level", "config:\n  logLevel: verbose", "logLevel"},
		{"bad pull policy", "image:\n  pullPolicy: Sometimes", "pullPolicy"},
		{"api key is not keyid:sha256hex", "auth:\n  apiKeys: [\"ops:secret\"]", "apiKeys"},
		{"redis url with a space", "redis:\n  url: redis://redis:6379 /0", "url"},
		{"metrics on the API port number", "metrics:\n  port: 8080", "port"},
		{"fraction above one", "lists:\n  maxShrink: 1.5", "maxShrink"},
		{"quantity with a typo", "resources:\n  limits:\n    memory: 512MB", "memory"},
		{"count as a word", "config:\n  batch:\n    workers: many", "workers"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := renderValues(t, c.values)
			if err == nil {
				t.Fatalf("values accepted:\n%s", c.values)
			}
			if !strings.Contains(err.Error(), "schema") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error does not name %q as a schema violation:\n%v", c.want, err)
			}
		})
	}
}

// TestRefusesBrokenConfigurations: combinations the schema cannot express
// fail with a message that says what to do.
func TestRefusesBrokenConfigurations(t *testing.T) {
	cases := []struct {
		name, values, want string
	}{
		{"replicas without redis", "replicaCount: 3", "needs Redis"},
		{"autoscaling without redis", "autoscaling:\n  enabled: true", "needs Redis"},
		{"in-chart and external redis", "redis:\n  enabled: true\n  url: redis://elsewhere:6379", "do not also set"},
		{"grace period too short", "terminationGracePeriodSeconds: 20", "terminationGracePeriodSeconds"},
		{"shutdown longer than grace", "config:\n  shutdownTimeoutSeconds: 60", "must exceed"},
		{"min above max", "redis:\n  enabled: true\nautoscaling:\n  enabled: true\n  minReplicas: 5\n  maxReplicas: 2", "minReplicas"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := renderValues(t, c.values)
			if err == nil {
				t.Fatalf("values accepted:\n%s", c.values)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error does not say %q:\n%v", c.want, err)
			}
		})
	}
}

// TestConfigChangeRollsPods: the pod template changes exactly when the
// configuration or the chart's secrets do.
func TestConfigChangeRollsPods(t *testing.T) {
	annotations := func(values string) map[string]string {
		rel := render(t, values)
		return get[*appsv1.Deployment](t, rel, "Deployment", fullname).Spec.Template.Annotations
	}
	base := annotations(inChartRedis)
	if again := annotations(inChartRedis); !mapsEqual(base, again) {
		t.Errorf("rendering twice changes the pod template: %v vs %v", base, again)
	}
	changed := annotations(inChartRedis + "lists:\n  refreshInterval: 15m\n")
	if changed["checksum/config"] == base["checksum/config"] {
		t.Errorf("a new refresh interval does not change checksum/config")
	}
	rotated := annotations(inChartRedis + "  password: rotated\n")
	if rotated["checksum/secret"] == base["checksum/secret"] {
		t.Errorf("a new Redis password does not change checksum/secret")
	}
	unrelated := annotations(inChartRedis + "ingress:\n  enabled: true\n")
	if !mapsEqual(base, unrelated) {
		t.Errorf("enabling the Ingress changes the pod template: %v vs %v", base, unrelated)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestPreStopSleepNeedsKube130(t *testing.T) {
	lifecycle := func(kube string) *corev1.Lifecycle {
		rel := render(t, "", withKube(kube))
		return get[*appsv1.Deployment](t, rel, "Deployment", fullname).Spec.Template.Spec.Containers[0].Lifecycle
	}
	if l := lifecycle("v1.29.0"); l != nil {
		t.Errorf("Kubernetes 1.29 gets a lifecycle %+v; the sleep action needs 1.30", l)
	}
	l := lifecycle("v1.30.0")
	if l == nil || l.PreStop == nil || l.PreStop.Sleep == nil || l.PreStop.Sleep.Seconds != 5 {
		t.Fatalf("Kubernetes 1.30: want a 5s preStop sleep, got %+v", l)
	}
	if l.PreStop.Exec != nil {
		t.Errorf("preStop exec needs a shell, which the distroless image lacks")
	}
}

func TestRedisWiring(t *testing.T) {
	t.Run("in-chart", func(t *testing.T) {
		rel := render(t, inChartRedisPersistent)
		cm := get[*corev1.ConfigMap](t, rel, "ConfigMap", fullname)
		if want := "redis://" + redisName + ":6379/0"; cm.Data["REDIS_URL"] != want {
			t.Errorf("REDIS_URL = %q, want %q", cm.Data["REDIS_URL"], want)
		}
		d := get[*appsv1.Deployment](t, rel, "Deployment", fullname)
		if *d.Spec.Replicas != 3 {
			t.Errorf("replicas = %d, want 3", *d.Spec.Replicas)
		}
		ss := get[*appsv1.StatefulSet](t, rel, "StatefulSet", redisName)
		svc := get[*corev1.Service](t, rel, "Service", redisName)
		if ss.Spec.ServiceName != svc.Name {
			t.Errorf("StatefulSet serviceName %q, Service %q", ss.Spec.ServiceName, svc.Name)
		}
		if len(ss.Spec.VolumeClaimTemplates) != 1 {
			t.Fatalf("persistence on: want one volumeClaimTemplate, got %d", len(ss.Spec.VolumeClaimTemplates))
		}
		pvc := ss.Spec.VolumeClaimTemplates[0]
		if got := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; got.Cmp(resource.MustParse("5Gi")) != 0 {
			t.Errorf("PVC size %s, want 5Gi", got.String())
		}
		if pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != "fast" {
			t.Errorf("PVC storageClassName %v, want fast", pvc.Spec.StorageClassName)
		}
		args := strings.Join(ss.Spec.Template.Spec.Containers[0].Args, " ")
		for _, want := range []string{"--appendonly yes", "--requirepass $(REDIS_PASSWORD)", "--maxmemory 200mb"} {
			if !strings.Contains(args, want) {
				t.Errorf("redis args %q lack %q", args, want)
			}
		}
		secret := get[*corev1.Secret](t, rel, "Secret", fullname)
		if len(secret.Data["redis-password"]) < 16 {
			t.Errorf("generated Redis password %q is too short", secret.Data["redis-password"])
		}
		checkEnvFromSecret(t, d.Spec.Template.Spec.Containers[0], "REDIS_PASSWORD", fullname, "redis-password")
		checkEnvFromSecret(t, ss.Spec.Template.Spec.Containers[0], "REDIS_PASSWORD", fullname, "redis-password")
	})
	t.Run("in-chart without persistence", func(t *testing.T) {
		rel := render(t, inChartRedis)
		ss := get[*appsv1.StatefulSet](t, rel, "StatefulSet", redisName)
		if len(ss.Spec.VolumeClaimTemplates) != 0 {
			t.Errorf("persistence off: volumeClaimTemplates rendered")
		}
		if !slices.ContainsFunc(ss.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool {
			return v.Name == "data" && v.EmptyDir != nil
		}) {
			t.Errorf("persistence off: no emptyDir data volume")
		}
	})
	t.Run("external", func(t *testing.T) {
		rel := render(t, externalRedis)
		cm := get[*corev1.ConfigMap](t, rel, "ConfigMap", fullname)
		if cm.Data["REDIS_URL"] != "rediss://redis.example.internal:6380/0" || cm.Data["REDIS_KEY_PREFIX"] != "screener-prod" {
			t.Errorf("REDIS_URL %q, REDIS_KEY_PREFIX %q", cm.Data["REDIS_URL"], cm.Data["REDIS_KEY_PREFIX"])
		}
		secret := get[*corev1.Secret](t, rel, "Secret", fullname)
		if string(secret.Data["redis-password"]) != "s3cret" {
			t.Errorf("Secret redis-password = %q", secret.Data["redis-password"])
		}
		if rel.find("StatefulSet", redisName) != nil {
			t.Errorf("an external Redis also renders the in-chart one")
		}
	})
	t.Run("existing secrets", func(t *testing.T) {
		rel := render(t, existingSecrets)
		if rel.find("Secret", fullname) != nil {
			t.Errorf("a Secret is rendered although every secret comes from existing ones")
		}
		cm := get[*corev1.ConfigMap](t, rel, "ConfigMap", fullname)
		if _, ok := cm.Data["REDIS_URL"]; ok {
			t.Errorf("REDIS_URL in the ConfigMap although it comes from a Secret")
		}
		if cm.Data["API_KEYS_FILE"] != "/etc/screener/api-keys/api-keys" {
			t.Errorf("API_KEYS_FILE = %q", cm.Data["API_KEYS_FILE"])
		}
		c := get[*appsv1.Deployment](t, rel, "Deployment", fullname).Spec.Template.Spec.Containers[0]
		checkEnvFromSecret(t, c, "REDIS_URL", "screener-redis", "url")
		checkEnvFromSecret(t, c, "REDIS_PASSWORD", "screener-redis", "password")
		checkAPIKeysVolume(t, rel, "screener-keys", "keys")
		pod := get[*corev1.Pod](t, rel, "Pod", fullname+"-test")
		checkEnvFromSecret(t, pod.Spec.Containers[0], "SCREENER_API_KEY", "screener-test-key", "key")
		for _, a := range pod.Spec.Containers[0].Args {
			if strings.Contains(a, "API_KEY") {
				t.Errorf("test pod passes its API key in args %q; screener reads SCREENER_API_KEY itself", pod.Spec.Containers[0].Args)
			}
		}
	})
}

func TestAPIKeys(t *testing.T) {
	rel := render(t, apiKeys)
	secret := get[*corev1.Secret](t, rel, "Secret", fullname)
	lines := strings.Split(strings.TrimSpace(string(secret.Data["api-keys"])), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ops:") || !strings.HasPrefix(lines[1], "batch:") {
		t.Errorf("api-keys file = %q, want one keyid:hash per line", secret.Data["api-keys"])
	}
	checkAPIKeysVolume(t, rel, fullname, "api-keys")
	if _, ok := secret.Data["redis-password"]; ok {
		t.Errorf("redis-password stored without a Redis")
	}
}

func checkEnvFromSecret(t *testing.T, c corev1.Container, env, secret, key string) {
	t.Helper()
	for _, e := range c.Env {
		if e.Name == env {
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				t.Errorf("container %s: %s is not read from a Secret", c.Name, env)
				return
			}
			if ref := e.ValueFrom.SecretKeyRef; ref.Name != secret || ref.Key != key {
				t.Errorf("container %s: %s from Secret %s key %s, want %s key %s", c.Name, env, ref.Name, ref.Key, secret, key)
			}
			return
		}
	}
	t.Errorf("container %s: no %s variable", c.Name, env)
}

func checkAPIKeysVolume(t *testing.T, rel *release, secret, key string) {
	t.Helper()
	cm := get[*corev1.ConfigMap](t, rel, "ConfigMap", fullname)
	spec := get[*appsv1.Deployment](t, rel, "Deployment", fullname).Spec.Template.Spec
	var vol *corev1.Volume
	for i := range spec.Volumes {
		if spec.Volumes[i].Secret != nil && spec.Volumes[i].Secret.SecretName == secret {
			vol = &spec.Volumes[i]
		}
	}
	if vol == nil {
		t.Fatalf("no volume of Secret %s", secret)
	}
	if len(vol.Secret.Items) != 1 || vol.Secret.Items[0].Key != key {
		t.Errorf("volume %s items %v, want key %s", vol.Name, vol.Secret.Items, key)
	}
	if m := vol.Secret.DefaultMode; m == nil || *m != 0o440 {
		t.Errorf("volume %s defaultMode %v, want 0440", vol.Name, m)
	}
	for _, m := range spec.Containers[0].VolumeMounts {
		if m.Name == vol.Name {
			if got := m.MountPath + "/" + vol.Secret.Items[0].Path; got != cm.Data["API_KEYS_FILE"] {
				t.Errorf("API_KEYS_FILE = %q, mounted at %q", cm.Data["API_KEYS_FILE"], got)
			}
			return
		}
	}
	t.Errorf("volume %s is not mounted", vol.Name)
}

func TestEverythingOn(t *testing.T) {
	rel := render(t, everything)
	d := get[*appsv1.Deployment](t, rel, "Deployment", fullname)
	if d.Spec.Replicas != nil {
		t.Errorf("replicas %d set although the HPA owns them", *d.Spec.Replicas)
	}
	hpa := get[*autoscalingv2.HorizontalPodAutoscaler](t, rel, "HorizontalPodAutoscaler", fullname)
	if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
		t.Errorf("HPA scales %+v", ref)
	}
	if *hpa.Spec.MinReplicas != 2 || hpa.Spec.MaxReplicas != 6 || len(hpa.Spec.Metrics) != 2 {
		t.Errorf("HPA min %d max %d metrics %d", *hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas, len(hpa.Spec.Metrics))
	}

	ing := get[*networkingv1.Ingress](t, rel, "Ingress", fullname)
	if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != "nginx" || len(ing.Spec.TLS) != 1 {
		t.Errorf("Ingress class %v tls %v", ing.Spec.IngressClassName, ing.Spec.TLS)
	}
	backend := ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service
	if backend.Name != fullname || backend.Port.Name != "http" {
		t.Errorf("Ingress backend %+v, want the API port of Service %s", backend, fullname)
	}

	sm := get[*monitoringv1.ServiceMonitor](t, rel, "ServiceMonitor", fullname)
	if sm.Labels["release"] != "prometheus" {
		t.Errorf("ServiceMonitor labels %v lack release=prometheus", sm.Labels)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "metrics" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v, want /metrics on port metrics", sm.Spec.Endpoints)
	}
	svc := get[*corev1.Service](t, rel, "Service", fullname)
	if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == "metrics" }) {
		t.Errorf("Service has no metrics port for the ServiceMonitor")
	}

	np := get[*networkingv1.NetworkPolicy](t, rel, "NetworkPolicy", fullname)
	if len(np.Spec.Ingress) != 2 {
		t.Fatalf("NetworkPolicy has %d ingress rules, want API and metrics", len(np.Spec.Ingress))
	}
	api := np.Spec.Ingress[0]
	if api.Ports[0].Port.StrVal != "http" || len(api.From) != 2 {
		t.Errorf("API rule %+v: want port http from the ingress namespace and the helm test pod", api)
	}
	test := get[*corev1.Pod](t, rel, "Pod", fullname+"-test")
	if sel := api.From[1].PodSelector; sel == nil || !mapsSubset(sel.MatchLabels, test.Labels) {
		t.Errorf("the API rule does not admit the helm test pod")
	}
	redisNP := get[*networkingv1.NetworkPolicy](t, rel, "NetworkPolicy", redisName)
	if from := redisNP.Spec.Ingress[0].From; len(from) != 1 || !mapsSubset(from[0].PodSelector.MatchLabels, d.Spec.Template.Labels) {
		t.Errorf("the Redis NetworkPolicy does not admit the screener pods: %+v", from)
	}

	pdb := get[*policyv1.PodDisruptionBudget](t, rel, "PodDisruptionBudget", fullname)
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.String() != "25%" {
		t.Errorf("PDB maxUnavailable %v, want 25%%", pdb.Spec.MaxUnavailable)
	}

	cm := get[*corev1.ConfigMap](t, rel, "ConfigMap", fullname)
	want := map[string]string{
		"LOG_LEVEL": "debug", "MATCH_THRESHOLD": "0.9", "RATE_LIMIT_RPS": "2.5", "RATE_LIMIT_BURST": "10",
		"BATCH_MAX_BYTES": "10485760", "BATCH_MAX_ROWS": "50000", "BATCH_RESULT_TTL": "24h", "BATCH_WORKERS": "4",
		"AUDIT_ENABLED": "true", "AUDIT_MAX_LEN": "1000000", "AUDIT_MAX_AGE": "720h", "GOMAXPROCS": "2",
	}
	for k, v := range want {
		if cm.Data[k] != v {
			t.Errorf("ConfigMap %s = %q, want %q", k, cm.Data[k], v)
		}
	}
}

func mapsSubset(sub, of map[string]string) bool {
	if len(sub) == 0 {
		return false
	}
	for k, v := range sub {
		if of[k] != v {
			return false
		}
	}
	return true
}

func TestDefaultConfig(t *testing.T) {
	rel := render(t, "")
	cm := get[*corev1.ConfigMap](t, rel, "ConfigMap", fullname)
	want := map[string]string{
		"LISTEN_ADDR":      ":8080",
		"METRICS_ADDR":     ":9090",
		"LOG_LEVEL":        "info",
		"LIST_URL":         "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv",
		"REFRESH_INTERVAL": "1h",
		"REFRESH_TIMEOUT":  "2m",
		"LIST_MAX_SHRINK":  "0.2",
		"SHUTDOWN_TIMEOUT": "20s",
		"RATE_LIMIT_RPS":   "0",
		"AUDIT_ENABLED":    "false",
		"REDIS_KEY_PREFIX": "screener",
	}
	for k, v := range want {
		if cm.Data[k] != v {
			t.Errorf("ConfigMap %s = %q, want %q", k, cm.Data[k], v)
		}
	}
	// Unset knobs stay unset so the service's own defaults apply.
	for _, k := range []string{"REDIS_URL", "LIST_FILE", "MATCH_THRESHOLD", "BATCH_MAX_BYTES", "API_KEYS_FILE"} {
		if v, ok := cm.Data[k]; ok {
			t.Errorf("ConfigMap sets %s = %q by default", k, v)
		}
	}
	c := get[*appsv1.Deployment](t, rel, "Deployment", fullname).Spec.Template.Spec.Containers[0]
	if len(c.Env) != 0 {
		t.Errorf("default container env %v, want none (all from the ConfigMap)", c.Env)
	}
	if c.Image != "ghcr.io/cslscreen/screener:"+loadChart(t).Metadata.AppVersion {
		t.Errorf("image %q does not default to the chart's appVersion", c.Image)
	}
}

func TestListFromFile(t *testing.T) {
	rel := render(t, listFile)
	cm := get[*corev1.ConfigMap](t, rel, "ConfigMap", fullname)
	if cm.Data["LIST_FILE"] != "/lists/consolidated.csv.gz" || cm.Data["LIST_URL"] != "off" || cm.Data["REFRESH_INTERVAL"] != "0" {
		t.Errorf("LIST_FILE %q LIST_URL %q REFRESH_INTERVAL %q", cm.Data["LIST_FILE"], cm.Data["LIST_URL"], cm.Data["REFRESH_INTERVAL"])
	}
	c := get[*appsv1.Deployment](t, rel, "Deployment", fullname).Spec.Template.Spec.Containers[0]
	if !hasMount(c, "/lists") {
		t.Errorf("extraVolumeMounts not mounted: %v", c.VolumeMounts)
	}
}

func TestImageDigestWinsOverTag(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	rel := render(t, "image:\n  tag: v9\n  digest: "+digest+"\n")
	for name, pod := range rel.podSpecs() {
		if name == "StatefulSet/"+redisName {
			continue
		}
		if img := pod.Spec.Containers[0].Image; img != "ghcr.io/cslscreen/screener@"+digest {
			t.Errorf("%s image %q", name, img)
		}
	}
}

// TestHelmTestPod: `helm test` screens Kaspersky Lab with the screener image
// itself and fails when nothing matches.
func TestHelmTestPod(t *testing.T) {
	rel := render(t, "service:\n  port: 8000\n")
	pod := get[*corev1.Pod](t, rel, "Pod", fullname+"-test")
	if pod.Annotations["helm.sh/hook"] != "test" {
		t.Errorf("test pod hook annotation %q", pod.Annotations["helm.sh/hook"])
	}
	if pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q: a failed screening must fail the test, not retry", pod.Spec.RestartPolicy)
	}
	c := pod.Spec.Containers[0]
	server := get[*appsv1.Deployment](t, rel, "Deployment", fullname).Spec.Template.Spec.Containers[0]
	if c.Image != server.Image {
		t.Errorf("test image %q differs from the server's %q", c.Image, server.Image)
	}
	want := []string{"screen", "--server", "http://" + fullname + ":8000", "--require-match", "Kaspersky Lab"}
	if !slices.Equal(c.Args, want) {
		t.Errorf("test args %q, want %q", c.Args, want)
	}
	if len(c.Command) != 0 {
		t.Errorf("test command %q overrides the image's entrypoint", c.Command)
	}
}

func TestNotes(t *testing.T) {
	for _, c := range []struct{ name, values string }{
		{"defaults", ""}, {"everything", everything}, {"api keys", apiKeys},
	} {
		t.Run(c.name, func(t *testing.T) {
			notes := render(t, c.values).Notes
			for _, want := range []string{"/v1/screen", "Kaspersky Lab", "helm test " + releaseName} {
				if !strings.Contains(notes, want) {
					t.Errorf("NOTES lack %q:\n%s", want, notes)
				}
			}
			if c.values == "" && !strings.Contains(notes, "port-forward service/"+fullname) {
				t.Errorf("NOTES do not show how to reach the service:\n%s", notes)
			}
			if c.values == "" && !strings.Contains(notes, "one replica") {
				t.Errorf("NOTES do not warn that without Redis there is one replica:\n%s", notes)
			}
			if c.values == everything && !strings.Contains(notes, "https://screener.example.com/v1/screen") {
				t.Errorf("NOTES do not use the Ingress:\n%s", notes)
			}
		})
	}
}

// TestChartPackage: the tests module is not part of the chart, and every
// template renders something parseable.
func TestChartPackage(t *testing.T) {
	c := loadChart(t)
	for _, f := range chartFiles(c) {
		if strings.HasPrefix(f, "tests/") {
			t.Errorf("chart includes %s; .helmignore must leave out tests/", f)
		}
	}
	if c.Schema == nil {
		t.Errorf("chart has no values.schema.json")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Chart.yaml: %v", err)
	}
}
