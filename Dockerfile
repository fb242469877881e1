# syntax=docker/dockerfile:1
# One image for `cosell api` (the default command), `cosell worker` and the migrate job (docker-compose.yml).
# tests/test_dockerfile.py checks what this file promises: pinned base, no dev dependencies, non-root,
# health check, read-only friendly, a real entry command.

# Python's slim image pinned by version and digest: a rebuild gets the same bytes until both are bumped on
# purpose (`docker buildx imagetools inspect python:3.11.<n>-slim-bookworm` prints a tag's digest).
FROM python:3.11.11-slim-bookworm@sha256:081075da77b2b55c23c088251026fb69a7b2bf92471e491ff5fd75c192fd38e5

# No bytecode or caches written at run time and HOME on /tmp: the container can run with a read-only root
# filesystem and a tmpfs on /tmp (uploads over 1 MB spool there).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/tmp \
    PATH=/opt/venv/bin:$PATH \
    COSELL_ENVIRONMENT=production

WORKDIR /app
COPY . .
# pyproject's runtime dependencies only (not its [dev] extra), each at the version in the lock. Editable
# because migrations read alembic.ini from the source tree; byte-compiled here, never at run time.
RUN python -m venv /opt/venv \
    && pip install --constraint requirements.lock --editable . \
    && python -m compileall -q /app \
    && groupadd --system --gid 10001 cosell \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent cosell

# Numeric, so an orchestrator's runAsNonRoot can verify it; the code stays root-owned and read-only to it.
USER 10001:10001
EXPOSE 8000
# Liveness of the default command (the API). A worker answers on COSELL_WORKER_HTTP_PORT: override there.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["cosell", "api", "--host", "0.0.0.0", "--port", "8000"]
