"""HTTP delivery's settings: each bad one is refused in one line naming it (exit 2 in the CLI)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest

from sqs_scale_to_zero.worker import ConfigurationError, contract
from sqs_scale_to_zero.worker.http_delivery import DeliverySettings

QUEUE = {"QUEUE_URL": "http://127.0.0.1:9/123456789012/q"}


def test_no_url_means_no_http_delivery() -> None:
    assert DeliverySettings.from_environment({}) is None


def test_settings_come_from_the_environment_and_arguments_win() -> None:
    environ = {
        contract.DELIVER_TO: "http://localhost:8080/work",
        contract.DELIVER_CONTENT_TYPE: "text/plain",
        contract.DELIVER_TIMEOUT_SECONDS: "600",
        contract.DELIVER_HEALTH_PATH: "/health",
    }
    from_environment = DeliverySettings.from_environment(environ)
    assert from_environment == DeliverySettings(
        url="http://localhost:8080/work",
        host="localhost",
        port=8080,
        path="/work",
        content_type="text/plain",
        timeout_seconds=600.0,
        health_path="/health",
    )
    given = DeliverySettings.from_environment(
        environ, deliver_to="http://[::1]/jobs?x=1", timeout_seconds=5
    )
    assert given is not None
    assert (given.host, given.port, given.path, given.timeout_seconds) == (
        "::1",
        80,
        "/jobs?x=1",
        5,
    )


def test_the_defaults_are_beanstalks() -> None:
    settings = DeliverySettings.from_environment({}, deliver_to="http://127.0.0.1:3000")
    assert settings is not None
    assert settings.path == "/"
    assert settings.content_type == "application/json"
    assert settings.timeout_seconds == 180
    assert settings.health_path is None


@pytest.mark.parametrize(
    ("options", "named", "fix"),
    [
        ({"deliver_to": "https://127.0.0.1:8080/work"}, "deliver_to", "http:// URL"),
        ({"deliver_to": "127.0.0.1:8080/work"}, "deliver_to", "http:// URL"),
        ({"deliver_to": "http://10.0.0.5:8080/work"}, "deliver_to", "loopback host"),
        ({"deliver_to": "http://app:8080/work"}, "deliver_to", "loopback host"),
        ({"deliver_to": "http://127.0.0.1:0/work"}, "deliver_to", "between 1 and 65535"),
        ({"deliver_to": "http://127.0.0.1:65536/work"}, "deliver_to", "between 1 and 65535"),
        ({"deliver_to": "http://127.0.0.1:http/work"}, "deliver_to", "between 1 and 65535"),
        ({"deliver_to": "http://user@127.0.0.1/work"}, "deliver_to", "no user name"),
        ({"deliver_to": 8080}, "deliver_to", "a URL"),
        ({"content_type": "json"}, "content_type", "media type"),
        ({"content_type": "application/json\nX: y"}, "content_type", "media type"),
        ({"timeout_seconds": 0}, "timeout_seconds", "between 1 and 43200"),
        ({"timeout_seconds": 43201}, "timeout_seconds", "between 1 and 43200"),
        ({"timeout_seconds": "soon"}, "timeout_seconds", "between 1 and 43200"),
        ({"timeout_seconds": True}, "timeout_seconds", "between 1 and 43200"),
        ({"timeout_seconds": float("nan")}, "timeout_seconds", "between 1 and 43200"),
        ({"health_path": "health"}, "health_path", "starting with /"),
    ],
)
def test_a_bad_setting_is_refused_naming_it_and_the_fix(
    options: dict[str, Any], named: str, fix: str
) -> None:
    options.setdefault("deliver_to", "http://127.0.0.1:8080/work")
    with pytest.raises(ConfigurationError, match=re.escape(named)) as raised:
        DeliverySettings.from_environment({}, **options)
    assert fix in str(raised.value)


def test_a_bad_variable_is_named_as_the_variable() -> None:
    environ = {contract.DELIVER_TO: "http://127.0.0.1:8080/", contract.DELIVER_HEALTH_PATH: "up"}
    with pytest.raises(ConfigurationError, match=re.escape(f"${contract.DELIVER_HEALTH_PATH}")):
        DeliverySettings.from_environment(environ)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(contract.RESERVED_PREFIX)}
    return subprocess.run(
        [sys.executable, "-m", "sqs_scale_to_zero.worker", *args],
        env={**clean, **QUEUE, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--deliver-to", "http://10.1.2.3:8080/work"], {}, "--deliver-to"),
        (["--deliver-to", "http://127.0.0.1:99999/work"], {}, "--deliver-to"),
        (["--deliver-to", "ftp://127.0.0.1/work"], {}, "--deliver-to"),
        ([], {contract.DELIVER_TO: "http://example.com/work"}, f"${contract.DELIVER_TO}"),
        (["--deliver-to", "http://127.0.0.1/", "--content-type", "json"], {}, "--content-type"),
        (["--deliver-to", "http://127.0.0.1/", "--health-path", "up"], {}, "--health-path"),
        (["--deliver-to", "http://127.0.0.1/", "--deliver-timeout", "0"], {}, "--deliver-timeout"),
        (["app:handle", "--deliver-to", "http://127.0.0.1/"], {}, "not both"),
        (["app:handle"], {contract.DELIVER_TO: "http://127.0.0.1/"}, "not both"),
        ([], {}, "--deliver-to"),
    ],
)
def test_cli_refuses_bad_delivery_input_in_one_line_with_exit_2(
    args: list[str], env: dict[str, str], named: str
) -> None:
    result = _cli(*args, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and named in result.stderr
