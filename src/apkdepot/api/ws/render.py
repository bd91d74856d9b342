"""The two renderers of the web-service envelope. Endpoints return plain data
(dicts in field order, lists, strings, numbers); these turn it into bytes.

XML: a dict becomes child elements named by its keys, a list becomes ``<entry>``
children of the element named by its key, ``None`` is left out, ``True``/
``False`` become ``TRUE``/``FALSE``. JSON: the same data through msgspec."""

from __future__ import annotations

import re
from typing import Any

import msgspec

XML_CONTENT_TYPE = "application/xml; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# Characters XML 1.0 cannot carry at all, even escaped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})

_json_encoder = msgspec.json.Encoder()


def xml_text(value: Any) -> str:
    if value is True:
        return "TRUE"
    if value is False:
        return "FALSE"
    text = value if isinstance(value, str) else str(value)
    return _XML_ILLEGAL.sub("", text).translate(_ESCAPES)


def _xml_children(data: dict[str, Any], out: list[str]) -> None:
    for key, value in data.items():
        if value is None:
            continue
        out.append(f"<{key}>")
        _xml_value(value, out)
        out.append(f"</{key}>")


def _xml_value(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        _xml_children(value, out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            out.append("<entry>")
            _xml_value(item, out)
            out.append("</entry>")
    else:
        out.append(xml_text(value))


def render_xml(payload: dict[str, Any], root: str = "response") -> bytes:
    out = [f"<{root}>"]
    _xml_children(payload, out)
    out.append(f"</{root}>")
    return XML_DECLARATION + "".join(out).encode("utf-8")


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(v) for v in value]
    return value


def render_json(payload: dict[str, Any]) -> bytes:
    return _json_encoder.encode(_drop_none(payload))


def render(payload: dict[str, Any], fmt: str) -> tuple[bytes, str]:
    if fmt == "xml":
        return render_xml(payload), XML_CONTENT_TYPE
    return render_json(payload), JSON_CONTENT_TYPE
