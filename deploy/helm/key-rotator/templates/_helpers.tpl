{{/* The release's full name, cut to Kubernetes' 63 characters. */}}
{{- define "key-rotator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "key-rotator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "key-rotator.labels" -}}
{{ include "key-rotator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "key-rotator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "key-rotator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "key-rotator.image" -}}
{{- $image := .Values.image -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Where the ConfigMap (rotations.yaml, policy.yaml) and the Secrets are mounted. */}}
{{- define "key-rotator.configDir" -}}/etc/key-rotator{{- end -}}
{{- define "key-rotator.secretsDir" -}}/var/run/key-rotator{{- end -}}

{{/*
The Kubernetes objects the rotations' kubernetes-secret destinations touch, by namespace, as JSON:
{"<namespace>": {"secrets": [names], "deployments": [...], "statefulsets": [...], "daemonsets": [...]}}.
*/}}
{{- define "key-rotator.kubernetesTargets" -}}
{{- $targets := dict -}}
{{- range $rotation := (.Values.rotations.rotations | default list) -}}
{{- range $destination := ($rotation.destinations | default list) -}}
{{- if eq (toString $destination.type) "kubernetes-secret" -}}
{{- $ns := required (printf "rotation %s: a kubernetes-secret destination needs namespace" $rotation.name) $destination.namespace -}}
{{- $entry := get $targets $ns | default (dict "secrets" list "deployments" list "statefulsets" list "daemonsets" list) -}}
{{- $_ := set $entry "secrets" (append $entry.secrets (required (printf "rotation %s: a kubernetes-secret destination needs name" $rotation.name) $destination.name) | uniq) -}}
{{- range $workload := ($destination.restart | default list) -}}
{{- $plural := get (dict "Deployment" "deployments" "StatefulSet" "statefulsets" "DaemonSet" "daemonsets") (toString $workload.kind) -}}
{{- if not $plural -}}{{- fail (printf "rotation %s: restart kind %v is not Deployment, StatefulSet or DaemonSet" $rotation.name $workload.kind) -}}{{- end -}}
{{- $_ := set $entry $plural (append (get $entry $plural) $workload.name | uniq) -}}
{{- end -}}
{{- $_ := set $targets $ns $entry -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $targets -}}
{{- end -}}

{{/* "true" when a kubernetes-secret destination authenticates as the pod's service account. */}}
{{- define "key-rotator.inClusterAuth" -}}
{{- $found := false -}}
{{- range $rotation := (.Values.rotations.rotations | default list) -}}
{{- range $destination := ($rotation.destinations | default list) -}}
{{- if and (eq (toString $destination.type) "kubernetes-secret") (eq (toString (dig "auth" "method" "" $destination)) "in-cluster") -}}
{{- $found = true -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $found -}}
{{- end -}}

{{/*
The origins the worker policy lets the worker send credentials to, as JSON [{"host", "port"}],
with the worker's own defaults for lists the policy leaves out (src/policy/worker-policy-schema.ts;
test/deploy/helm-chart.test.ts checks that these match).
*/}}
{{- define "key-rotator.policyOrigins" -}}
{{- $policy := .Values.policy | default dict -}}
{{- $defaults := dict
  "openrouter.baseUrls" (list "https://openrouter.ai/api/v1")
  "destinations.infisicalSiteUrls" (list "https://app.infisical.com")
  "destinations.githubApiUrls" (list "https://api.github.com")
  "destinations.vercelApiUrls" (list "https://api.vercel.com")
  "notifications.webhookOrigins" (list "https://hooks.slack.com") -}}
{{- $lists := list "openrouter.baseUrls" "destinations.vaultAddresses" "destinations.infisicalSiteUrls" "destinations.awsEndpoints" "destinations.githubApiUrls" "destinations.vercelApiUrls" "destinations.kubernetesApiServers" "destinations.gcpSecretManagerEndpoints" "notifications.webhookOrigins" -}}
{{- $origins := list -}}
{{- range $path := $lists -}}
{{- $parts := splitList "." $path -}}
{{- $section := get $policy (index $parts 0) | default dict -}}
{{- $urls := list -}}
{{- if hasKey $section (index $parts 1) -}}
{{- $urls = get $section (index $parts 1) | default list -}}
{{- else -}}
{{- $urls = get $defaults $path | default list -}}
{{- end -}}
{{- range $url := $urls -}}
{{- $parsed := urlParse $url -}}
{{- $hostPort := splitList ":" $parsed.host -}}
{{- $port := "" -}}
{{- if gt (len $hostPort) 1 -}}{{- $port = index $hostPort 1 -}}{{- else if eq $parsed.scheme "http" -}}{{- $port = "80" -}}{{- else -}}{{- $port = "443" -}}{{- end -}}
{{- $origins = append $origins (dict "host" (index $hostPort 0) "port" (atoi $port)) -}}
{{- end -}}
{{- end -}}
{{- toJson ($origins | uniq) -}}
{{- end -}}

{{/* A Secret volume for one existingSecret reference: only that key, read-only, mode 0440 (group: the pod's fsGroup). */}}
{{- define "key-rotator.secretVolume" -}}
- name: {{ .name }}
  secret:
    secretName: {{ .secret.existingSecret }}
    defaultMode: 288  # 0440
    items:
      - key: {{ .secret.key }}
        path: {{ .secret.key }}
{{- end -}}
