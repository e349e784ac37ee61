# One image for the four services (registry, training, notifications, console) and the tools.
#   docker build -t psm-platform .
#   docker run -e PSM_SERVICE=registry -e REGISTRY_DATABASE_URL=… psm-platform
# The service to run is chosen by PSM_SERVICE, or by overriding the command:
#   uvicorn --factory services.<name>.main:create_app --host 0.0.0.0 --port 8000

# --- build: a virtual environment with the runtime dependencies only ------------------
# requirements/runtime.lock is pyproject.toml's [project].dependencies resolved by `make lock`:
# every package pinned and hashed, no test, lint or type-checking tool.
FROM python:3.11.10-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements/runtime.lock /tmp/runtime.lock
RUN /opt/venv/bin/pip install --require-virtualenv --require-hashes -r /tmp/runtime.lock

# --- runtime: no compiler, no pip cache, a non-root user ------------------------------
FROM python:3.11.10-slim-bookworm AS runtime
# The console prints certificates with DejaVu Serif, so names keep their diacritics.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 psm \
 && useradd --system --uid 10001 --gid psm --home-dir /app --no-create-home psm
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY tools ./tools
# var/ is the only writable directory (SQLite files in development, scratch files).
RUN mkdir -p /app/var && chown psm:psm /app/var
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PSM_SERVICE=registry
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]
# exec: uvicorn replaces the shell as PID 1, so it receives SIGTERM and stops gracefully.
CMD ["sh", "-c", "exec uvicorn --factory services.${PSM_SERVICE}.main:create_app --host 0.0.0.0 --port 8000 --proxy-headers --no-access-log"]
