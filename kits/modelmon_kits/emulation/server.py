"""kmock's KubernetesEmulator, taught to behave like kube-apiserver where the operator relies on it.

kmock keeps objects as plain JSON and serves discovery, lists and watch streams. It is
meant to be subclassed for "special field treatment"; this subclass takes over the
write path (create, patch, replace, delete) and single-object reads, and applies the
server semantics of :mod:`modelmon_kits.emulation.semantics` there. Reads of collections
(list, watch) and discovery stay kmock's, with two fixes: a list carries a real
resourceVersion, and a watch subscribes to the event bus before it snapshots the
store, so no write between the two is lost.

The store keeps only the latest version of each object (kmock would keep every version),
and the request log is trimmed, so memory stays proportional to the objects, not to the
traffic: the scale benchmark sends tens of thousands of requests.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp.web
import attrs
import kmock

from modelmon_kits.emulation import semantics
from modelmon_kits.emulation.errors import ApiError, already_exists, not_found

Body = dict[str, Any]
Key = tuple[kmock.resource, str | None, str]

NAMESPACES = kmock.resource("", "v1", "namespaces")
CRDS = kmock.resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
CRD_VERBS = ("list", "watch", "get", "create", "patch", "update", "delete", "deletecollection")
INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")

# kmock's path parser cannot read /api/v1/namespaces[/NAME[/SUB]]: these are routed here.
_NAMESPACE_PATH = re.compile(r"^/api/v1/namespaces(?:/(?P<name>[^/]+)(?:/(?P<sub>status|finalize))?)?/?$")


@attrs.define(kw_only=True)
class ApiServerEmulator(kmock.KubernetesEmulator):
    """An in-memory API server: kmock's emulator plus the semantics in :mod:`semantics`."""

    require_namespaces: bool = True  # creating in a missing namespace is a 404, as on a real server
    request_log_limit: int = 64  # kmock logs every request; finished ones beyond this are dropped

    _revision: int = attrs.field(default=0, init=False)
    _in_flight: set[int] = attrs.field(factory=set, init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.resources.load_bundled()
        for name in INITIAL_NAMESPACES:
            obj = self._prepare_new(NAMESPACES, None, {"metadata": {"name": name}})
            self._objects[NAMESPACES, None, name] = obj

    # --- entry points -------------------------------------------------------------------

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        if len(raw_request.path) > 1 and raw_request.path.endswith("/"):  # "/apis/" is "/apis"
            raw_request = raw_request.clone(rel_url=raw_request.rel_url.with_path(raw_request.path.rstrip("/")))
        match = _NAMESPACE_PATH.match(raw_request.path)
        self._in_flight.add(id(raw_request))
        try:
            if match:
                return await self._serve_namespace_path(raw_request, match["name"], match["sub"])
            return await super().__call__(raw_request)
        finally:
            self._in_flight.discard(id(raw_request))
            self._trim_request_log()

    async def _serve_namespace_path(
        self, raw: aiohttp.web.BaseRequest, name: str | None, sub: str | None
    ) -> aiohttp.web.StreamResponse:
        """Build the request kmock's parser would have built for the namespaces resource."""
        body = await raw.read()
        data = await raw.json() if body else None
        query = dict(raw.query)
        method = kmock.method(raw.method)
        if method == kmock.method.GET and query.get("watch") in ("true", "1"):
            action = kmock.action.WATCH
        elif name is None:
            action = {kmock.method.GET: kmock.action.LIST, kmock.method.POST: kmock.action.CREATE}.get(method)
        else:
            action = {
                kmock.method.GET: kmock.action.FETCH,
                kmock.method.PATCH: kmock.action.UPDATE,
                kmock.method.DELETE: kmock.action.DELETE,
            }.get(method)
        request = kmock.Request(
            raw_request=raw,
            url=raw.url,
            method=raw.method,
            params=query,
            headers=dict(raw.headers),
            data=data,
            body=body,
            text=body.decode(errors="replace"),
            action=action,
            resource=NAMESPACES,
            namespace=None,
            name=name,
            subresource=sub,
        )
        self._requests.append(request)  # kmock's reactions only see requests in its log
        try:
            return await self._handle(request)
        except Exception as error:  # as kmock does for its own paths: the client sees a Status
            return await self._render_error(error)

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        resource = request.resource
        if resource is None or not resource.plural:
            return await super()._handle(request)  # discovery, version, non-API paths
        try:
            info = self._info(resource)
            method, action = request.method, request.action
            if action in (kmock.action.LIST, kmock.action.WATCH):
                # kmock's reactions and streams (with our overrides below); skipping
                # KubernetesEmulator._handle, whose write tracking we have replaced.
                return await kmock.RawHandler._handle(self, request)
            if action == kmock.action.FETCH:
                async with self._lock:
                    return _json(self._get(resource, request.namespace, request.name, info))
            if request.subresource not in (None, "status"):
                raise ApiError(
                    404, "NotFound", f"the server could not find the requested resource ({request.subresource})"
                )
            if action == kmock.action.CREATE:
                body = self._create_body(request)
                async with self._lock:
                    obj = await self.create(resource, request.namespace, body, dry_run=_dry_run(request))
                return _json(obj, status=201)
            if action == kmock.action.UPDATE or (method == kmock.method.PUT and request.name):
                async with self._lock:
                    obj = await self.update(
                        resource,
                        request.namespace,
                        request.name,
                        request.data,
                        replace=method == kmock.method.PUT,
                        content_type=request.headers.get("Content-Type", ""),
                        subresource=request.subresource,
                        dry_run=_dry_run(request),
                    )
                return _json(obj)
            if action == kmock.action.DELETE:
                options = request.data if isinstance(request.data, dict) else {}
                async with self._lock:
                    obj = await self.delete(
                        resource,
                        request.namespace,
                        request.name,
                        options=options,
                        policy=options.get("propagationPolicy") or request.params.get("propagationPolicy"),
                    )
                return _json(obj)
            if method == kmock.method.DELETE:  # deletecollection
                async with self._lock:
                    for obj in self._select(resource, request.namespace, request.params):
                        await self.delete(resource, obj["metadata"].get("namespace"), obj["metadata"]["name"])
                return _json({"apiVersion": "v1", "kind": "Status", "status": "Success", "metadata": {}})
            raise ApiError(405, "MethodNotAllowed", f"{method} is not supported on this path")
        except ApiError as error:
            return aiohttp.web.json_response(error.body(), status=error.status)

    # --- the store: every method below runs under self._lock ------------------------------

    async def create(
        self, resource: kmock.resource, namespace: str | None, body: Body, *, dry_run: bool = False
    ) -> Body:
        info = self._info(resource)
        namespace = (
            (namespace or (body.get("metadata") or {}).get("namespace") or "default") if info.namespaced else None
        )
        if namespace is not None and self.require_namespaces and (NAMESPACES, None, namespace) not in self._objects:
            raise not_found("namespaces", namespace)
        obj = self._prepare_new(resource, namespace, body)
        key = (resource, namespace, obj["metadata"]["name"])
        if key in self._objects and not self._objects[key].deleted:
            raise already_exists(resource.plural, key[2])
        if dry_run:
            return obj
        self._objects[key] = obj
        await self._publish(resource, "ADDED", obj)
        return obj

    async def update(
        self,
        resource: kmock.resource,
        namespace: str | None,
        name: str,
        body: Any,
        *,
        replace: bool = False,
        content_type: str = "application/merge-patch+json",
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Body:
        info = self._info(resource)
        current = self._get(resource, namespace, name, info)
        if replace:
            if not isinstance(body, dict):
                raise ApiError(400, "BadRequest", "the body of a replace must be an object")
            semantics.check_precondition(current, body)
            candidate = body
        else:
            if "json-patch" not in content_type:
                semantics.check_precondition(current, body)
            candidate = semantics.apply_patch(current, body, content_type)
        new = semantics.prepare_update(
            current, candidate, subresource=subresource, status_subresource="status" in info.subresources
        )
        if new == current or dry_run:
            return new  # a no-op write changes nothing: no new resourceVersion, no event
        new["metadata"]["resourceVersion"] = str(self._next_revision())
        if semantics.releasable(new):
            await self._remove(resource, namespace, new, policy=None)
            return new
        self._objects[resource, namespace, name] = new
        await self._publish(resource, "MODIFIED", new)
        return new

    async def delete(
        self,
        resource: kmock.resource,
        namespace: str | None,
        name: str,
        *,
        options: Body | None = None,
        policy: str | None = None,
    ) -> Body:
        info = self._info(resource)
        current = self._get(resource, namespace, name, info)
        preconditions = (options or {}).get("preconditions") or {}
        for field in ("uid", "resourceVersion"):
            if preconditions.get(field) and preconditions[field] != current["metadata"].get(field):
                raise ApiError(
                    409,
                    "Conflict",
                    f"Precondition failed: {field} in precondition: "
                    f"{preconditions[field]}, {field} in object meta: "
                    f"{current['metadata'].get(field)}",
                )
        if current["metadata"].get("deletionTimestamp"):
            return current  # already being deleted: its finalizers decide
        if current["metadata"].get("finalizers"):
            new = semantics.mark_deleted(current, revision=self._next_revision())
            self._objects[resource, namespace, name] = new
            await self._publish(resource, "MODIFIED", new)
            return new
        gone = dict(current, metadata=dict(current["metadata"], resourceVersion=str(self._next_revision())))
        await self._remove(resource, namespace, gone, policy=policy)
        return gone

    # --- internals ----------------------------------------------------------------------

    def _info(self, resource: kmock.resource) -> kmock.ResourceInfo:
        if resource not in self.resources:
            raise ApiError(
                404,
                "NotFound",
                f"the server could not find the requested resource "
                f"({resource.group}/{resource.version}/{resource.plural})",
            )
        return self.resources[resource]

    def _get(self, resource: kmock.resource, namespace: str | None, name: str | None, info: kmock.ResourceInfo) -> Body:
        key = (resource, namespace if info.namespaced else None, name or "")
        if not name or key not in self._objects or self._objects[key].deleted:
            raise not_found(resource.plural or "", name or "")
        return self._objects[key].raw

    def _select(self, resource: kmock.resource, namespace: str | None, params: Any) -> list[Body]:
        labels, fields = params.get("labelSelector"), params.get("fieldSelector")
        return [
            obj.raw
            for (res, ns, _), obj in list(self._objects.items())
            if res == resource
            and (namespace is None or ns == namespace)
            and not obj.deleted
            and semantics.matches_labels(obj.raw, labels)
            and semantics.matches_fields(obj.raw, fields)
        ]

    def _next_revision(self) -> int:
        self._revision += 1
        return self._revision

    def _create_body(self, request: kmock.Request) -> Body:
        if not isinstance(request.data, dict):
            raise ApiError(400, "BadRequest", "the body of a create must be a JSON object")
        return request.data

    def _prepare_new(self, resource: kmock.resource, namespace: str | None, body: Body) -> Body:
        info = self._info(resource)
        api_version = f"{resource.group}/{resource.version}" if resource.group else resource.version
        obj = semantics.prepare_create(
            body,
            api_version=api_version or "v1",
            kind=info.kind or "",
            namespace=namespace,
            status_subresource="status" in info.subresources,
            revision=self._next_revision(),
        )
        if resource == NAMESPACES:
            obj["status"] = {"phase": "Active"}
        elif resource == CRDS:
            self.register_crd(obj)
            obj["status"] = _crd_status(obj)
        return obj

    def register_crd(self, crd: Body) -> list[kmock.resource]:
        """Serve the CRD's resources: namespaced or not, its names, verbs and subresources."""
        spec, registered = crd["spec"], []
        names = spec["names"]
        for version in spec.get("versions") or []:
            if not version.get("served", True):
                continue
            subresources = {sub for sub in ("status", "scale") if sub in (version.get("subresources") or {})}
            resource = kmock.resource(spec["group"], version["name"], names["plural"])
            self.resources[resource] = kmock.ResourceInfo(
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                kind=names["kind"],
                singular=names.get("singular") or names["kind"].lower(),
                verbs=CRD_VERBS,
                shortnames=names.get("shortNames") or (),
                categories=names.get("categories") or (),
                subresources=subresources,
            )
            registered.append(resource)
        return registered

    async def _remove(self, resource: kmock.resource, namespace: str | None, obj: Body, *, policy: str | None) -> None:
        """Remove for good, then what a real cluster's controllers would remove with it."""
        name = obj["metadata"]["name"]
        del self._objects[resource, namespace, name]
        await self._publish(resource, "DELETED", obj)
        if resource == NAMESPACES:  # the namespace controller empties it
            for (res, ns, child), _ in list(self._objects.items()):
                if ns == name and (res, ns, child) in self._objects:
                    await self.delete(res, ns, child)
        elif resource == CRDS:  # the CRD's resources and objects go with it
            for served in self.register_crd(obj):
                for key in [key for key in self._objects if key[0] == served]:
                    del self._objects[key]
                del self.resources[served]
        await self._collect_garbage(obj["metadata"].get("uid"), orphan=(policy == "Orphan"))

    async def _collect_garbage(self, owner_uid: str | None, *, orphan: bool) -> None:
        """The garbage collector: dependents whose owners are all gone are deleted (or orphaned)."""
        if not owner_uid:
            return
        dependents = [
            (key, obj.raw)
            for key, obj in list(self._objects.items())
            if not obj.deleted and owner_uid in semantics.owner_uids(obj.raw)
        ]
        if not dependents:
            return
        live = {obj.raw["metadata"].get("uid") for obj in self._objects.values() if not obj.deleted}
        for (res, ns, name), dependent in dependents:
            if (res, ns, name) not in self._objects:
                continue  # removed by an earlier cascade in this loop
            if orphan or (semantics.owner_uids(dependent) - {owner_uid}) & live:
                refs = [ref for ref in dependent["metadata"]["ownerReferences"] if ref.get("uid") != owner_uid]
                await self.update(res, ns, name, {"metadata": {"ownerReferences": refs or None}})
            else:
                await self.delete(res, ns, name)

    async def _publish(self, resource: kmock.resource, kind: str, obj: Body) -> None:
        await self._buses[resource].put({"type": kind, "object": obj})

    def _trim_request_log(self) -> None:
        """Drop finished requests from kmock's logs.

        kmock matches a request to its reactions by finding it in the log, a scan that
        grows with the log; requests still in flight stay, or they could not be served.
        """
        if len(self._requests) > self.request_log_limit:
            in_flight = self._in_flight
            self._requests[:] = [r for r in self._requests if id(r._raw_request) in in_flight]
            for payload in self._payloads:
                log = getattr(payload, "_requests", None)
                if isinstance(log, list):
                    del log[:]

    # --- kmock's collection reads, fixed ------------------------------------------------

    async def _serve_list(self, request: kmock.Request) -> Body:
        assert request.resource is not None
        info = self._info(request.resource)
        async with self._lock:
            items = self._select(request.resource, request.namespace, request.params)
            revision = self._revision
        api_version = f"{request.resource.group}/{request.resource.version}".lstrip("/")
        return {
            "apiVersion": api_version,
            "kind": f"{info.kind}List",
            "metadata": {"resourceVersion": str(revision)},
            "items": items,
        }

    async def _serve_watch(self, request: kmock.Request) -> AsyncIterator[Any]:
        yield b""  # start streaming the headers at once
        assert request.resource is not None
        labels, fields = request.params.get("labelSelector"), request.params.get("fieldSelector")
        bus = self._buses[request.resource]
        async with self._lock:  # subscribe and snapshot atomically: no write falls between
            mark = await bus.mark()
            initial = self._select(request.resource, request.namespace, request.params)
        try:
            for obj in initial:
                yield {"type": "ADDED", "object": obj}
            async for event in bus.stream(since=mark):
                obj = event["object"]
                if request.namespace is not None and obj["metadata"].get("namespace") != request.namespace:
                    continue
                if semantics.matches_labels(obj, labels) and semantics.matches_fields(obj, fields):
                    yield event
        finally:
            await bus.unmark(mark)


def _crd_status(crd: Body) -> Body:
    now = semantics.now_rfc3339()
    return {
        "acceptedNames": crd["spec"]["names"],
        "storedVersions": [v["name"] for v in crd["spec"].get("versions") or [] if v.get("storage")],
        "conditions": [
            {"type": kind, "status": "True", "reason": reason, "message": "", "lastTransitionTime": now}
            for kind, reason in (("NamesAccepted", "NoConflicts"), ("Established", "InitialNamesAccepted"))
        ],
    }


def _dry_run(request: kmock.Request) -> bool:
    return bool(request.params.get("dryRun"))


def _json(body: Body, status: int = 200) -> aiohttp.web.Response:
    return aiohttp.web.json_response(body, status=status)
