"""An in-process Kubernetes API on 127.0.0.1, for the no-cluster demo, tests and benchmarks.

The emulator runs in its own thread with its own event loop, so synchronous code (the
official ``kubernetes`` client, our handlers in kopf's thread pool) and kopf's own loop
in another thread can all talk to it over HTTP, as they would to a real cluster. A
kubeconfig file (plain http, no credentials) points both kopf and the client at it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import aiohttp.web
import kopf
import kubernetes
import yaml

from modelmon_kits.emulation.server import CRDS, NAMESPACES, ApiServerEmulator

T = TypeVar("T")
CrdSource = Mapping[str, Any] | str | Path


@dataclasses.dataclass(frozen=True)
class ClusterAccess:
    """How to reach an API server: enough for kopf and the client, and picklable.

    A cluster served by another process (the scale benchmark does this, to measure the
    operator's memory apart from the emulator's) is reached through this alone.
    """

    url: str
    kubeconfig: Path

    def api_client(self) -> kubernetes.client.ApiClient:
        """A fresh ``kubernetes`` client for this cluster."""
        return kubernetes.config.new_client_from_config(config_file=str(self.kubeconfig))

    def connection_info(self) -> kopf.ConnectionInfo:
        """What a kopf ``@kopf.on.login`` handler returns to reach this cluster."""
        return kopf.ConnectionInfo(server=self.url, default_namespace="default")


class EmulatedCluster:
    """Start with ``with EmulatedCluster(crds=[...]) as cluster:`` (or start()/stop())."""

    def __init__(
        self,
        *,
        crds: Iterable[CrdSource] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        kubeconfig: str | Path | None = None,
        require_namespaces: bool = True,
    ) -> None:
        self._crds = list(crds)
        self._host, self._port = host, port
        self._require_namespaces = require_namespaces
        self._kubeconfig_path = Path(kubeconfig) if kubeconfig else None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self.emulator: ApiServerEmulator | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> EmulatedCluster:
        self._thread = threading.Thread(target=self._run, name="kube-api-emulator", daemon=True)
        self._thread.start()
        if not self._started.wait(30) or self._failure is not None:
            raise RuntimeError(f"the emulated API server did not start: {self._failure!r}")
        self._write_kubeconfig()
        self.install_crds(*self._crds)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(30)
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> EmulatedCluster:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported by start()
            self._failure = error
            self._started.set()

    async def _serve(self) -> None:
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        self.emulator = ApiServerEmulator(require_namespaces=self._require_namespaces)
        async with self.emulator:
            # A watch streams until the client goes away: cancel its handler then (or its
            # bus subscription would pin every later event in memory), and do not wait
            # for open watches at shutdown.
            server = aiohttp.web.Server(self.emulator, access_log=None, handler_cancellation=True)
            runner = aiohttp.web.ServerRunner(server, handle_signals=False, shutdown_timeout=0.5)
            await runner.setup()
            site = aiohttp.web.TCPSite(runner, self._host, self._port)
            await site.start()
            self._port = runner.addresses[0][1]
            self._started.set()
            try:
                await self._stopping.wait()
            finally:
                await runner.cleanup()

    # --- how clients reach it -----------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def kubeconfig(self) -> Path:
        assert self._kubeconfig_path is not None, "start the cluster first"
        return self._kubeconfig_path

    def _write_kubeconfig(self) -> None:
        if self._kubeconfig_path is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="modelmon-emulated-")
            self._kubeconfig_path = Path(self._tmpdir.name) / "kubeconfig"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [{"name": "emulated", "cluster": {"server": self.url}}],
            "users": [{"name": "anonymous", "user": {}}],
            "contexts": [
                {"name": "emulated", "context": {"cluster": "emulated", "user": "anonymous", "namespace": "default"}}
            ],
            "current-context": "emulated",
        }
        self._kubeconfig_path.write_text(yaml.safe_dump(config))

    @property
    def access(self) -> ClusterAccess:
        return ClusterAccess(url=self.url, kubeconfig=self.kubeconfig)

    def api_client(self) -> kubernetes.client.ApiClient:
        """A fresh ``kubernetes`` client for this cluster (one per thread or component)."""
        return self.access.api_client()

    def connection_info(self) -> kopf.ConnectionInfo:
        """What a kopf ``@kopf.on.login`` handler returns to reach this cluster."""
        return self.access.connection_info()

    # --- direct access, for set-up and for cheap polling --------------------------------

    def call(self, factory: Callable[[], Awaitable[T]], timeout: float = 30) -> T:
        """Run a coroutine in the emulator's loop and wait for its result."""
        assert self._loop is not None, "start the cluster first"

        async def run() -> T:
            return await factory()

        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return future.result(timeout)

    def install_crds(self, *sources: CrdSource) -> list[str]:
        """Create (or replace) CRDs from dicts, YAML text or YAML files; returns their names."""
        names = []
        for doc in _documents(sources):
            if doc.get("kind") != "CustomResourceDefinition":
                continue
            names.append(doc["metadata"]["name"])
            self.call(lambda doc=doc: self._create_or_replace(CRDS, None, doc))
        return names

    def create_namespace(self, name: str) -> None:
        self.call(lambda: self._create_or_replace(NAMESPACES, None, {"metadata": {"name": name}}))

    async def _create_or_replace(self, resource: Any, namespace: str | None, body: dict[str, Any]) -> Any:
        assert self.emulator is not None
        async with self.emulator._lock:
            if (resource, namespace, body["metadata"]["name"]) in self.emulator.objects:
                return await self.emulator.update(resource, namespace, body["metadata"]["name"], body, replace=True)
            return await self.emulator.create(resource, namespace, body)

    def objects(self, resource: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """A snapshot of the stored objects of a resource ("group/version/plural" or "v1/plural")."""
        import kmock

        wanted = kmock.resource(resource)
        assert self.emulator is not None
        emulator = self.emulator

        async def snapshot() -> list[dict[str, Any]]:
            async with emulator._lock:
                return [
                    obj.raw
                    for (res, ns, _), obj in list(emulator.objects.items())
                    if res == wanted and not obj.deleted and (namespace is None or ns == namespace)
                ]

        return self.call(snapshot)


def _documents(sources: Iterable[CrdSource]) -> Iterable[dict[str, Any]]:
    for source in sources:
        if isinstance(source, Mapping):
            yield dict(source)
            continue
        text = (
            source.read_text()
            if isinstance(source, Path)
            else (Path(source).read_text() if "\n" not in source and Path(source).exists() else source)
        )
        yield from (doc for doc in yaml.safe_load_all(text) if doc)
