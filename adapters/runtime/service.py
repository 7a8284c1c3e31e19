"""What a running bot process shares beside its services: metrics, in-flight work, the delivery lease.

Built once per process by the platform's `run` and handed to the app or client factory, so a
test that builds an app without it gets quiet defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from adapters.runtime.metrics import Metrics
from adapters.runtime.work import InFlight

DEFAULT_LEASE = timedelta(seconds=30)
"""How long the process that recorded a delivery has to finish it before another may take it
over: well above a slow reply (several Slack API calls), well inside the platforms' windows."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    metrics: Metrics = field(default_factory=Metrics)
    work: InFlight = field(default_factory=InFlight)
    lease: timedelta = DEFAULT_LEASE
    clock: Callable[[], datetime] = utc_now
