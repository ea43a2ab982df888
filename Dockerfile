# The bot as a daemon: `docker run -v bot-data:/data -v $PWD/config:/app/config:ro IMAGE`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite:////data/bot.db \
    BOT_CONFIG=/app/config/accounts.toml

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . \
    && useradd --create-home --uid 10001 bot \
    && mkdir -p /data /app/config \
    && chown bot:bot /data

COPY config/accounts.example.toml config/.env.example ./config/
USER bot
VOLUME ["/data"]
# Relative paths (data/digests/ for the files channel, ./.env) land in the volume.
WORKDIR /data
ENTRYPOINT ["bot"]
CMD ["run"]
