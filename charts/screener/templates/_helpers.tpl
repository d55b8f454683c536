{{/*
The chart's name, or nameOverride.
*/}}
{{- define "screener.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's full name, used for every object. Truncated to 57 characters so
suffixes such as "-redis" keep names within the 63-character DNS label limit.
*/}}
{{- define "screener.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 57 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 57 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 57 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "screener.redisFullname" -}}
{{- printf "%s-redis" (include "screener.fullname" .) }}
{{- end }}

{{- define "screener.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels every object carries. Call with (dict "ctx" $ "component" "server").
*/}}
{{- define "screener.labels" -}}
helm.sh/chart: {{ include "screener.chart" .ctx }}
{{ include "screener.selectorLabels" . }}
{{- with .ctx.Chart.AppVersion }}
app.kubernetes.io/version: {{ . | trunc 63 | trimSuffix "-" | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: {{ include "screener.name" .ctx }}
{{- end }}

{{/*
Labels a workload selects its pods by; they never change across upgrades.
Call with (dict "ctx" $ "component" "server").
*/}}
{{- define "screener.selectorLabels" -}}
app.kubernetes.io/name: {{ include "screener.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "screener.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "screener.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "screener.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
True (non-empty) when the pods are given a Redis: in-chart, by URL or by a
Secret holding the URL.
*/}}
{{- define "screener.redisConfigured" -}}
{{- if or .Values.redis.enabled .Values.redis.url .Values.redis.existingUrlSecret }}true{{ end }}
{{- end }}

{{/*
The REDIS_URL for the ConfigMap: the in-chart Redis's Service or redis.url.
Empty when the URL comes from existingUrlSecret or there is no Redis.
*/}}
{{- define "screener.redisURL" -}}
{{- if .Values.redis.existingUrlSecret }}
{{- else if .Values.redis.enabled }}
{{- printf "redis://%s:6379/0" (include "screener.redisFullname" .) }}
{{- else }}
{{- .Values.redis.url }}
{{- end }}
{{- end }}

{{/*
The Secret holding the Redis password, and whether there is one at all.
*/}}
{{- define "screener.redisPasswordSecret" -}}
{{- if .Values.redis.existingSecret }}
{{- .Values.redis.existingSecret }}
{{- else if or .Values.redis.password .Values.redis.enabled }}
{{- include "screener.fullname" . }}
{{- end }}
{{- end }}

{{- define "screener.redisPasswordKey" -}}
{{- if .Values.redis.existingSecret }}
{{- .Values.redis.existingSecretPasswordKey }}
{{- else }}
{{- "redis-password" }}
{{- end }}
{{- end }}

{{/*
The Secret holding API key hashes, if any.
*/}}
{{- define "screener.apiKeysSecret" -}}
{{- if .Values.auth.existingSecret }}
{{- .Values.auth.existingSecret }}
{{- else if .Values.auth.apiKeys }}
{{- include "screener.fullname" . }}
{{- end }}
{{- end }}

{{- define "screener.apiKeysKey" -}}
{{- if .Values.auth.existingSecret }}
{{- .Values.auth.existingSecretKey }}
{{- else }}
{{- "api-keys" }}
{{- end }}
{{- end }}

{{/*
Whether the chart creates its own Secret (and so hashes it into the pods).
*/}}
{{- define "screener.ownSecret" -}}
{{- if and .Values.auth.apiKeys (not .Values.auth.existingSecret) }}true{{ end }}
{{- if and (or .Values.redis.password .Values.redis.enabled) (not .Values.redis.existingSecret) }}true{{ end }}
{{- end }}

{{/*
The in-chart Redis password: redis.password, else the one already stored in
the release's Secret (so upgrades keep it), else a new random one.
*/}}
{{- define "screener.redisPassword" -}}
{{- if .Values.redis.password }}
{{- .Values.redis.password }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "screener.fullname" .) }}
{{- if and $existing $existing.data (index $existing.data "redis-password") }}
{{- index $existing.data "redis-password" | b64dec }}
{{- else }}
{{- randAlphaNum 32 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The Secret holding DATABASE_OWNER_URL, or "" when the service uses
DATABASE_URL for migrations and retention too.
*/}}
{{- define "screener.databaseOwnerSecret" -}}
{{- if .Values.database.ownerUrlKey }}{{ .Values.database.ownerExistingSecret | default .Values.database.existingSecret }}{{ end }}
{{- end }}

{{/*
Refuse configurations that cannot work.
*/}}
{{- define "screener.validate" -}}
{{- $replicas := int .Values.replicaCount }}
{{- if and (not (include "screener.redisConfigured" .)) (or (gt $replicas 1) .Values.autoscaling.enabled) }}
{{- fail "more than one screener replica needs Redis so replicas share lists and batch jobs: set redis.enabled=true, redis.url or redis.existingUrlSecret (or keep replicaCount=1 and autoscaling.enabled=false)" }}
{{- end }}
{{- if and .Values.redis.enabled (or .Values.redis.url .Values.redis.existingUrlSecret) }}
{{- fail "redis.enabled runs Redis in the release; do not also set redis.url or redis.existingUrlSecret" }}
{{- end }}
{{- $stop := add (int .Values.config.shutdownTimeoutSeconds) (int .Values.lifecycle.preStopSleepSeconds) }}
{{- if le (int .Values.terminationGracePeriodSeconds) $stop }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed config.shutdownTimeoutSeconds + lifecycle.preStopSleepSeconds (%d) or Kubernetes kills pods mid-shutdown" (int .Values.terminationGracePeriodSeconds) $stop) }}
{{- end }}
{{- if and .Values.database.ownerUrlKey (not .Values.database.existingSecret) }}
{{- fail "database.ownerUrlKey needs database.existingSecret (the service's DATABASE_URL): the owner's URL is only for migrations and retention" }}
{{- end }}
{{- if and .Values.database.ownerExistingSecret (not .Values.database.ownerUrlKey) }}
{{- fail "database.ownerExistingSecret is set but database.ownerUrlKey is empty: name the key of DATABASE_OWNER_URL in it" }}
{{- end }}
{{- if and .Values.config.audit.durability (not .Values.database.existingSecret) (not .Values.config.audit.enabled) }}
{{- fail "config.audit.durability is set but the audit trail is off: set database.existingSecret (PostgreSQL) or config.audit.enabled" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- end }}

{{/*
Whether the native preStop sleep action is available (Kubernetes >= 1.30).
*/}}
{{- define "screener.preStopSleep" -}}
{{- if and (gt (int .Values.lifecycle.preStopSleepSeconds) 0) (semverCompare ">=1.30-0" .Capabilities.KubeVersion.Version) }}true{{ end }}
{{- end }}

{{/*
An optional integer setting as a ConfigMap data line, indented for the data
map: (list "NAME" value). An empty string leaves the variable out so the
service's default applies. Values reach templates as float64, so print them as
integers, never as 1e+06.
*/}}
{{- define "screener.intEnv" -}}
{{- $value := index . 1 }}
{{- if ne (toString $value) "" }}
  {{ index . 0 }}: {{ int64 $value | toString | quote }}
{{- end }}
{{- end }}
