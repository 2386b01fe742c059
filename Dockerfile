# The operator's image, also the drift-check job's image (`modelmon check --monitor NS/NAME`).
# Slim, non-root, read-only-root friendly: nothing is written outside /tmp at run time.
# Build: docker build -t ghcr.io/modelmon/modelmon:$(python3 -c 'import tomllib;print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])') .
#
# BASE is any image with python3 (>= 3.11) and its venv module. Users pull the default, pinned
# by digest so that a rebuild of the tag upstream cannot change what this file builds (the digest
# of the multi-arch python:3.11.10-slim-bookworm as published; bump tag and digest together).
# Where no registry is reachable, hack/images.py builds a base from Debian packages and passes it here.
ARG BASE=python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16

FROM ${BASE} AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY requirements ./requirements
COPY operator ./operator
# Wheels of the package and every dependency -- the product only, no demo or test extras; the
# report extra (matplotlib) because the check job publishes each check's HTML report to the
# monitor's history store;
# numpy, scipy and pyarrow come as manylinux wheels, so no compiler is needed. A venv, because
# a distribution's own python3 refuses `pip install` outside one (PEP 668).
# The dependencies are exactly the lock file's versions, each checked against its sha256
# (requirements/image.txt, made by pip-compile from pyproject.toml: see its header); the package
# itself is built from the source copied above, without resolving anything again.
RUN python3 -m venv /build-venv \
 && /build-venv/bin/pip wheel --no-cache-dir --require-hashes --wheel-dir /wheels -r requirements/image.txt \
 && /build-venv/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${BASE}
LABEL org.opencontainers.image.title="modelmon" \
      org.opencontainers.image.description="Kubernetes operator for ML models in production: drift, decay, alerts, retraining, rollouts" \
      org.opencontainers.image.source="https://github.com/modelmon/modelmon" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /wheels /wheels
# Only the wheels built above: no index at this stage, so the image holds what was built.
# pip itself is removed afterwards: nothing installs at run time. The user has a passwd entry
# because kopf names its peering identity after it (getpass.getuser() fails without one);
# written directly, since a minimal base has no useradd.
RUN echo 'modelmon:x:65532:65532:modelmon:/tmp:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'modelmon:x:65532:' >> /etc/group \
 && python3 -m venv /opt/modelmon \
 && /opt/modelmon/bin/pip install --no-cache-dir --no-index --find-links /wheels "modelmon[report]" \
 && /opt/modelmon/bin/pip uninstall --yes pip \
 && rm -rf /wheels
ENV PATH=/opt/modelmon/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp
# Numeric, so that Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# 9090: Prometheus /metrics; 8080: kopf's /healthz.
EXPOSE 8080 9090
ENTRYPOINT ["modelmon"]
CMD ["run"]
