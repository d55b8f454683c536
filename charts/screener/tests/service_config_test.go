package tests

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// serviceConfig is where the service declares the environment variables it
// reads, one {"NAME", default, help} line each.
var serviceConfig = filepath.Join("..", "..", "..", "cmd", "screener", "config.go")

var envVarDecl = regexp.MustCompile(`(?m)^\s*\{"([A-Z][A-Z0-9_]*)",`)

// TestChartSetsOnlyServiceVariables: every variable the chart gives the
// screener container is one the service reads, so a renamed variable cannot
// silently stop taking effect. (go test does not notice changes to files
// outside this module; .ci/deploy-check runs it with -count=1.)
func TestChartSetsOnlyServiceVariables(t *testing.T) {
	src, err := os.ReadFile(serviceConfig)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s does not exist", serviceConfig)
	}
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, m := range envVarDecl.FindAllSubmatch(src, -1) {
		known[string(m[1])] = true
	}
	if len(known) < 10 {
		t.Fatalf("found only %d variables in %s; has its envVars table moved? Update this test", len(known), serviceConfig)
	}
	for _, c := range configurations {
		t.Run(c.name, func(t *testing.T) {
			vals, err := chartutil.ReadValues([]byte(c.values))
			if err != nil {
				t.Fatal(err)
			}
			extra := map[string]bool{}
			if tbl, err := vals.Table("config.extraEnv"); err == nil {
				for k := range tbl {
					extra[k] = true // the user's own choice
				}
			}
			rel := render(t, c.values)
			var set []string
			for k := range get[*corev1.ConfigMap](t, rel, "ConfigMap", fullname).Data {
				set = append(set, k)
			}
			for _, e := range get[*appsv1.Deployment](t, rel, "Deployment", fullname).Spec.Template.Spec.Containers[0].Env {
				set = append(set, e.Name)
			}
			sort.Strings(set)
			for _, name := range set {
				if !known[name] && !extra[name] {
					t.Errorf("the chart sets %s, which %s does not declare", name, serviceConfig)
				}
			}
		})
	}
}
