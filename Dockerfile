# syntax=docker/dockerfile:1.7@sha256:a57df69d0ea827fb7266491f2813635de6f17269be881f696fbfdf2d83dda33e
# One image for every role of mkt (docs/deploy.md):
#   docker run IMAGE serve            the chat + companion endpoint (the default command)
#   docker run IMAGE worker -p 2      queue consumers (needs MKT_REDIS_URL)
#   docker run IMAGE db upgrade       one-shot migration, once per release, before serve/worker start
#   docker run IMAGE doctor           checks configuration, database, schema, broker and provider credentials
# Build: docker build -t mkt .      (tests/integration/test_deploy_files.py checks this file against the code)

# Base images pinned by digest (python:3.11.16-slim-bookworm): a rebuild gets the same bytes. To move to a newer
# patch release: `docker buildx imagetools inspect python:3.11-slim-bookworm` and replace the digest in both FROMs.

# ---- build: a virtualenv holding the dependencies only ----------------------------------------------
FROM python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The dependency layer: rebuilt only when the lock changes, not on every code change. Exact versions, every file's
# hash checked, nothing resolved at build time (`make lock` writes requirements.lock from pyproject.toml).
COPY requirements.lock ./
RUN pip install --no-deps --require-hashes --requirement requirements.lock \
    && printf '#!/opt/venv/bin/python\nimport sys\nfrom cli.main import main\nsys.exit(main())\n' > /opt/venv/bin/mkt \
    && chmod 0755 /opt/venv/bin/mkt

# ---- runtime: slim, non-root ----------------------------------------------------------------------
FROM python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b AS runtime
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
COPY public ./public
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
