# syntax=docker/dockerfile:1.7
# One image for every role of mkt (docs/deploy.md):
#   docker run IMAGE serve            the chat + companion endpoint (the default command)
#   docker run IMAGE worker -p 2      queue consumers (needs MKT_REDIS_URL)
#   docker run IMAGE db upgrade       one-shot migration, once per release, before serve/worker start
#   docker run IMAGE doctor           checks configuration, database, schema, broker and provider credentials
# Build: docker build -t mkt .      (tests/integration/test_deploy_files.py checks this file against the code)

ARG PYTHON_VERSION=3.11

# ---- build: a virtualenv holding the dependencies only ----------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The dependency layer: rebuilt only when pyproject.toml changes, not on every code change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --requirement /tmp/requirements.txt \
    && printf '#!/opt/venv/bin/python\nimport sys\nfrom cli.main import main\nsys.exit(main())\n' > /opt/venv/bin/mkt \
    && chmod 0755 /opt/venv/bin/mkt

# ---- runtime: slim, non-root ----------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MKT_VAR_DIR=/data \
    MKT_HOST=0.0.0.0 \
    MKT_PORT=8000 \
    MKT_LOG_FORMAT=json
RUN groupadd --system --gid 10001 mkt \
    && useradd --system --uid 10001 --gid mkt --home-dir /app --no-create-home --shell /usr/sbin/nologin mkt
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The code is owned by root and read-only for the app; it writes only under /data (MKT_VAR_DIR) and the
# Chainlit upload folder /app/.files, which Chainlit deletes at shutdown and creates at start: /app is group-writable
# with the sticky bit, so the app can remove and re-create its own .files but not touch the root-owned code.
COPY app.py settings.py chainlit.md pyproject.toml ./
COPY .chainlit ./.chainlit
COPY agent ./agent
COPY cli ./cli
COPY db ./db
COPY domain ./domain
COPY integrations ./integrations
COPY ops ./ops
COPY tools ./tools
COPY webhooks ./webhooks
COPY workers ./workers
RUN mkdir -p /data /app/.files \
    && chown mkt:mkt /data /app/.files \
    && chown root:mkt /app && chmod 1775 /app \
    && python -m compileall -q /app
USER 10001:10001
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MKT_PORT', '8000'), timeout=4)"]
ENTRYPOINT ["mkt"]
CMD ["serve"]
