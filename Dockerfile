# framework-advisor: the bot with every adapter, state on a volume, running as a non-root user.
#   docker build -t framework-advisor .
#   docker run --rm -it -v advisor-data:/data framework-advisor chat
#   docker run --rm -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET -p 3000:3000 \
#       -v advisor-data:/data framework-advisor slack --http --port 3000
#   docker run --rm -e DISCORD_TOKEN -v advisor-data:/data framework-advisor discord
# The bot runs as PID 1 and handles SIGTERM itself (graceful stop within ADVISOR_SHUTDOWN_SECONDS,
# 10 s; tests/adapters/slack/test_service.py runs it as PID 1 in a fresh PID namespace). Give
# `docker stop` more than that: `docker stop -t 15` (compose: stop_grace_period).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ADVISOR_DB=/data/advisor.db \
    ADVISOR_HEALTH_PORT=8081

RUN useradd --create-home --uid 10001 advisor \
    && mkdir /data && chown advisor:advisor /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY knowledge ./knowledge
RUN pip install '.[slack,discord,postgres,metrics]'

USER advisor
VOLUME ["/data"]
EXPOSE 3000 8081
# Every bot mode serves /healthz, /readyz and /metrics on ADVISOR_HEALTH_PORT; `advisor health`
# GETs /readyz (store reachable, pack loaded, not stopping). `advisor chat` serves none: run it
# with --no-healthcheck.
HEALTHCHECK --interval=10s --timeout=4s --start-period=20s --retries=3 CMD ["advisor", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["advisor"]
CMD ["--help"]
