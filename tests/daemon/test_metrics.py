"""Metrics: every family is exposed, values follow the calls, /metrics serves them, promtool accepts them."""

import shutil
import subprocess
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from journal import FsyncPolicy, JournalObserver, JournalWriter, RecordKind
from oms_daemon.metrics import METRIC_NAMES, Metrics, metrics_handler

REQUIRED = {
    "omsd_events_total",
    "omsd_inbox_depth",
    "omsd_intents_total",
    "omsd_intent_ack_latency_seconds",
    "omsd_journal_append_seconds",
    "omsd_journal_fsync_seconds",
    "omsd_orders",
    "omsd_safe_mode",
    "omsd_armed",
    "omsd_alerts_total",
    "omsd_journal_seq",
    "omsd_venue_commands_total",
}


def busy_metrics() -> Metrics:
    """Metrics after a little of everything happened."""
    m = Metrics()
    m.observe_events("SubmitIntent")
    m.observe_events("SubmitIntent")
    m.observe_events("VenueFill", 3)
    m.set_inbox_depth(4)
    m.observe_intent("accepted")
    m.observe_intent("rejected", "insufficient_balance")
    m.observe_ack_latency(0.0002)
    m.observe_append(0.00001)
    m.observe_fsync(0.002)
    m.set_journal_seq(42)
    m.set_order_counts({"NEW": 2, "FILLED": 5})
    m.init_accounts(["paper-1", "fx-net"])
    m.set_safe_mode("paper-1", True)
    m.set_armed("paper-1", True)
    m.observe_alert("position_drift", "WARNING")
    m.observe_venue_command("paper", "submit", "ok")
    return m


def samples(text: bytes) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text.decode()):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(text: bytes, name: str, **labels: str) -> float:
    return samples(text)[(name, frozenset(labels.items()))]


def test_render_declares_every_metric_even_before_anything_happens() -> None:
    text = Metrics().render().decode()

    assert set(METRIC_NAMES) >= REQUIRED
    for name in REQUIRED:
        base = name.removesuffix("_total")
        assert f"# TYPE {base}" in text, name


def test_values_follow_the_calls() -> None:
    text = busy_metrics().render()

    assert value(text, "omsd_events_total", type="SubmitIntent") == 2
    assert value(text, "omsd_events_total", type="VenueFill") == 3
    assert value(text, "omsd_inbox_depth") == 4
    assert value(text, "omsd_intents_total", result="rejected", reason="insufficient_balance") == 1
    assert value(text, "omsd_intent_ack_latency_seconds_count") == 1
    assert value(text, "omsd_intent_ack_latency_seconds_bucket", le="5e-05") == 0
    assert value(text, "omsd_intent_ack_latency_seconds_bucket", le="0.00025") == 1
    assert value(text, "omsd_journal_append_seconds_count") == 1
    assert value(text, "omsd_journal_fsync_seconds_count") == 1
    assert value(text, "omsd_journal_seq") == 42
    assert value(text, "omsd_orders", status="NEW") == 2
    assert value(text, "omsd_orders", status="CANCELED") == 0
    assert value(text, "omsd_safe_mode", account="paper-1") == 1
    assert value(text, "omsd_safe_mode", account="fx-net") == 0
    assert value(text, "omsd_armed", account="paper-1") == 1
    assert value(text, "omsd_alerts_total", code="position_drift", severity="WARNING") == 1
    assert value(text, "omsd_venue_commands_total", venue="paper", command="submit", result="ok") == 1


def test_ack_latency_buckets_span_50us_to_5s() -> None:
    text = Metrics().render()
    bounds = [
        float(dict(labels)["le"])
        for (name, labels) in samples(text)
        if name == "omsd_intent_ack_latency_seconds_bucket" and dict(labels)["le"] != "+Inf"
    ]

    assert min(bounds) == 0.00005
    assert max(bounds) == 5.0


def test_order_counts_drop_missing_statuses_to_zero() -> None:
    m = Metrics()
    m.set_order_counts({"NEW": 3})
    m.set_order_counts({"FILLED": 1})

    assert value(m.render(), "omsd_orders", status="NEW") == 0
    assert value(m.render(), "omsd_orders", status="FILLED") == 1


def test_two_daemons_in_one_process_keep_separate_registries() -> None:
    a, b = Metrics(), Metrics()
    a.observe_events("Timer")

    assert value(a.render(), "omsd_events_total", type="Timer") == 1
    assert ("omsd_events_total", frozenset({("type", "Timer")})) not in samples(b.render())


def test_metrics_observe_a_real_journal(tmp_path: Path) -> None:
    # given a journal writer reporting to the metrics
    metrics = Metrics(process_metrics=False)
    observer: JournalObserver = metrics
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.ALWAYS, observer=observer) as journal:
        # when records are appended and flushed
        journal.append(RecordKind.EVENT, 1_700_000_000_000_000_000, b"x")
        journal.flush()

    # then append and fsync times were recorded
    text = metrics.render()
    assert value(text, "omsd_journal_append_seconds_count") >= 1
    assert value(text, "omsd_journal_fsync_seconds_count") >= 1


async def test_metrics_endpoint_serves_every_metric_over_http() -> None:
    # given a real aiohttp server on 127.0.0.1 serving /metrics
    metrics = busy_metrics()
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler(metrics))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as session:
            # when Prometheus scrapes it (plain text, then OpenMetrics)
            async with session.get(f"http://{host}:{port}/metrics") as response:
                status, content_type, body = response.status, response.headers["Content-Type"], await response.read()
            async with session.get(
                f"http://{host}:{port}/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
            ) as response:
                om_type, om_body = response.headers["Content-Type"], await response.read()
    finally:
        await runner.cleanup()

    # then every metric is there
    assert status == 200
    assert content_type.startswith("text/plain")
    for name in REQUIRED:
        assert name.removesuffix("_total").encode() in body, name
    assert value(body, "omsd_journal_seq") == 42
    assert om_type.startswith("application/openmetrics-text")
    assert om_body.rstrip().endswith(b"# EOF")


def test_promtool_accepts_the_exposition() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (apt-get install prometheus provides it)")

    result = subprocess.run(
        [promtool, "check", "metrics"], input=busy_metrics().render(), capture_output=True, timeout=30, check=False
    )

    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert result.stdout.strip() == b"", result.stdout.decode()
