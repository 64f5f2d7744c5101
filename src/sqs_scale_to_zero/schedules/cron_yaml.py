"""Read an Elastic Beanstalk worker's ``cron.yaml`` as is, into ``QueueSchedule`` objects.

The format, from the Elastic Beanstalk Developer Guide ("Elastic Beanstalk worker
environments", section "Periodic tasks"):

```yaml
version: 1
cron:
 - name: "backup-job"
   url: "/backup"
   schedule: "0 */12 * * *"
```

Each task's Unix cron ``schedule`` (read in UTC, as Beanstalk does) becomes an EventBridge
Scheduler ``cron(...)`` expression, its ``url`` the task's ``path``. Pure Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Optional, Union

import yaml  # type: ignore[import-untyped]

from sqs_scale_to_zero.errors import ScaleToZeroValidationError
from sqs_scale_to_zero.schedules.expressions import scheduler_cron_from_unix
from sqs_scale_to_zero.schedules.schedule import QueueSchedule

_PROP = "cron_yaml"
_TASK_KEYS = ("name", "url", "schedule")
_OPTIONAL_TASK_KEYS = ("description",)


def schedules_from_cron_yaml(
    source: Union[str, Path], *, message_group_id: Optional[str] = None
) -> list[QueueSchedule]:
    """The schedules of a Beanstalk ``cron.yaml``: a path to it, or its text.

    Args:
        source: The file's path (a ``pathlib.Path``, or a string naming an existing file) or
            its YAML text.
        message_group_id: For a FIFO queue: the message group of every task's messages
            (Beanstalk ran no periodic tasks on FIFO queues). Default: none.

    Returns:
        One ``QueueSchedule`` per task, in the file's order, in UTC.

    Raises:
        ScaleToZeroValidationError: The file is not a ``version: 1`` cron.yaml, or a task's
            field is missing or invalid; the message names the field and the fix.
    """
    text = _read(source)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScaleToZeroValidationError(_PROP, f"is not YAML: {error}") from None
    if not isinstance(document, Mapping) or "cron" not in document:
        raise ScaleToZeroValidationError(
            _PROP, "must be a mapping with 'version: 1' and a 'cron' list of tasks"
        )
    unknown = sorted(str(key) for key in document if key not in ("version", "cron"))
    if unknown:
        raise ScaleToZeroValidationError(
            _PROP, f"unknown top-level field {unknown[0]!r}: a cron.yaml has only version and cron"
        )
    if document.get("version") != 1:
        raise ScaleToZeroValidationError(
            _PROP, f"version must be 1 (got {document.get('version')!r}), as Beanstalk requires"
        )
    tasks = document["cron"]
    if not isinstance(tasks, list) or not tasks:
        raise ScaleToZeroValidationError(_PROP, "cron must be a non-empty list of tasks")
    return [_task(task, f"cron[{index}]", message_group_id) for index, task in enumerate(tasks)]


def _read(source: Union[str, Path]) -> str:
    if isinstance(source, Path):
        return source.read_text()
    if not isinstance(source, str):
        raise ScaleToZeroValidationError(
            _PROP, f"must be a path or YAML text (got {type(source).__name__})"
        )
    if "\n" not in source and Path(source).is_file():
        return Path(source).read_text()
    return source


def _task(task: object, where: str, message_group_id: Optional[str]) -> QueueSchedule:
    if not isinstance(task, Mapping):
        raise ScaleToZeroValidationError(_PROP, f"{where} must be a mapping of name, url, schedule")
    for key in task:
        if key not in _TASK_KEYS + _OPTIONAL_TASK_KEYS:
            raise ScaleToZeroValidationError(
                _PROP, f"{where}: unknown field {key!r}: a task has name, url and schedule"
            )
    for key in _TASK_KEYS:
        if not isinstance(task.get(key), str) or not task[key]:
            raise ScaleToZeroValidationError(
                _PROP, f"{where}.{key} is missing or not a string: every task needs {key}"
            )
    try:
        expression = scheduler_cron_from_unix(task["schedule"])
    except ValueError as error:
        raise ScaleToZeroValidationError(_PROP, f"{where}.schedule: {error}") from None
    return QueueSchedule(
        name=task["name"],
        expression=expression,
        path=task["url"],
        message_group_id=message_group_id,
    )
