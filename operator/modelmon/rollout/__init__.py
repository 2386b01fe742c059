"""The rollout of a retrained model as a pure state machine.

``machine.plan(spec, state, observed, now)`` takes the rollout's persisted state
(``status.rollout``), what the controller observed (the Deployments, Services, manual
annotations, analysis measurements) and the clock, and returns the next state, the
actions that bring the cluster to it and the Events telling each step. Nothing here does
I/O: :mod:`modelmon.controller.rollout` observes, measures and applies.
"""
