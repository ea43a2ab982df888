# The bot as a daemon, its dependencies pinned by requirements.lock (`make lock` regenerates it).
#   docker build -t social-monitor-bot .
#   docker run -d -v bot-data:/data -v "$PWD/config:/app/config:ro" --env-file .env \
#       -p 9464:9464 social-monitor-bot
# The same image serves the API: `... -p 8000:8000 social-monitor-bot serve --host 0.0.0.0`
# (with BOT_API_TOKEN set). deploy/compose.yaml runs both with PostgreSQL and Prometheus.

# Build stage: a virtualenv with the locked dependencies (hashes checked), then the bot.
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/bot
WORKDIR /src
COPY requirements.lock ./
RUN /opt/bot/bin/pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
# The bot itself, on top of the locked set: nothing else is resolved.
RUN /opt/bot/bin/pip install --no-cache-dir --no-deps .

# Runtime stage: the virtualenv only, no compiler, no pip cache, a numeric non-root user.
FROM python:3.11-slim

ENV PATH=/opt/bot/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/bot.db \
    BOT_CONFIG=/app/config/accounts.toml

RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home bot \
    && mkdir -p /data /app/config \
    && chown 10001:10001 /data
COPY --from=build /opt/bot /opt/bot
COPY config/accounts.example.toml config/.env.example /app/config/

USER 10001:10001
VOLUME ["/data"]
# From /, the files channel's relative data/digests/ is /data/digests, inside the volume.
WORKDIR /
# 8000: `bot serve`; 9464: the daemon's Prometheus metrics.
EXPOSE 8000 9464
# Unhealthy once no poll cycle has completed within two poll intervals.
HEALTHCHECK --interval=60s --timeout=30s --start-period=120s --retries=3 \
    CMD ["bot", "status", "--check"]
ENTRYPOINT ["bot"]
CMD ["run", "--metrics-port", "9464", "--metrics-host", "0.0.0.0"]
