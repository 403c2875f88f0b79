{{/*
Chart name, overridable with nameOverride.
*/}}
{{- define "ogf-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of every object: fullnameOverride, else <release>-<chart> (just the
release name when it already contains the chart name). At most 63 characters.
*/}}
{{- define "ogf-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
chart label value: <name>-<version>.
*/}}
{{- define "ogf-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels that select the operator pods (stable across upgrades).
*/}}
{{- define "ogf-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ogf-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels on every object of the chart.
*/}}
{{- define "ogf-operator.labels" -}}
helm.sh/chart: {{ include "ogf-operator.chart" . }}
{{ include "ogf-operator.selectorLabels" . }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: ogf
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Name of the ServiceAccount the operator runs as.
*/}}
{{- define "ogf-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ogf-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: repository@digest when a digest is set, else repository:tag
(tag defaults to the chart's appVersion).
*/}}
{{- define "ogf-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Refuses value combinations that would install something broken.
*/}}
{{- define "ogf-operator.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail "replicaCount > 1 needs leaderElection.enabled: two replicas without a leader would both reconcile" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.service.enabled: the ServiceMonitor scrapes that Service" }}
{{- end }}
{{- end }}

{{/*
RBAC rules the reconcilers need in every namespace they watch. Rendered into
the ClusterRole (cluster mode) or into one Role per watched namespace
(namespaced mode). Exactly what operator/src uses; no wildcards. Keep the
table in docs/operator.md in step with this list.
*/}}
{{- define "ogf-operator.rules" -}}
# Marketplace reconciler: watches Marketplaces, writes their status.
- apiGroups: ["ogf.dev"]
  resources: ["marketplaces"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["ogf.dev"]
  resources: ["marketplaces/status"]
  verbs: ["patch"]
# Owned objects carry ownerReferences with blockOwnerDeletion, which clusters
# running the OwnerReferencesPermissionEnforcement admission plugin allow only
# to who may update the owner's finalizers.
- apiGroups: ["ogf.dev"]
  resources: ["marketplaces/finalizers"]
  verbs: ["update"]
# Owned objects: server-side apply (create + patch), read before writing
# (get), watched by label for drift repair (list, watch).
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: [""]
  resources: ["services", "serviceaccounts", "persistentvolumeclaims"]
  verbs: ["get", "list", "watch", "create", "patch"]
# ConfigMaps: one per color (<name>-config-<color>); the single <name>-config of
# older operator versions is deleted once no Rollout holds its Marketplace.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Secrets: the generated JWT signing key is applied and deleted when the spec
# brings its own; referenced Secrets are read and watched so a Marketplace
# waiting for one recovers when it appears.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Optional owned objects: deleted when the spec no longer asks for them.
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies", "ingresses"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# ServiceMonitors, when the Prometheus Operator's API exists (discovered at
# start): applied and deleted, not watched.
- apiGroups: ["monitoring.coreos.com"]
  resources: ["servicemonitors"]
  verbs: ["get", "create", "patch", "delete"]
# Events (kube-runtime's Recorder: events.k8s.io/v1, create, then patch for a
# repeated event's series).
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
# For the Rollout, Backup and Restore reconcilers (issues 6 and 7): their
# resources and status; the implicit Rollout the Marketplace reconciler
# creates for a plain image change (and deletes once it succeeded); the
# Marketplace image a Rollout promotes; the Backup a Rollout takes before it
# starts; the Jobs and CronJobs that run backups, restores and migrations.
- apiGroups: ["ogf.dev"]
  resources: ["rollouts"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["ogf.dev"]
  resources: ["backups"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: ["ogf.dev"]
  resources: ["restores"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["ogf.dev"]
  resources: ["marketplaces"]
  verbs: ["patch"]
- apiGroups: ["ogf.dev"]
  resources: ["rollouts/status", "backups/status", "restores/status"]
  verbs: ["patch"]
# The Rollout reconciler records each phase with a resourceVersion-guarded
# replace, so a stale reconcile cannot overwrite a newer phase.
- apiGroups: ["ogf.dev"]
  resources: ["rollouts/status"]
  verbs: ["update"]
# Backup, verify, prune, restore and migration Jobs: created, watched, listed
# with their pods, annotated once recorded (patch), deleted beyond the
# history. Backups are scheduled by the operator, so no CronJobs.
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Backup Jobs carry an ownerReference to their Backup, migration Jobs and
# pre-rollout Backups one to their Rollout, with
# blockOwnerDeletion (see marketplaces/finalizers above).
- apiGroups: ["ogf.dev"]
  resources: ["backups/finalizers", "rollouts/finalizers"]
  verbs: ["update"]
# Pods (read only): the Backup and Restore reconcilers read a Job pod's
# termination message (the engine's result line); a Restore waits until the
# API pods of its Marketplace are gone before its Job starts.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
{{- end }}

{{/*
RBAC rules for leader election, in the release namespace only: the Lease is
created once, then read and patched by name (kube-lease-manager).
*/}}
{{- define "ogf-operator.leaseRules" -}}
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["create"]
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  resourceNames: [{{ .Values.leaderElection.leaseName | quote }}]
  verbs: ["get", "patch"]
{{- end }}
