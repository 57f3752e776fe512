"""GeoReport v2 documents as JSON or XML (the format is the URL's extension).

Both formats are rendered from the same plain structures, so they cannot disagree.
XML follows the spec's element names: a list becomes a container whose children take
the singular name (`<service_requests><request>…`, `<attributes><attribute>…`).
Text is stripped of the characters XML 1.0 forbids (C0 controls but tab and line ends,
surrogates, U+FFFE/U+FFFF): input is cleaned, but rows stored before that must not be
able to break the whole feed.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Container element -> child element, as in the spec's XML examples.
CHILDREN = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}

_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, name: str, value) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list):
        child = CHILDREN.get(name, "item")
        for item in value:
            _append(element, child, item)
    else:
        element.text = _text(value)


def to_xml(root: str, payload) -> bytes:
    """`payload` is a list (the root holds its items) or a dict (the root holds its keys)."""
    element = ET.Element(root)
    if isinstance(payload, list):
        child = CHILDREN[root]
        for item in payload:
            _append(element, child, item)
    else:
        for key, value in payload.items():
            _append(element, key, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def render(fmt: str, root: str, payload) -> tuple[bytes, str]:
    """(body, content type) of a document in `fmt` ("json" or "xml")."""
    if fmt == "xml":
        return to_xml(root, payload), FORMATS["xml"]
    return json.dumps(payload, ensure_ascii=False).encode("utf-8"), FORMATS["json"]
