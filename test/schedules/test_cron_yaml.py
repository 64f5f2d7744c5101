"""A Beanstalk cron.yaml read as is: Beanstalk's documented example, and each malformed file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqs_scale_to_zero import QueueSchedule, ScaleToZeroValidationError, schedules_from_cron_yaml

# The example in the Elastic Beanstalk Developer Guide, "Elastic Beanstalk worker environments",
# section "Periodic tasks".
BEANSTALK_EXAMPLE = """\
version: 1
cron:
 - name: "backup-job"
   url: "/backup"
   schedule: "0 */12 * * *"
 - name: "audit"
   url: "/audit"
   schedule: "0 23 * * *"
"""


def test_beanstalks_example_becomes_two_utc_schedules(tmp_path: Path) -> None:
    path = tmp_path / "cron.yaml"
    path.write_text(BEANSTALK_EXAMPLE)
    expected = [
        QueueSchedule(name="backup-job", expression="cron(0 0/12 * * ? *)", path="/backup"),
        QueueSchedule(name="audit", expression="cron(0 23 * * ? *)", path="/audit"),
    ]
    assert schedules_from_cron_yaml(path) == expected
    assert schedules_from_cron_yaml(str(path)) == expected
    assert schedules_from_cron_yaml(BEANSTALK_EXAMPLE) == expected
    assert all(s.time_zone == "UTC" for s in expected)


def test_a_group_id_is_given_to_every_task_for_a_fifo_queue() -> None:
    schedules = schedules_from_cron_yaml(BEANSTALK_EXAMPLE, message_group_id="cron")
    assert {s.message_group_id for s in schedules} == {"cron"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 2\ncron: []\n", "version must be 1"),
        ("cron:\n - {name: a, url: /a, schedule: '0 1 * * *'}\n", "version must be 1"),
        ("version: 1\n", "'cron' list"),
        ("version: 1\ncron: []\n", "non-empty list"),
        ("version: 1\ncron: []\nextra: 1\n", "unknown top-level field 'extra'"),
        ("version: 1\ncron:\n - {name: a, url: /a}\n", "cron[0].schedule is missing"),
        ("version: 1\ncron:\n - {name: a, schedule: '0 1 * * *'}\n", "cron[0].url is missing"),
        (
            "version: 1\ncron:\n - {name: a, url: /a, schedule: '0 1 * * *', target: b}\n",
            "cron[0]: unknown field 'target'",
        ),
        (
            "version: 1\ncron:\n - {name: a, url: /a, schedule: '0 1 1 * MON'}\n",
            "cron[0].schedule: '0 1 1 * MON' names both",
        ),
        ("version: 1\ncron: [\n", "is not YAML"),
        ("version: 1\ncron:\n - just-a-string\n", "cron[0] must be a mapping"),
    ],
)
def test_a_malformed_cron_yaml_names_the_field(text: str, message: str) -> None:
    with pytest.raises(ScaleToZeroValidationError) as raised:
        schedules_from_cron_yaml(text)
    assert raised.value.prop == "cron_yaml"
    assert message in str(raised.value)
