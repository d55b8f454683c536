package tests

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Values of a release whose audit trail is kept in PostgreSQL.
const (
	// postgresRecord: the app role's URL and the owner's URL in two
	// Secrets, five years' retention, three replicas sharing Redis.
	postgresRecord = `
replicaCount: 3
redis:
  enabled: true
database:
  existingSecret: screener-db-app
  urlKey: uri
  ownerExistingSecret: screener-db-owner
  ownerUrlKey: uri
config:
  audit:
    durability: ack
    retention: 43830h
    queueCapacity: 20000
`
	// postgresOneURL: one Secret, the default key, no owner URL.
	postgresOneURL = `
database:
  existingSecret: screener-db
`
)

func TestDatabaseURLsComeFromSecrets(t *testing.T) {
	cases := []struct {
		name, values           string
		secret, key            string
		ownerSecret, ownerKey  string // "" = no DATABASE_OWNER_URL
		wantConfig             map[string]string
		wantAbsentConfigPrefix string
	}{
		{"app and owner secrets", postgresRecord, "screener-db-app", "uri", "screener-db-owner", "uri",
			map[string]string{"AUDIT_DURABILITY": "ack", "AUDIT_RETENTION": "43830h", "AUDIT_QUEUE_CAPACITY": "20000"}, ""},
		{"one secret", postgresOneURL, "screener-db", "database-url", "", "", nil, "AUDIT_"},
		{"owner key in the app secret", "database:\n  existingSecret: pg\n  ownerUrlKey: owner\n",
			"pg", "database-url", "pg", "owner", nil, "AUDIT_"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rel := render(t, c.values)
			ctr := get[*appsv1.Deployment](t, rel, "Deployment", fullname).Spec.Template.Spec.Containers[0]
			checkEnvFromSecret(t, ctr, "DATABASE_URL", c.secret, c.key)
			if c.ownerSecret != "" {
				checkEnvFromSecret(t, ctr, "DATABASE_OWNER_URL", c.ownerSecret, c.ownerKey)
			} else if hasEnv(ctr, "DATABASE_OWNER_URL") {
				t.Errorf("DATABASE_OWNER_URL set without database.ownerUrlKey")
			}
			cm := get[*corev1.ConfigMap](t, rel, "ConfigMap", fullname)
			for k, v := range c.wantConfig {
				if cm.Data[k] != v {
					t.Errorf("ConfigMap %s = %q, want %q", k, cm.Data[k], v)
				}
			}
			if c.wantAbsentConfigPrefix != "" {
				for k := range cm.Data {
					if strings.HasPrefix(k, c.wantAbsentConfigPrefix) && k != "AUDIT_ENABLED" {
						t.Errorf("ConfigMap sets %s although the values leave it to the service", k)
					}
				}
			}
			if _, ok := rel.find("Secret", fullname).(*corev1.Secret); ok && c.name == "one secret" {
				t.Errorf("the chart renders its own Secret although the database URL comes from an existing one")
			}
			if !strings.Contains(rel.Notes, "system of record") {
				t.Errorf("NOTES do not say the audit trail is a system of record:\n%s", rel.Notes)
			}
		})
	}
}

func TestNoDatabaseNoDatabaseEnv(t *testing.T) {
	rel := render(t, "")
	ctr := get[*appsv1.Deployment](t, rel, "Deployment", fullname).Spec.Template.Spec.Containers[0]
	for _, name := range []string{"DATABASE_URL", "DATABASE_OWNER_URL"} {
		if hasEnv(ctr, name) {
			t.Errorf("%s set without database.existingSecret", name)
		}
	}
}

// TestDatabaseSecretChangeRollsPods: pointing the release at another
// Secret or key restarts the pods, which read the URL only at start.
func TestDatabaseSecretChangeRollsPods(t *testing.T) {
	sum := func(values string) string {
		rel := render(t, values)
		return get[*appsv1.Deployment](t, rel, "Deployment", fullname).Spec.Template.Annotations["checksum/secret"]
	}
	base := sum(postgresOneURL)
	for _, changed := range []string{
		"database:\n  existingSecret: screener-db-2\n",
		"database:\n  existingSecret: screener-db\n  urlKey: other\n",
		"database:\n  existingSecret: screener-db\n  ownerUrlKey: owner\n",
	} {
		if sum(changed) == base {
			t.Errorf("checksum/secret does not change with\n%s", changed)
		}
	}
}

func TestDatabaseValuesRejected(t *testing.T) {
	schema := []struct{ name, values, want string }{
		{"database URL in extraEnv", "config:\n  extraEnv:\n    DATABASE_URL: postgres://u:p@h/db", "invalid propertyName 'DATABASE_URL'"},
		{"owner URL in extraEnv", "config:\n  extraEnv:\n    DATABASE_OWNER_URL: postgres://u:p@h/db", "invalid propertyName 'DATABASE_OWNER_URL'"},
		{"a URL for a secret name", "database:\n  existingSecret: postgres://u:p@h/db", "existingSecret"},
		{"misspelled database key", "database:\n  existingSecrets: pg", "existingSecrets"},
		{"bad durability", "config:\n  audit:\n    durability: sync", "durability"},
		{"retention not a duration", "config:\n  audit:\n    retention: 5 years", "retention"},
		{"queue capacity zero", "config:\n  audit:\n    queueCapacity: 0", "queueCapacity"},
	}
	for _, c := range schema {
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
	refused := []struct{ name, values, want string }{
		{"owner key without the app secret", "database:\n  ownerUrlKey: owner", "needs database.existingSecret"},
		{"owner secret without its key", "database:\n  existingSecret: pg\n  ownerExistingSecret: pg-owner", "ownerUrlKey is empty"},
		{"durability with the audit trail off", "config:\n  audit:\n    durability: ack", "audit trail is off"},
	}
	for _, c := range refused {
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

func hasEnv(c corev1.Container, name string) bool {
	for _, e := range c.Env {
		if e.Name == name {
			return true
		}
	}
	return false
}
