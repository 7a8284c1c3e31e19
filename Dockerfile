# framework-advisor: the bot with every adapter, state on a volume, running as a non-root user.
#   docker build -t framework-advisor .
#   docker run --rm -it -v advisor-data:/data framework-advisor chat
#   docker run --rm -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET -p 3000:3000 \
#       -v advisor-data:/data framework-advisor slack --http --port 3000
#   docker run --rm -e DISCORD_TOKEN -v advisor-data:/data framework-advisor discord
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ADVISOR_DB=/data/advisor.db

RUN useradd --create-home --uid 10001 advisor \
    && mkdir /data && chown advisor:advisor /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY knowledge ./knowledge
RUN pip install '.[slack,discord,postgres]'

USER advisor
VOLUME ["/data"]
EXPOSE 3000
ENTRYPOINT ["advisor"]
CMD ["--help"]
