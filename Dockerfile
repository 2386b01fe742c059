# The operator's image, also the drift-check job's image (`modelmon check --monitor NS/NAME`).
# Slim, non-root, read-only-root friendly: nothing is written outside /tmp at run time.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator ./operator
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN groupadd --gid 65532 modelmon && useradd --uid 65532 --gid 65532 --no-create-home --shell /usr/sbin/nologin modelmon
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp
USER 65532:65532
EXPOSE 8080 9090
ENTRYPOINT ["modelmon"]
CMD ["run"]
