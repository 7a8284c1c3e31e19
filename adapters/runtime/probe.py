"""`advisor health`: the container's health check, a GET of the local readiness route.

The image has no curl; this is the same interpreter the bot runs on. It probes
ADVISOR_HEALTH_PORT (the `--health-port` server, in every mode) or else PORT (Slack's HTTP
mode serves the routes on its own port).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TextIO

from adapters.settings import Settings

TIMEOUT_S = 3.0


def probe(settings: Settings, *, live: bool, port: int | None, out: TextIO) -> int:
    """0 when the bot answers ready (or alive with `live`), 1 otherwise; one line on `out`."""
    chosen = port or settings.health_port or settings.port
    route = "healthz" if live else "readyz"
    url = f"http://127.0.0.1:{chosen}/{route}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # a fixed loopback URL
            body = response.read(4096)
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(4096), error.code
    except (OSError, TimeoutError) as error:
        out.write(f"advisor health: nothing answers on {url} ({type(error).__name__}); is the bot running?\n")
        return 1
    try:
        shown = json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        shown = body.decode("utf-8", "replace")[:200]
    out.write(f"{route} {status}: {shown}\n")
    return 0 if status == 200 else 1
