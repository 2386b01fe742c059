# The operator's image, also the drift-check job's image (`modelmon check --monitor NS/NAME`).
# Slim, non-root, read-only-root friendly: nothing is written outside /tmp at run time.
# Build: docker build -t ghcr.io/modelmon/modelmon:$(python3 -c 'import tomllib;print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])') .
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator ./operator
# Wheels of the package, its extras for the image (demo: the no-cluster emulator) and every
# dependency; numpy, scipy and pyarrow come as manylinux wheels, so no compiler is needed.
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[demo]"

FROM python:3.11-slim
LABEL org.opencontainers.image.title="modelmon" \
      org.opencontainers.image.description="Kubernetes operator for ML models in production: drift, decay, alerts, retraining, rollouts" \
      org.opencontainers.image.source="https://github.com/modelmon/modelmon" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --gid 65532 modelmon && useradd --uid 65532 --gid 65532 --no-create-home --shell /usr/sbin/nologin modelmon
COPY --from=build /wheels /wheels
# Only the wheels built above: no index at this stage, so the image holds what was built.
RUN pip install --no-cache-dir --no-index --find-links /wheels "modelmon[demo]" && rm -rf /wheels
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp
# Numeric, so that Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# 9090: Prometheus /metrics; 8080: kopf's /healthz.
EXPOSE 8080 9090
ENTRYPOINT ["modelmon"]
CMD ["run"]
