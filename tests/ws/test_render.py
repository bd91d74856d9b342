from apkdepot.api.ws.render import render_json, render_xml, xml_text


def test_xml_renders_nesting_lists_booleans_and_skips_none():
    payload = {"status": "OK", "listing": [{"a": 1, "b": None, "c": False}], "card": {"name": "x"}}
    assert render_xml(payload).decode().split("\n", 1)[1] == (
        "<response><status>OK</status><listing><entry><a>1</a><c>FALSE</c></entry></listing>"
        "<card><name>x</name></card></response>")


def test_json_drops_none_everywhere():
    assert render_json({"a": None, "b": [{"c": None, "d": 1}]}) == b'{"b":[{"d":1}]}'


def test_xml_text_escapes_and_removes_illegal_characters():
    assert xml_text("<&>\x00\x0b\ufffe ok") == "&lt;&amp;&gt; ok"
    assert xml_text(True) == "TRUE"
