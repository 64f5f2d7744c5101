"""A manifest's ``secrets`` entry as an SSM parameter or a Secrets Manager secret.

Forms from Copilot's "Secrets" guide (``site/content/docs/developing/secrets.en.md``): an SSM
parameter name (``GITHUB_TOKEN: GH_TOKEN_SECRET``) or ARN, a Secrets Manager ARN (quoted, with
an optional ``:json-key:version-stage:version-id``), ``{secretsmanager: 'name[:json-key:...]'}``
and ``{from_cfn: EXPORT}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from sqs_scale_to_zero.copilot.fields import only, string
from sqs_scale_to_zero.copilot.plan import ManifestError, SecretRef


def secret_ref(value: object, where: str) -> Optional[SecretRef]:
    """The secret ``value`` names; ``None`` for ``from_cfn`` (not carried).

    Raises:
        ManifestError: ``value`` is none of Copilot's forms.
    """
    if isinstance(value, Mapping):
        only(value, where, ("secretsmanager", "from_cfn"))
        if "from_cfn" in value:
            return None
        name, json_key, stage, version = _split(string(value.get("secretsmanager"), where), where)
        return SecretRef("secretsmanager", name, json_key, stage, version)
    text = string(value, where).strip("'")
    if not text.startswith("arn:"):
        return SecretRef("ssm", text)
    parts = text.split(":")
    if len(parts) < 6:
        raise ManifestError(f"{where}: {text!r} is not an ARN")
    service = parts[2]
    if service == "ssm":
        resource = ":".join(parts[5:])
        if not resource.startswith("parameter/"):
            raise ManifestError(f"{where}: an SSM ARN names a parameter/...")
        name = resource[len("parameter") :]
        return SecretRef("ssm", name if name.count("/") > 1 else name[1:])
    if service == "secretsmanager" and len(parts) >= 7:
        base = ":".join(parts[:7])
        json_key, stage, version = (_blank(p) for p in ([*parts[7:], "", "", ""])[:3])
        return SecretRef("secretsmanager_arn", base, json_key, stage, version)
    raise ManifestError(
        f"{where}: {service!r} ARNs are not secrets: use an SSM parameter or a Secrets Manager "
        "secret"
    )


def _split(text: str, where: str) -> tuple[str, Optional[str], Optional[str], Optional[str]]:
    parts = text.split(":")
    if len(parts) > 4:
        raise ManifestError(f"{where}: write 'name[:json-key:version-stage:version-id]'")
    name, json_key, stage, version = ([*parts, "", "", ""])[:4]
    return string(name, where), _blank(json_key), _blank(stage), _blank(version)


def _blank(text: str) -> Optional[str]:
    return text or None
