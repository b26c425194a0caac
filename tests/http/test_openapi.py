"""The served OpenAPI document is true: it lists exactly the served routes, and the live API answers as it
says (schemathesis fuzzes every operation against the running daemon, with the key of paper-3)."""

import subprocess
import sys
from pathlib import Path
from typing import Any

from oms_daemon.app import Daemon
from oms_daemon.config import load_config
from oms_daemon.http_api import build_app
from tests.daemon.process import DaemonProcess
from tests.http.daemon import KEYS, Http

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def test_document_lists_exactly_the_served_routes(omsd: DaemonProcess, http: Http) -> None:
    # given the document the running daemon serves
    status, document, _ = http.get("/openapi.json", key=None)
    assert status == 200 and document["openapi"] == "3.1.0"
    # then its operations are exactly the routes the daemon's app registers
    app = build_app(Daemon(load_config(omsd.config)))
    routes = {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource is not None}
    assert documented(document) == routes
    # and every documented operation is there on the live server (no route-level 404)
    for method, path in documented(document):
        concrete = path.replace("{ids}", "1").replace("{order_id}", "1").replace("{account_id}", "paper-1")
        status, body, _ = http.call(method, concrete, {} if method == "POST" else None)
        assert status != 404 or body["error"]["code"] != "not_found", (method, path)


def test_fuzzed_requests_get_documented_answers(omsd: DaemonProcess, tmp_path: Path) -> None:
    # when schemathesis sends generated (valid and invalid) requests to every operation
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"http://127.0.0.1:{omsd.http_port}/openapi.json",
            "--header",
            f"x-api-key: {KEYS['fuzz']}",
            "--max-examples",
            "10",
            "--exclude-path",
            "/oms/ws",
            # schema-valid requests may still be refused for business reasons (unknown order, no funds): 4xx
            "--exclude-checks",
            "positive_data_acceptance",
            "--seed",
            "6",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # schemathesis keeps its run data in ./.schemathesis
    )
    # then no server error, and every status, header and body is as documented
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
