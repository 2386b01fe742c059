"""The parser shared by ``modelmon`` and ``kubectl modelmon``: the lazily listed sub-commands agree with
their modules, cluster flags go before or after the sub-command, the names spelled in cli/ agree with
the API, and the documented exit codes are the ones in cli/exit_codes.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modelmon import cli
from modelmon.cli import cluster, exit_codes, steer_command

DOCS = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_each_listed_command_has_its_modules_help(command):
    loaded = cli.build_parser(command=command)
    sub = next(a for a in loaded._subparsers._group_actions)  # noqa: SLF001 - argparse keeps them there
    helps = {c.dest: c.help for c in sub._choices_actions}  # noqa: SLF001
    assert helps[command] == cli.COMMANDS[command][1]
    assert sub.choices[command].add_help, f"{command} is registered in full by its module"


def test_only_the_chosen_commands_module_is_loaded():
    assert cli.chosen_command(["-n", "get", "list", "mm"]) == "list"
    assert cli.chosen_command(["--context", "prod", "get", "mm"]) == "get"
    assert cli.chosen_command(["--version"]) is None


@pytest.mark.parametrize(
    "argv",
    [
        ["-n", "ml", "--context", "prod", "get", "mm"],
        ["get", "mm", "-n", "ml", "--context", "prod"],
        ["--context", "other", "get", "mm", "-n", "ml", "--context", "prod"],
    ],
    ids=["before", "after", "after-wins"],
)
def test_cluster_flags_before_or_after_the_command(argv):
    args = cli.build_parser(command="get").parse_args(argv)
    assert (args.namespace, args.context, args.kubeconfig, args.timeout) == ("ml", "prod", None, None)


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"], prog="kubectl modelmon")
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"kubectl modelmon {cli.version()}"


def test_the_names_spelled_in_cli_agree_with_the_api():
    from modelmon.api import monitor, retraining, rollout
    from modelmon.controller import reconcile
    from modelmon.policies import alert_state

    assert (cluster.GROUP, cluster.VERSION) == (monitor.GROUP, monitor.VERSION)
    assert (cluster.MONITORS.plural, cluster.MONITORS.kind) == (monitor.PLURAL, monitor.KIND)
    assert (cluster.RETRAINING_JOBS.plural, cluster.RETRAINING_JOBS.kind) == (retraining.PLURAL, retraining.KIND)
    assert (steer_command.PROMOTE, steer_command.PROMOTE_FULL, steer_command.ABORT, steer_command.RETRY) == (
        rollout.PROMOTE,
        rollout.PROMOTE_FULL,
        rollout.ABORT,
        rollout.RETRY,
    )
    assert steer_command.CHECK_NOW == reconcile.CHECK_NOW
    assert steer_command.ACK == alert_state.ACK_ANNOTATION


def test_the_documented_exit_codes_are_the_real_ones():
    rows = dict(re.findall(r"^\| (\d+) \| `?(\w+)`? \|", DOCS.read_text(), flags=re.M))
    names = {name: getattr(exit_codes, name) for name in dir(exit_codes) if name.isupper() and name != "TABLE"}
    assert {int(code): name for code, name in rows.items()} == {code: name for name, code in names.items()}
    assert set(exit_codes.TABLE) == set(names.values())


def test_an_unknown_kind_is_a_usage_error(capsys):
    assert cli.main(["get", "pods"]) == exit_codes.USAGE
    assert (
        capsys.readouterr().err == "modelmon: error: unknown kind 'pods': use monitors (mm) or retrainingjobs (rtj)\n"
    )
