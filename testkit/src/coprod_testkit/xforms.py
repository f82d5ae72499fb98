"""Filling in an XForm as a phone does (KoboCollect, ODK Collect): the instance XML sent.

:func:`fill` copies the form's primary instance: each question's element gets its
answer (a list joined by spaces, as ``select_multiple`` is), a repeat is written
once per item, a calculate with a constant (``'…'``) its value, ``instanceID`` the
id given; for an edit, ``meta`` gets the ``deprecatedID`` of the instance it
replaces. What the form computes at run time is left empty, as an older phone
that does not evaluate it would leave it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

XF = "http://www.w3.org/2002/xforms"
JR = "http://openrosa.org/javarosa"


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def primary_instance(xform: str) -> tuple[ET.Element, dict[str, str]]:
    """The form's primary instance template, and its constant calculations by name."""
    root = ET.fromstring(xform)  # noqa: S314 - a form the test server just sent
    model = next(e for e in root.iter() if local(e.tag) == "model")
    primary = next(e for e in model if local(e.tag) == "instance")
    calculated = {}
    for bind in model.iter(f"{{{XF}}}bind"):
        calculate = bind.get("calculate", "")
        if calculate.startswith("'") and calculate.endswith("'"):
            calculated[bind.get("nodeset", "").rsplit("/", 1)[-1]] = calculate[1:-1]
    return next(iter(primary)), calculated


def fill(
    xform: str, answers: Mapping[str, Any], *, instance_id: str, edit_of: str | None = None
) -> bytes:
    """The instance XML a phone would send for ``answers`` (keyed by question names)."""
    template, calculated = primary_instance(xform)
    out = _copy(template, answers, calculated, instance_id, edit_of)
    xml: bytes = ET.tostring(out, encoding="utf-8", xml_declaration=True)
    return xml


def form_key(xform: str) -> str:
    """``<form id>/<version>`` of a form, e.g. to seed deterministic instance ids."""
    template, _ = primary_instance(xform)
    return f"{template.get('id')}/{template.get('version')}"


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _copy(
    element: ET.Element,
    answers: Mapping[str, Any],
    calculated: Mapping[str, str],
    instance_id: str,
    edit_of: str | None,
) -> ET.Element:
    out = ET.Element(local(element.tag), {k: v for k, v in element.attrib.items() if "}" not in k})
    seen_repeat: set[str] = set()
    for child in element:
        name = local(child.tag)
        if f"{{{JR}}}template" in child.attrib or name in seen_repeat:
            if name not in seen_repeat:
                seen_repeat.add(name)
                for item in answers.get(name) or []:
                    out.append(_copy(child, item, calculated, instance_id, edit_of))
            continue
        if len(child):
            copied = _copy(child, answers, calculated, instance_id, edit_of)
            if name == "meta" and edit_of:
                ET.SubElement(copied, "deprecatedID").text = edit_of
            out.append(copied)
            continue
        leaf = ET.SubElement(out, name)
        if name == "instanceID":
            leaf.text = instance_id
        elif name in calculated:
            leaf.text = calculated[name]
        elif answers.get(name) not in (None, ""):
            leaf.text = _text(answers[name])
    return out


__all__ = ["JR", "XF", "fill", "form_key", "local", "primary_instance"]
