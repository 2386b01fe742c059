# Two entry points for a newcomer (see README): `make demo` and `make test`.
PYTHON ?= python3

.PHONY: setup demo test lint unit e2e cluster control-plane crds report-screenshot

# The kits (kits/: the emulated API and the demo, outside the product wheel) as a second,
# small distribution next to the product's editable install.
setup:
	bash hack/setup.sh
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps -e kits

demo: setup
	bash hack/demo.sh

# The README's test command; .ci/run calls it.
# The images are built by the e2e tier's fixture, while the other tiers already run.
test: setup lint
	$(PYTHON) hack/control_plane.py build --real-node --no-images
	$(PYTHON) hack/run_tests.py

# Static checks, before the tests: ruff's lint on the whole tree (pyproject.toml [tool.ruff] says what
# is left out and why), ruff's formatter on what has been formatted so far (FORMATTED; the rest
# follows as its owners format it), mypy (strict on the pure core, [tool.mypy]). The import-linter
# contracts run as a test (tests/unit/test_architecture.py).
FORMATTED = operator/modelmon/policies/collected_source.py tests/unit/policies/test_collected_source.py \
	tests/unit/chart/test_chart_collector_store.py tests/integration/test_collected_monitor.py \
	kits tests/conftest.py tests/support tests/integration/conftest.py tests/unit/test_architecture.py \
	tests/unit/policies/test_alert_updates.py tests/unit/policies/test_monitor_status.py \
	tests/unit/policies/test_retraining_monitor_plan.py operator/modelmon/timestamps.py \
	operator/modelmon/k8s/errors.py operator/modelmon/k8s/objects.py operator/modelmon/rollout/ticks.py \
	operator/modelmon/rollout/strategies.py operator/modelmon/policies/alert_updates.py \
	operator/modelmon/policies/monitor_status.py operator/modelmon/controller/locks.py \
	operator/modelmon/controller/monitors.py operator/modelmon/controller/handlers.py
# The test runner: the e2e tier alongside the others.
FORMATTED += hack/run_tests.py
# The retraining history limits (#17).
FORMATTED += operator/modelmon/policies/retraining_history.py tests/unit/policies/test_retraining_history.py
# HA: peering priorities and the peering objects (#20, #19).
FORMATTED += operator/modelmon/policies/peering.py operator/modelmon/k8s/peering.py tests/unit/policies/test_peering.py \
	tests/integration/test_chart_ha.py tests/integration/test_chart_upgrade.py tests/integration/test_chart_least_privilege.py \
	operator/modelmon/policies/training_accounts.py tests/unit/policies/test_training_accounts.py tests/unit/k8s/test_peering_objects.py
# The report and the history of checks (#21).
FORMATTED += operator/modelmon/reporting operator/modelmon/history operator/modelmon/drift/distributions.py \
	operator/modelmon/cli/report_command.py operator/modelmon/cli/history_command.py bench/report_bench.py \
	tests/unit/reporting tests/unit/history tests/unit/drift/test_distributions.py tests/unit/cli/test_report_command.py \
	tests/unit/cli/test_history_command.py tests/integration/test_report_browser.py
FORMATTED += operator/modelmon/check_history.py operator/modelmon/api/history.py
# The kubectl plugin and its shared cluster commands (#19).
FORMATTED += operator/modelmon/cli/cluster.py operator/modelmon/cli/exit_codes.py operator/modelmon/cli/get_command.py \
	operator/modelmon/cli/steer_command.py operator/modelmon/cli/steering.py operator/modelmon/cli/tables.py \
	tests/unit/cli/test_plugin_parser.py tests/unit/cli/test_steering.py tests/unit/cli/test_plugin_tables.py \
	tests/integration/test_kubectl_plugin.py
# Argo CD health, Prometheus analysis auth, timestamps in the CRDs, the checker's identity (#19).
FORMATTED += tests/unit/gitops tests/unit/api/test_crd_formats.py tests/unit/manifests/test_checker_identity.py \
	tests/integration/test_prometheus_auth.py hack/argocd_fixtures.py tests/unit/cli/test_json_logs.py \
	tests/integration/alerting/test_sink_proxy.py operator/modelmon/cli/model_history.py tests/unit/cli/test_model_history.py \
	tests/integration/test_crd_timestamps.py
# Datasets, not files (#18).
FORMATTED += operator/modelmon/data/datasets.py operator/modelmon/data/filesystems.py tests/unit/data/test_datasets.py \
	tests/unit/data/test_windowed_check.py tests/unit/data/test_data_sources_doc.py tests/integration/test_s3_datasets.py \
	bench/partitioned_bench.py
# Capture from KServe: modelmon collect (#18).
FORMATTED += operator/modelmon/collector operator/modelmon/cli/collect_command.py tests/unit/collector \
	tests/integration/test_collector.py bench/collector_bench.py tests/unit/chart/test_chart_collector.py
# Hardening: failures surfaced, secrets never leaked (#20).
FORMATTED += tests/integration/alerting/test_secret_leaks.py tests/unit/data/test_bad_data_corpus.py tests/bad_data \
	operator/modelmon/manifests/limits.py operator/modelmon/policies/check_jobs.py operator/modelmon/controller/check_jobs.py \
	operator/modelmon/k8s/errors.py tests/unit/policies/test_check_jobs.py tests/unit/manifests/test_limits.py \
	tests/integration/test_surfaced_failures.py tests/unit/cli/test_log_lines.py operator/modelmon/controller/diffbase.py \
	tests/unit/test_diffbase.py tests/unit/api/test_spec_bounds.py tests/integration/alerting/test_smtp_secret_leaks.py
# Metrics served from status, the scale benchmark (#19).
FORMATTED += operator/modelmon/metrics tests/unit/metrics tests/unit/chart/test_dashboard_queries.py \
	tests/integration/test_metrics_restart.py bench/operator_scale.py
# The rollout planned on typed status (#16).
FORMATTED += tests/unit/rollout/test_golden_ticks.py tests/unit/policies/test_retraining_job_golden.py
# The active model, undo and the trading metrics (#17).
FORMATTED += operator/modelmon/policies/active_model.py operator/modelmon/policies/undo.py \
	tests/unit/policies/test_active_model.py tests/unit/performance/test_trading_metrics.py \
	tests/unit/test_defaults_doc.py tests/unit/test_example_references.py tests/unit/cli/test_rollout_undo.py
# Stuck drift-check pods surfaced on Ready (#20).
FORMATTED += operator/modelmon/policies/check_pods.py operator/modelmon/controller/check_pods.py \
	tests/unit/policies/test_check_pods.py tests/integration/test_stuck_check_pods.py
# Redaction of hex, base64-shifted and split echoes (#20).
FORMATTED += operator/modelmon/alerting/redaction.py tests/unit/alerting/test_redaction_echoes.py
# The operator SIGKILLed at every retraining and rollout step (#20).
FORMATTED += tests/integration/test_operator_kills.py
# The operator at scale: children as plain JSON, the alert policy cache (#19).
FORMATTED += operator/modelmon/k8s/apply.py operator/modelmon/k8s/client.py tests/emulation/test_apply.py \
	tests/unit/alerting/test_policy_cache.py
# The drift check's verdict onto its monitor, one writer for check pods and check Jobs.
FORMATTED += operator/modelmon/controller/check_verdicts.py
# The RetrainingJob phase, one enum for the CRD schema, the policies and the CLI (#16).
FORMATTED += operator/modelmon/api/retraining_phases.py operator/modelmon/k8s/status_writes.py tests/emulation/test_status_writes.py tests/emulation/conftest.py tests/emulation/test_reconcile_ready.py tests/emulation/test_check_job_last_words.py
# Vocabularies defined once: the monitor's health (#16).
FORMATTED += operator/modelmon/api/health.py operator/modelmon/k8s/rollout.py tests/unit/k8s/test_rollout_reads.py \
	operator/modelmon/k8s/events.py tests/unit/k8s/test_events.py hack/figures_16.py tests/unit/test_figures_16.py
# The monitor's status planners on typed status, read once per event (#16).
FORMATTED += operator/modelmon/policies/monitor_state.py operator/modelmon/controller/monitor_reads.py \
	operator/modelmon/policies/health.py operator/modelmon/policies/observations.py operator/modelmon/policies/alert_state.py \
	operator/modelmon/policies/conditions.py tests/unit/policies/test_monitor_state.py tests/unit/policies/test_monitor_status_golden.py
# The remaining duplicated vocabularies, each now named from its API model (#16).
FORMATTED += tests/unit/test_vocabularies.py
# The RetrainingJob's monitor side and the listing of RetrainingJobs on typed status (#16).
FORMATTED += operator/modelmon/k8s/retraining.py tests/unit/k8s/test_retraining_listing.py \
	tests/unit/controller/test_retraining_unreadable.py tests/unit/policies/test_retraining_monitor_golden.py \
	tests/unit/controller/test_retraining_filters.py tests/unit/policies/test_retraining_monitor_plan.py
lint:
	$(PYTHON) -m ruff check
	$(PYTHON) -m ruff format --check $(FORMATTED)
	$(PYTHON) -m mypy

unit:
	$(PYTHON) -m pytest -q tests/unit

# The end-to-end tier alone: the chart, the quickstart and the loop on a real node.
e2e: setup control-plane
	$(PYTHON) -m pytest -q -m e2e tests/e2e

# Build (once, cached by version and content) the real control plane of the integration tests,
# the real node's kubelet and kube-proxy, helm, and the images (hack/images.py).
control-plane:
	$(PYTHON) hack/control_plane.py build --real-node

# Start the control plane with one real node for a person (root); prints the KUBECONFIG to use
# with kubectl and helm. The operator's and the examples' images are already on the node.
cluster: control-plane
	$(PYTHON) hack/control_plane.py up --real-node

# Regenerate crds/<plural>.yaml from the spec models (`modelmon crds` prints them all as one
# stream) and copy them into the Helm chart, whose copies a unit test holds identical.
crds:
	modelmon crds | $(PYTHON) -c 'import re, sys, yaml; head, *docs = re.split(r"^---\n", sys.stdin.read(), flags=re.M); \
	[open("crds/%s.yaml" % yaml.safe_load(doc)["spec"]["names"]["plural"], "w").write(head + "---\n" + doc) for doc in docs]'
	rm -f charts/modelmon/files/crds/*.yaml
	cp crds/*.yaml charts/modelmon/files/crds/
	$(PYTHON) charts/sync_values_schema.py

# The README's picture of `modelmon report` (docs/images/report.png): the drifted example's report, as headless
# Chromium (hack/setup.sh installs it) renders its first 1100 x 1500 pixels. The example is critical, so the report
# exits 3: expected here.
report-screenshot:
	@set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	modelmon report --reference examples/data/reference.csv --current examples/data/current-drifted.csv \
	  --title "Drift report: examples/data/current-drifted.csv against reference.csv" \
	  --output "$$scratch/report.html" || [ $$? -eq 3 ]; \
	mkdir -p docs/images; \
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
	  --disable-sync --no-first-run --user-data-dir="$$scratch/profile" --hide-scrollbars --window-size=1100,1500 \
	  --screenshot="$(CURDIR)/docs/images/report.png" "file://$$scratch/report.html" 2>/dev/null; \
	echo "wrote docs/images/report.png"
