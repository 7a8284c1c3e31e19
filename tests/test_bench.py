"""Every benchmark script still imports against the current code (they are not run here: too slow)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize("script", sorted([p.name for p in BENCH.glob("*_bench.py")] + ["run_all.py"]))
def test_benchmark_imports(script: str) -> None:
    spec = importlib.util.spec_from_file_location(f"bench_{script[:-3]}", BENCH / script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    assert callable(getattr(module, "main", None)), f"{script} has no main()"


def test_every_benchmark_with_a_target_is_run_by_run_all() -> None:
    from bench.run_all import BENCHMARKS

    assert set(BENCHMARKS) <= {p.name.removesuffix("_bench.py") for p in BENCH.glob("*_bench.py")}
    assert {"store", "chat", "slack", "pack", "peers", "team"} <= set(BENCHMARKS)


def test_a_ratio_target_says_whether_it_is_met() -> None:
    from bench.targets import ratio_target

    assert ratio_target("x", measured=6.0, baseline=10.0, at_least=0.5)["met"] is True
    assert ratio_target("x", measured=4.0, baseline=10.0, at_least=0.5)["met"] is False
    assert ratio_target("x", measured=16.0, baseline=10.0, at_most=1.5)["met"] is False
