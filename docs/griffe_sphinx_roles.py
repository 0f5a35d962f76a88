"""A griffe extension for the API reference: Sphinx roles in docstrings become cross-references.

The provider's docstrings are reST-ish Sphinx style (``:class:`RowProblem```, ``:func:`~.x.y```). mkdocstrings'
Sphinx parser reads ``:param:`` fields but leaves such roles as text. Here each role whose target resolves to an
object of the loaded package becomes an optional autorefs cross-reference (a link when that object is on a page of
the reference, plain code when it is not, e.g. a private helper); a target that does not resolve becomes plain code.
Loaded by mkdocs.yml (``extensions:``), used only by ``make docs``.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|exc|attr|mod|data|obj|const):`(?P<target>[^`]+)`")


class SphinxRoles(griffe.Extension):
    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for obj in _walk(pkg):
            if obj.docstring is not None and ":" in obj.docstring.value:
                obj.docstring.value = _ROLE.sub(lambda m, o=obj: _reference(o, m["target"]), obj.docstring.value)


def _walk(obj: griffe.Object):
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)


def _reference(obj: griffe.Object, target: str) -> str:
    target = target.strip()
    if "<" in target and target.endswith(">"):  # :class:`title <target>`
        title, target = target[:-1].split("<", 1)
        title = title.strip()
    else:
        title = None
    short = target.startswith("~")
    target = target.lstrip("~")
    shown = title or (target.lstrip(".").rsplit(".", 1)[-1] if short or target.startswith(".") else target)
    path = _resolve(obj, target)
    if path is None:
        return f"``{shown}``"
    return f'<autoref identifier="{html.escape(path)}" optional><code>{html.escape(shown)}</code></autoref>'


def _resolve(obj: griffe.Object, target: str) -> str | None:
    if target.startswith("."):  # relative to the module's package
        module = obj if obj.is_module else obj.module
        package = module.path if module.is_package else module.parent.path
        return f"{package}{target}"
    head, _, rest = target.partition(".")
    try:
        path = obj.resolve(head)
    except griffe.NameResolutionError:  # an unknown name stays plain code
        return None
    return f"{path}.{rest}" if rest else path
