{{/*
The operator's rights, split by scope. Each rule names the code that needs it; nothing is a
wildcard. Namespaced rules go into a ClusterRole when every namespace is watched, else into
a Role in each watched namespace; cluster-scoped rules always need a ClusterRole.
*/}}

{{- define "modelmon.rules.namespaced" -}}
# kopf lists and watches ModelMonitors and patches its progress annotations onto them;
# controller/handlers.py reads the owner monitor when a drift-check CronJob is deleted.
- apiGroups: ["modelmon.io"]
  resources: ["modelmonitors"]
  verbs: ["get", "list", "watch", "patch"]
# The handlers write health, conditions and alerts through the status subresource. The
# checker Roles the operator creates (manifests/checkjob.py) grant get+patch on it, and
# RBAC lets the operator grant only rights it holds itself (no bind/escalate needed).
- apiGroups: ["modelmon.io"]
  resources: ["modelmonitors/status"]
  verbs: ["get", "patch"]
# RetrainingJobs: created when a monitor's retraining policy fires, watched by kopf and
# driven through their status (controller/retraining.py, controller/rollout.py); finished
# ones beyond the monitor's history limits are deleted (policies/retraining_history.py).
- apiGroups: ["modelmon.io"]
  resources: ["retrainingjobs"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["modelmon.io"]
  resources: ["retrainingjobs/status"]
  verbs: ["patch"]
# Drift-check CronJobs: created and kept in shape by k8s/apply.py; watched so that a
# deleted one is recreated at once (handlers.restore_child).
- apiGroups: ["batch"]
  resources: ["cronjobs"]
  verbs: ["get", "list", "watch", "create", "patch"]
# Jobs: check-now Jobs (reconcile.start_check_now) and training Jobs (manifests/training.py),
# watched for completion; a cancelled retraining deletes its Job.
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# The training pod's termination message carries its result (model URI, metrics): the
# pods of a training Job are listed by its job-name label (k8s/retraining.py). Drift-check
# pods are watched (only those with the check labels, a server-side selector) so that an
# image that cannot be pulled turns the monitor's Ready False at once (controller/check_pods.py).
# RBAC cannot restrict by label; no get, no writes.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch"]
# The ServiceAccount, Role and RoleBinding each drift-check job runs as (k8s/apply.py).
- apiGroups: [""]
  resources: ["serviceaccounts"]
  verbs: ["get", "create", "patch"]
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles", "rolebindings"]
  verbs: ["get", "create", "patch"]
# The checker Roles grant get on the ConfigMaps a monitor names as its data; the operator
# holds that right so that it may grant it.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get"]
# Events about monitors and retrainings (k8s/events.py, and kopf's own poster).
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
# Rollouts (k8s/rollout.py): the canary / preview Deployment cloned from the model's
# Deployment and removed at the end, and the model hand-over patched into the target.
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "create", "patch", "delete"]
# Blue-green: the Service's selector is switched to the new colour and back.
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "patch"]
{{- if .Values.rbac.readSecrets }}
# Alert sinks read their credentials (Slack URL, webhook URL and HMAC key, SMTP password,
# Alertmanager token) from the Secrets a monitor references; never listed or watched. Only
# with rbac.readSecrets (any Secret); by default, templates/secret-access.yaml grants get on
# the named Secrets only.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
{{- end }}
{{- if and .Values.operator.peering.enabled .Values.watchNamespaces }}
# kopf peering in namespaced mode: one KopfPeering per watched namespace, watched for the
# peers' records and patched with this replica's; created at start when missing
# (k8s/peering.py).
- apiGroups: ["kopf.dev"]
  resources: ["kopfpeerings"]
  verbs: ["get", "list", "watch", "patch", "create"]
{{- end }}
{{- end -}}

{{- define "modelmon.rules.cluster" -}}
# kopf watches CustomResourceDefinitions to notice when the resources it serves appear.
- apiGroups: ["apiextensions.k8s.io"]
  resources: ["customresourcedefinitions"]
  verbs: ["list", "watch"]
{{- if .Values.watchNamespaces }}
# kopf lists and watches namespaces to learn which of the listed ones exist.
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["list", "watch"]
{{- else if .Values.operator.peering.enabled }}
# kopf peering cluster-wide: one ClusterKopfPeering, watched for the peers' records and
# patched with this replica's; created at start when missing (k8s/peering.py).
- apiGroups: ["kopf.dev"]
  resources: ["clusterkopfpeerings"]
  verbs: ["get", "list", "watch", "patch", "create"]
{{- end }}
{{- end -}}
