"""The multipart form of ``POST /v2/im/groups`` (Zoom's "Create an IM directory group"), from a ``GroupSpec``.

Kept apart from ``groups.im`` and free of imports so that the spec's deprecated ``form_fields`` can use it.
"""

from __future__ import annotations

from typing import Any

#: the form's optional fields, sent only when the spec sets them (else Zoom keeps its default)
IM_SEARCH_FIELDS = ("search_by_domain", "search_by_account", "search_by_ma_account")


def im_form_fields(spec: Any) -> dict[str, str]:
    """The form fields exactly as Zoom's curl example sends them: ``name``, ``type``, flags as true/false."""
    fields = {"name": spec.name, "type": spec.type}
    for flag in IM_SEARCH_FIELDS:
        value = getattr(spec, flag)
        if value is not None:
            fields[flag] = "true" if value else "false"
    return fields
