#!/usr/bin/env python3
"""The before/after figures of #16 (one reconciler per resource, vocabularies defined once), for any commit.

    python hack/figures_16.py de00b08            # before #16 began
    python hack/figures_16.py HEAD --details     # every site counted, file:line

It reads the product package (the directory holding ``modelmon/__init__.py`` outside tests and kits:
``operator/modelmon`` at every commit so far) with ``git ls-tree`` and ``git cat-file``, so it needs no
checkout and counts exactly what the commit holds. At de00b08 the package also held the emulator and
the demo (``emulation/``, ``demo/``), which later moved to ``kits/``; they are counted where they lived.

What is counted, and how (syntax, not meaning: the --details list is there to be read):

- Reason / Severity vocabularies: classes and type aliases whose name ends in ``Reason`` or ``Severity``,
  and ``Literal[...]`` types of severity words written inline; a set of words written more than once is
  a duplicate.
- Phase words (the RetrainingJob's and the rollout's phases, PHASE_WORDS) as string literals, outside the
  enum or Literal that defines them and outside docstrings. Some are other vocabularies' words too (a
  condition type ``Failed``), hence the list.
- Timestamp formatters: functions that turn a time into text (``isoformat`` of a datetime, or
  ``strftime`` with a ``%Y-%m-%dT`` format).
- Which API errors are retried: functions whose name says temporary, transient or retryable.
- ``get_monitor``: its definitions.
- Per-object lock maps: ``defaultdict`` of locks, or a ``dict[..., Lock]`` attribute.
- Status writers: functions that call ``patch_namespaced_custom_object_status`` or write kopf's
  ``patch.status``, by the kind whose status they write (the plural they pass; kopf's patch: the kind of
  the handler, else of the module's name).
- Event handlers by kind: functions decorated with ``kopf.on.*``, ``kopf.timer`` or ``kopf.daemon``.
- Handler sizes: lines of each handler, and of the functions and methods of ``controller/`` it calls directly.
- String-keyed reads per directory (rollout, policies, controller, k8s): matches of READS on the source text.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import re
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

READS = re.compile(r'(\.get\("[A-Za-z_]+"|\["[A-Za-z_]+"\])')
READ_DIRECTORIES = ("rollout", "policies", "controller", "k8s")
#: The RetrainingJob's phases and the rollout's (status.phase, status.rollout.phase).
PHASE_WORDS = frozenset(
    {
        "Pending",
        "Training",
        "Validating",
        "RollingOut",
        "Succeeded",
        "Failed",
        "RolledBack",
        "Cancelled",
        "Progressing",
        "Paused",
        "Promoting",
        "Finalizing",
        "RollingBack",
    }
)
SEVERITY_WORDS = frozenset({"ok", "info", "warning", "critical", "unknown"})
TEMPORARY_NAME = re.compile(r"temporary|transient|retryable", re.IGNORECASE)
KOPF_DECORATORS = re.compile(r"^kopf\.(on\.\w+|timer|daemon)$")
STATUS_WRITE = "patch_namespaced_custom_object_status"


@dataclasses.dataclass(frozen=True)
class Site:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.what}"


@dataclasses.dataclass(frozen=True)
class Handler:
    site: Site
    kind: str
    lines: int
    #: (site, lines) of each controller function or method it calls directly.
    calls: tuple[tuple[Site, int], ...]


@dataclasses.dataclass
class Figures:
    reasons: list[Site] = dataclasses.field(default_factory=list)
    severities: list[Site] = dataclasses.field(default_factory=list)
    severity_sets: Counter[tuple[str, ...]] = dataclasses.field(default_factory=Counter)
    phase_definitions: list[Site] = dataclasses.field(default_factory=list)
    phase_literals: list[Site] = dataclasses.field(default_factory=list)
    formatters: list[Site] = dataclasses.field(default_factory=list)
    temporary: list[Site] = dataclasses.field(default_factory=list)
    get_monitor: list[Site] = dataclasses.field(default_factory=list)
    lock_maps: list[Site] = dataclasses.field(default_factory=list)
    #: kind -> the functions writing its status
    status_writers: dict[str, list[Site]] = dataclasses.field(default_factory=dict)
    handlers: list[Handler] = dataclasses.field(default_factory=list)
    reads: dict[str, int] = dataclasses.field(default_factory=dict)
    #: directory -> its lines of source, beside the reads (the code grew between the commits compared)
    read_lines: dict[str, int] = dataclasses.field(default_factory=dict)


# --- reading a commit -------------------------------------------------------------------------


def package_sources(commit: str, *, repo: Path) -> dict[str, str]:
    """The product package's Python files at ``commit``, by path inside the package."""
    names = _git(repo, "ls-tree", "-r", "--name-only", commit).splitlines()
    inits = [
        name for name in names if name.endswith("modelmon/__init__.py") and not name.startswith(("tests/", "kits/"))
    ]
    if not inits:
        raise SystemExit(f"{commit}: no modelmon/__init__.py outside tests/ and kits/")
    root = min(inits, key=len)[: -len("__init__.py")]
    paths = [name for name in names if name.startswith(root) and name.endswith(".py")]
    blobs = _cat(repo, [f"{commit}:{path}" for path in paths])
    return {path[len(root) :]: text for path, text in zip(paths, blobs, strict=True)}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _cat(repo: Path, objects: list[str]) -> list[str]:
    """Many blobs in one git process (``cat-file --batch``: a header line, then the bytes)."""
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        input="\n".join(objects).encode() + b"\n",
        check=True,
        capture_output=True,
    ).stdout
    texts, at = [], 0
    for _ in objects:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        texts.append(out[header_end + 1 : header_end + 1 + size].decode())
        at = header_end + 1 + size + 1
    return texts


# --- measuring (pure: sources in, figures out) ------------------------------------------------


def measure(sources: Mapping[str, str]) -> Figures:
    figures = Figures()
    modules = {path: ast.parse(text, filename=path) for path, text in sorted(sources.items())}
    controller_defs = _controller_defs(modules)
    for path, tree in modules.items():
        _Module(path, tree, figures, controller_defs).run()
    for directory in READ_DIRECTORIES:
        texts = [text for path, text in sources.items() if path.startswith(directory + "/")]
        figures.reads[directory] = sum(len(READS.findall(text)) for text in texts)
        figures.read_lines[directory] = sum(len(text.splitlines()) for text in texts)
    return figures


FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def _functions(tree: ast.AST) -> Iterator[FunctionNode]:
    for node in ast.walk(tree):
        if isinstance(node, FunctionNode):
            yield node


def _lines(node: ast.stmt) -> int:
    return (node.end_lineno or node.lineno) - node.lineno + 1


@dataclasses.dataclass(frozen=True)
class _Def:
    path: str
    node: FunctionNode
    owner: str | None  # the class of a method; None for a module-level function


def _controller_defs(modules: Mapping[str, ast.Module]) -> dict[str, list[_Def]]:
    """Functions and methods of controller/ by name: what a handler's calls are resolved against."""
    found: dict[str, list[_Def]] = {}
    for path, tree in modules.items():
        if not path.startswith("controller/"):
            continue
        owners = {
            id(item): node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            for item in node.body
            if isinstance(item, FunctionNode)
        }
        for node in _functions(tree):
            found.setdefault(node.name, []).append(_Def(path, node, owners.get(id(node))))
    return found


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def _is_enum(node: ast.ClassDef) -> bool:
    return any("Enum" in _dotted(base) for base in node.bases)


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _kind_of_module(module: str) -> str | None:
    last = module.rsplit(".", 1)[-1].lower()
    if "retraining" in last or last in ("rtj", "rollout"):
        return "RetrainingJob"
    if "monitor" in last:
        return "ModelMonitor"
    return None


class _Module:
    def __init__(
        self,
        path: str,
        tree: ast.Module,
        figures: Figures,
        controller_defs: Mapping[str, list[_Def]],
    ) -> None:
        self.path, self.tree, self.figures, self.controller_defs = path, tree, figures, controller_defs
        self.imports: dict[str, str] = {}  # local name -> module (or module.name) it stands for
        self.assigned: dict[str, ast.expr] = {}  # module-level NAME = value
        self.docstrings: set[int] = set()  # id() of docstring constants
        self.enum_values: set[int] = set()  # id() of constants defining enum members
        self.literal_strings: set[int] = set()  # id() of constants inside Literal[...]
        self.parents: dict[int, FunctionNode | None] = {}
        self.instances: dict[str, str] = {}  # a variable (or self.attribute) -> the class it was built from

    def site(self, node: ast.stmt | ast.expr, what: str) -> Site:
        return Site(self.path, node.lineno, what)

    def run(self) -> None:
        self._index()
        self._definitions()
        self._phase_literals()
        self._formatters()
        self._status_writes()
        self._handlers()

    def _index(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports[alias.asname or alias.name.split(".")[0]] = alias.name
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            if isinstance(node, ast.Module | ast.ClassDef | FunctionNode) and node.body:
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    self.docstrings.add(id(first.value))
            if isinstance(node, ast.ClassDef) and _is_enum(node):
                for statement in node.body:
                    if isinstance(statement, ast.Assign):
                        self.enum_values.update(id(c) for c in ast.walk(statement.value))
            if isinstance(node, ast.Subscript) and _dotted(node.value).endswith("Literal"):
                self.literal_strings.update(id(c) for c in ast.walk(node.slice))
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call):
                built = _dotted(node.value.func).rsplit(".", 1)[-1]
                if built[:1].isupper():
                    self.instances[_dotted(node.targets[0])] = built
        for statement in self.tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
                if isinstance(target, ast.Name):
                    self.assigned[target.id] = statement.value
        for function in _functions(self.tree):
            for node in ast.walk(function):
                self.parents[id(node)] = function  # innermost wins: walk visits outer functions first

    def _definitions(self) -> None:
        figures = self.figures
        for node in ast.walk(self.tree):
            name, value = None, None
            if isinstance(node, ast.ClassDef):
                name = node.name
                if _is_enum(node) and "Phase" in node.name:
                    figures.phase_definitions.append(self.site(node, f"class {name}"))
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name, value = node.targets[0].id, node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                name, value = node.target.id, node.value
            if isinstance(node, ast.stmt) and name and (isinstance(node, ast.ClassDef) or _is_literal(value)):
                if name.endswith("Reason"):
                    figures.reasons.append(self.site(node, name))
                if name.endswith("Severity"):
                    figures.severities.append(self.site(node, name))
            if isinstance(node, ast.Subscript) and _dotted(node.value).endswith("Literal"):
                words = _strings(node.slice)
                if words and set(words) <= SEVERITY_WORDS and {"warning", "critical"} <= set(words):
                    figures.severity_sets[tuple(sorted(words))] += 1
                if len(words) >= 3 and 2 * len(PHASE_WORDS & set(words)) >= len(words):
                    figures.phase_definitions.append(self.site(node, "Literal[" + ", ".join(words) + "]"))
            if isinstance(node, FunctionNode):
                if TEMPORARY_NAME.search(node.name):
                    figures.temporary.append(self.site(node, node.name))
                if node.name == "get_monitor":
                    figures.get_monitor.append(self.site(node, node.name))
            if isinstance(node, ast.Assign | ast.AnnAssign) and self._is_lock_map(node):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                figures.lock_maps.append(self.site(node, _dotted(target)))

    @staticmethod
    def _is_lock_map(node: ast.Assign | ast.AnnAssign) -> bool:
        value = node.value
        if (
            isinstance(value, ast.Call)
            and _dotted(value.func).endswith("defaultdict")
            and any(_dotted(arg).endswith("Lock") for arg in value.args)
        ):
            return True
        annotation = ast.unparse(node.annotation) if isinstance(node, ast.AnnAssign) else ""
        return bool(re.match(r"(dict|Dict|defaultdict)\[.*Lock\]$", annotation))

    def _phase_literals(self) -> None:
        excluded = self.docstrings | self.enum_values | self.literal_strings
        for node in ast.walk(self.tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in PHASE_WORDS
                and id(node) not in excluded
            ):
                self.figures.phase_literals.append(self.site(node, repr(node.value)))

    def _formatters(self) -> None:
        seen: set[int] = set()
        for node in ast.walk(self.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method, receiver = node.func.attr, node.func.value
            formats = method == "isoformat" and not (
                isinstance(receiver, ast.Call) and _dotted(receiver.func).endswith(("date", "date.today"))
            )  # a day is no timestamp
            if method == "strftime":
                formats = any(text.startswith("%Y-%m-%dT") for text in _strings(node))
            if not formats:
                continue
            function = self.parents.get(id(node))
            key = id(function) if function is not None else 0
            if key not in seen:
                seen.add(key)
                where = function if function is not None else node
                self.figures.formatters.append(self.site(where, function.name if function else "(module level)"))

    def _kind_of(self, node: ast.AST) -> str | None:
        """The kind an argument names (a plural string, a module's PLURAL, or a tuple of those)."""
        if isinstance(node, ast.Starred):
            return self._kind_of(node.value)
        if isinstance(node, ast.Name) and node.id in self.assigned:
            return self._kind_of(self.assigned[node.id])
        if isinstance(node, ast.Tuple):
            kinds = [self._kind_of(element) for element in node.elts]
            return next((kind for kind in reversed(kinds) if kind), None)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            plural = node.value
            return {"modelmonitors": "ModelMonitor", "retrainingjobs": "RetrainingJob"}.get(plural, plural or None)
        dotted = _dotted(node)
        if dotted:
            head, _, rest = dotted.partition(".")
            module = self.imports.get(head, head) + ("." + rest if rest else "")
            parts = module.split(".")
            return _kind_of_module(".".join(parts[:-1])) if len(parts) > 1 else None
        return None

    def _status_writes(self) -> None:
        writers: dict[tuple[str, int], tuple[str, Site]] = {}
        for node in ast.walk(self.tree):
            kind = None
            if isinstance(node, ast.Call) and _dotted(node.func).endswith(STATUS_WRITE):
                kind = (self._kind_of(node.args[3]) if len(node.args) > 3 else None) or "any kind (a parameter)"
            elif _dotted(node) == "patch.status" or (
                isinstance(node, ast.Subscript)
                and _dotted(node.value) == "patch"
                and isinstance(node.slice, ast.Constant)
                and node.slice.value == "status"
            ):
                kind = "kopf"
            if kind is None:
                continue
            function = self.parents.get(id(node))
            if function is None:
                continue
            if kind == "kopf":
                kind = self._handler_kind(function) or _kind_of_module(self.path[:-3].replace("/", ".")) or "?"
            writers[(kind, id(function))] = (kind, self.site(function, function.name))
        for kind, site in writers.values():
            self.figures.status_writers.setdefault(kind, []).append(site)

    def _decorators(self, function: FunctionNode) -> list[ast.Call]:
        return [
            d for d in function.decorator_list if isinstance(d, ast.Call) and KOPF_DECORATORS.match(_dotted(d.func))
        ]

    def _handler_kind(self, function: FunctionNode) -> str | None:
        for decorator in self._decorators(function):
            kinds = [self._kind_of(arg) for arg in decorator.args]
            kind = next((k for k in reversed(kinds) if k), None)
            return kind or "the operator (" + _dotted(decorator.func).removeprefix("kopf.") + ")"
        return None

    def _handlers(self) -> None:
        for function in _functions(self.tree):
            kind = self._handler_kind(function)
            if kind is None:
                continue
            calls: dict[tuple[str, int], tuple[Site, int]] = {}
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and self.parents.get(id(node)) is function:
                    targets = self._resolve(node.func)
                    if _dotted(node.func).endswith(("to_thread", "run_in_executor")):  # called there, not here
                        targets += [target for arg in node.args for target in self._resolve(arg)]
                    mark = "?" if len(targets) > 1 else ""  # a method name several classes define
                    for target in targets:
                        site = Site(target.path, target.node.lineno, target.node.name + mark)
                        calls[(target.path, target.node.lineno)] = (site, _lines(target.node))
            self.figures.handlers.append(
                Handler(
                    site=self.site(function, function.name),
                    kind=kind,
                    lines=_lines(function),
                    calls=tuple(calls[key] for key in sorted(calls)),
                )
            )

    def _resolve(self, func: ast.expr) -> list[_Def]:
        """The controller functions a call may reach: a module's function when it names a module, the
        method of the class a variable was built from, a function of this module, else any by that name."""
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        candidates = self.controller_defs.get(name, [])
        if isinstance(func, ast.Name):
            functions = [d for d in candidates if d.owner is None]
            return [d for d in functions if d.path == self.path] or functions
        if not isinstance(func, ast.Attribute):
            return []
        receiver = _dotted(func.value)
        if isinstance(func.value, ast.Name) and receiver in self.imports:
            module = self.imports[receiver].replace(".", "/")
            return [d for d in candidates if d.owner is None and module.endswith(d.path[:-3])]
        if receiver in self.instances:
            return [d for d in candidates if d.owner == self.instances[receiver]]
        return [d for d in candidates if d.owner is not None]


def _is_literal(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Subscript) and _dotted(value.value).endswith("Literal")


# --- the table ---------------------------------------------------------------------------------


def render(figures: Figures, *, title: str, details: bool = False) -> str:
    rows: list[tuple[str, str, list[Site]]] = []
    named_reason = [s for s in figures.reasons if s.what == "Reason"]
    rows.append(
        (
            "Reason vocabularies (named *Reason)",
            f"{len(figures.reasons)} ({len(named_reason)} named Reason)",
            figures.reasons,
        )
    )
    repeated = sum(n - 1 for n in figures.severity_sets.values() if n > 1)
    rows.append(
        (
            "Severity: named *Severity / inline Literal sets",
            f"{len(figures.severities)} / {sum(figures.severity_sets.values())} ({repeated} repeats)",
            figures.severities,
        )
    )
    rows.append(
        ("Phase vocabularies defined (Enum/Literal)", str(len(figures.phase_definitions)), figures.phase_definitions)
    )
    rows.append(("Phase words as string literals", str(len(figures.phase_literals)), figures.phase_literals))
    rows.append(("Timestamp formatters (functions)", str(len(figures.formatters)), figures.formatters))
    rows.append(("Is-temporary-API-error functions", str(len(figures.temporary)), figures.temporary))
    rows.append(("get_monitor definitions", str(len(figures.get_monitor)), figures.get_monitor))
    rows.append(("Per-object lock maps", str(len(figures.lock_maps)), figures.lock_maps))
    for kind in sorted(figures.status_writers):
        sites = figures.status_writers[kind]
        rows.append((f"Status writers of {kind} (functions)", str(len(sites)), sites))
    by_kind = Counter(handler.kind for handler in figures.handlers)
    for kind in sorted(by_kind):
        sites = [h.site for h in figures.handlers if h.kind == kind]
        rows.append((f"Event handlers of {kind}", str(by_kind[kind]), sites))
    width = max(len(label) for label, _, _ in rows)
    lines = [f"== {title}", f"{'figure':<{width}}  value"]
    for label, value, sites in rows:
        lines.append(f"{label:<{width}}  {value}")
        if details:
            lines.extend(f"{'':<{width}}    {site}" for site in sites)
    if details and figures.severity_sets:
        lines.append(
            "Severity Literal sets: " + "; ".join(f"{list(k)} x{n}" for k, n in sorted(figures.severity_sets.items()))
        )
    lines.append("")
    lines.append(
        "String-keyed reads "
        + ", ".join(f"{d}/ {n}" for d, n in figures.reads.items())
        + f" (total {sum(figures.reads.values())})"
    )
    lines.append(
        "  in lines of source "
        + ", ".join(f"{d}/ {n}" for d, n in figures.read_lines.items())
        + f" (total {sum(figures.read_lines.values())})"
    )
    lines.append("")
    lines.extend(_handler_table(figures.handlers))
    return "\n".join(lines)


def _handler_table(handlers: list[Handler]) -> list[str]:
    if not handlers:
        return ["Handlers: none"]
    lines = ["Handler (kind)  lines  -> controller functions called directly (lines)"]
    called: dict[Site, int] = {}
    for handler in handlers:
        calls = ", ".join(f"{site.path}:{site.what} {n}" for site, n in handler.calls) or "-"
        lines.append(f"  {handler.site.path}:{handler.site.what} ({handler.kind})  {handler.lines}  -> {calls}")
        called.update(dict(handler.calls))
    sizes = [h.lines for h in handlers]
    lines.append(
        f"Handlers: {len(sizes)}, lines median {statistics.median(sizes):g}, max {max(sizes)}, total {sum(sizes)}"
    )
    if called:
        reach = list(called.values())
        lines.append(
            f"Controller functions they call: {len(reach)}, lines median {statistics.median(reach):g}, "
            f"max {max(reach)}, total {sum(reach)}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commit", nargs="+", help="commits to measure (e.g. de00b08 HEAD)")
    parser.add_argument("--details", action="store_true", help="list every site counted")
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    for commit in args.commit:
        sources = package_sources(commit, repo=args.repo)
        short = _git(args.repo, "rev-parse", "--short", commit).strip()
        print(render(measure(sources), title=f"{commit} ({short}), {len(sources)} modules", details=args.details))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
