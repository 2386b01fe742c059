"""Condition types, reasons and health values in one place (as Argo's utils/conditions)."""

from __future__ import annotations

import enum
from typing import Literal

# Defined with the API models (the CRD schema is generated from them); named here too, beside the
# conditions' reasons, for the modules that take their vocabulary from here.
from modelmon.api.health import Health as Health
from modelmon.api.retraining_phases import RetrainingPhase as RetrainingPhase

EventType = Literal["Normal", "Warning"]
"""A Kubernetes Event's type: the two words the API accepts, Warning for what a person should look at."""


class ConditionType(str, enum.Enum):
    READY = "Ready"
    DRIFTED = "Drifted"
    DATA_QUALITY_DEGRADED = "DataQualityDegraded"
    DATA_UNAVAILABLE = "DataUnavailable"
    DEGRADED = "Degraded"
    ACTIVE_MODEL = "ActiveModel"


class MonitorReason(str, enum.Enum):
    """Reasons of a ModelMonitor's conditions and Events."""

    RECONCILED = "Reconciled"
    INVALID_SPEC = "InvalidSpec"
    RECONCILE_FAILED = "ReconcileFailed"
    MISSING_SECRET = "MissingSecret"
    IMAGE_PULL_FAILED = "ImagePullFailed"
    """Ready False: a check pod's image cannot be pulled (policies/check_pods.py)."""
    CHECK_POD_FAILING = "CheckPodFailing"
    """Ready False: a check pod's container cannot be created (a missing ConfigMap/Secret key)."""
    CHECK_POD_STARTED = "CheckPodStarted"
    """Ready True again: a later check pod started its container."""
    DRIFT_DETECTED = "DriftDetected"
    FEATURES_DRIFTED = "FeaturesDrifted"
    NO_DRIFT = "NoDrift"
    INSUFFICIENT_DATA = "InsufficientData"
    AWAITING_FIRST_CHECK = "AwaitingFirstCheck"
    QUALITY_ISSUES = "QualityIssues"
    QUALITY_OK = "QualityOK"
    READ_FAILED = "ReadFailed"
    DATA_READ = "DataRead"
    PERFORMANCE_DEGRADED = "PerformanceDegraded"
    PERFORMANCE_DECLINING = "PerformanceDeclining"
    PERFORMANCE_OK = "PerformanceOK"
    PERFORMANCE_NOT_WATCHED = "PerformanceNotWatched"
    PROMOTED = "Promoted"
    SPEC_OVERRIDES = "SpecOverrides"


class RetrainingCondition(str, enum.Enum):
    COMPLETE = "Complete"
    FAILED = "Failed"
    SUSPENDED = "Suspended"
    VALIDATED = "Validated"
    PAUSED = "Paused"


class RetrainingReason(str, enum.Enum):
    QUEUED = "Queued"
    JOB_CREATED = "JobCreated"
    TRAINING_FINISHED = "TrainingFinished"
    VALIDATION_PASSED = "ValidationPassed"
    VALIDATION_FAILED = "ValidationFailed"
    ROLLOUT_REQUESTED = "RolloutRequested"
    TRAINING_FAILED = "TrainingFailed"
    DEADLINE_EXCEEDED = "DeadlineExceeded"
    INVALID_RESULT = "InvalidResult"
    MONITOR_NOT_FOUND = "MonitorNotFound"
    INVALID_SPEC = "InvalidSpec"
    JOB_REJECTED = "JobRejected"
    SERVICE_ACCOUNT_NOT_ALLOWED = "ServiceAccountNotAllowed"
    JOB_LOST = "JobLost"
    SUSPENDED = "Suspended"
    RESTORING = "Restoring"


class RolloutReason(str, enum.Enum):
    """Reasons of a rollout's Events and of the RetrainingJob's final phase after a rollout."""

    STARTED = "RolloutStarted"
    WEIGHT_SET = "WeightSet"
    WEIGHT_REACHED = "WeightReached"
    PAUSED = "Paused"
    PAUSE_ENDED = "PauseEnded"
    ANALYSIS_STARTED = "AnalysisStarted"
    ANALYSIS_SUCCESSFUL = "AnalysisSuccessful"
    ANALYSIS_FAILED = "AnalysisFailed"
    ANALYSIS_ERROR = "AnalysisError"
    ANALYSIS_INCONCLUSIVE = "AnalysisInconclusive"
    PREVIEW_STARTED = "PreviewStarted"
    PREVIEW_READY = "PreviewReady"
    AWAITING_PROMOTION = "AwaitingPromotion"
    SERVICE_SWITCHED = "ServiceSwitched"
    SELECTORS_RESTORED = "SelectorsRestored"
    PROMOTING = "Promoting"
    PROMOTED = "Promoted"
    PROMOTED_FULL = "PromotedFull"
    RETRIED = "Retried"
    JOB_RETRIED = "RolloutRetried"
    """The RetrainingJob's reason when a finished rollout is retried and its phase goes back to RollingOut."""
    RESUMED = "Resumed"
    """The Paused condition's reason (status False) when a paused rollout progresses again."""
    ABORTED = "Aborted"
    IGNORED = "ManualActionIgnored"
    PROGRESS_DEADLINE_EXCEEDED = "ProgressDeadlineExceeded"
    TARGET_NOT_FOUND = "TargetNotFound"
    TARGET_UNUSABLE = "TargetUnusable"
    SPEC_CHANGED = "SpecChanged"
    ROLLING_BACK = "RollingBack"
    ROLLED_BACK = "RolledBack"
    ROLLED_OUT = "RolledOut"
