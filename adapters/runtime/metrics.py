"""What an operator graphs, in the Prometheus text format (prometheus-client, the `metrics` extra).

Each `Metrics` owns its own CollectorRegistry (no global state, so tests and several bots in
one process never share counters). Without prometheus-client installed every method is a
no-op and `/metrics` says how to install it: a bot never fails for want of its metrics.

    advisor_deliveries_total{platform,outcome}      recorded resent finished replayed abandoned unrecorded
    advisor_clicks_total{platform,flow}             button clicks, personal or team
    advisor_conflicts_total                         conditional saves refused (two clicks raced)
    advisor_refusals_total{platform,kind}           clicks and input refused, by kind (stale, not_yours, ...)
    advisor_errors_total{platform,kind}             bug (logged with its traceback) or store
    advisor_reply_seconds{platform,kind}            from receipt to reply sent (histogram)
    advisor_pack_reloads_total{outcome}             reloaded, failed
    advisor_pack_info{pack,version,source}          1 for the version being served
    advisor_in_flight                               deliveries being worked on after their ack
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

MISSING = (
    b"prometheus-client is not installed, so there are no metrics to show.\n"
    b"Install the extra: pip install 'framework-advisor[metrics]'\n"
)
TEXT = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
REFUSALS = frozenset({"ClickRefused", "InputError", "NotFound"})
"""The bot.errors groups that mean "the user's input changed nothing", not "something broke"."""


def kind_of(error: BaseException) -> str:
    """StaleAnswer -> "stale_answer": the label a refusal or error is counted under."""
    return _CAMEL.sub("_", type(error).__name__).lower()


class Metrics:
    """Counters and histograms of one bot process."""

    def __init__(self) -> None:
        self.available = False
        self._registry: Any = None
        self._conflicts: Callable[[], int] = lambda: 0
        self._pack: Callable[[], tuple[str, str, str] | None] = lambda: None
        self._in_flight: Callable[[], int] = lambda: 0
        self._children: dict[tuple[str, ...], Any] = {}
        """Labelled children by (metric, *labels): prometheus-client's `labels()` validates and
        looks the labels up under a lock on every call, ~10 us each on the hot path."""
        try:
            import prometheus_client
        except ImportError:
            return
        registry = prometheus_client.CollectorRegistry(auto_describe=True)
        self.available = True
        self._registry = registry
        self._deliveries = prometheus_client.Counter(
            "advisor_deliveries", "Platform deliveries by outcome", ["platform", "outcome"], registry=registry
        )
        self._clicks = prometheus_client.Counter(
            "advisor_clicks", "Button clicks", ["platform", "flow"], registry=registry
        )
        self._refusals = prometheus_client.Counter(
            "advisor_refusals", "Clicks and input refused, by kind", ["platform", "kind"], registry=registry
        )
        self._errors = prometheus_client.Counter(
            "advisor_errors", "Failures: bugs and an unusable store", ["platform", "kind"], registry=registry
        )
        self._replies = prometheus_client.Histogram(
            "advisor_reply_seconds",
            "From receiving a delivery to its reply being sent",
            ["platform", "kind"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._reloads = prometheus_client.Counter(
            "advisor_pack_reloads", "Pack reloads by outcome", ["outcome"], registry=registry
        )
        registry.register(_Collected(self))

    def watch(
        self,
        *,
        conflicts: Callable[[], int],
        pack: Callable[[], tuple[str, str, str] | None],
        in_flight: Callable[[], int],
    ) -> None:
        """Values read when scraped: free on the hot path (a store's counter, the current pack)."""
        self._conflicts, self._pack, self._in_flight = conflicts, pack, in_flight

    def _child(self, name: str, metric: Any, *labels: str) -> Any:
        key = (name, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def delivery(self, platform: str, outcome: str, count: int = 1) -> None:
        if self.available and count:
            self._child("deliveries", self._deliveries, platform, outcome).inc(count)

    def click(self, platform: str, flow: str) -> None:
        if self.available:
            self._child("clicks", self._clicks, platform, flow).inc()

    def refusal(self, platform: str, error: BaseException) -> None:
        if self.available:
            self._child("refusals", self._refusals, platform, kind_of(error)).inc()

    def advisor_error(self, platform: str, error: BaseException) -> None:
        """An AdvisorError shown to a user: a refusal (stale, not yours, ...) or a failure (store, pack)."""
        groups = {cls.__name__ for cls in type(error).__mro__}
        if groups & REFUSALS:
            self.refusal(platform, error)
        else:
            self.error(platform, "store" if "StoreError" in groups else kind_of(error))

    def error(self, platform: str, kind: str) -> None:
        if self.available:
            self._child("errors", self._errors, platform, kind).inc()

    def reply(self, platform: str, kind: str, seconds: float) -> None:
        if self.available:
            self._child("replies", self._replies, platform, kind).observe(seconds)

    def pack_reload(self, outcome: str) -> None:
        if self.available:
            self._reloads.labels(outcome).inc()

    def render(self) -> tuple[int, bytes, str]:
        """(HTTP status, body, content type) of the /metrics answer."""
        if not self.available:
            return 503, MISSING, "text/plain; charset=utf-8"
        import prometheus_client

        return 200, prometheus_client.generate_latest(self._registry), TEXT


class _Collected:
    """The values read at scrape time (prometheus-client's custom-collector protocol)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        yield CounterMetricFamily(
            "advisor_conflicts",
            "Conditional saves refused because another click saved first",
            value=self.metrics._conflicts(),
        )
        yield GaugeMetricFamily(
            "advisor_in_flight", "Deliveries being worked on after their ack", value=self.metrics._in_flight()
        )
        info = GaugeMetricFamily(
            "advisor_pack_info", "The pack version being served", labels=["pack", "version", "source"]
        )
        pack = self.metrics._pack()
        if pack is not None:
            info.add_metric(list(pack), 1)
        yield info
