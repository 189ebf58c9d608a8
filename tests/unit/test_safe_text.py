"""The one sanitiser every screen and the CLI share, and the JSON the CLI prints."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from hostdeck.cli.output import json_bytes
from hostdeck.tui.safe_text import as_text
from hostdeck.tui.safe_text import markup_literal
from hostdeck.tui.safe_text import visible


def test_controls_and_bidi_marks_show_as_python_escapes():
    assert visible("old [x=1") == "old [x=1"  # brackets are not the sanitiser's business: Text never parses them
    assert visible("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert visible("\x1b]52;c;aGk=\x07") == "\\x1b]52;c;aGk=\\x07"
    assert visible("cr\rlf\n\ttab\x00\x7f\x9b") == "cr\\x0dlf\\x0a\\x09tab\\x00\\x7f\\x9b"
    assert visible("\u202eevil\u2066\u200b\ufeff") == "\\u202eevil\\u2066\\u200b\\ufeff"
    assert visible("\U000e0001tag") == "\\U000e0001tag"
    assert visible("\ud800") == "\\ud800"  # a lone surrogate (json.loads makes them) cannot even be encoded
    assert visible("bücher 日本 \xa0nbsp") == "bücher 日本 \xa0nbsp"  # text of every script and its spaces stay
    assert visible(None) == "" and visible(42) == "42"


def test_multiline_keeps_newlines_only_and_limit_clips_the_original():
    assert visible("a\nb\tc\r", multiline=True) == "a\nb\\x09c\\x0d"
    assert visible("x" * 10_000, limit=20) == "x" * 19 + "…"
    assert visible("\x1b" * 50, limit=3) == "\\x1b\\x1b…"


def test_as_text_is_never_markup():
    text = as_text("[bold]old [x=1[/] \x1b[2J", "red")
    assert text.plain == "[bold]old [x=1[/] \\x1b[2J" and str(text.style) == "red" and not text.spans


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("[]\\/=@#ab x\x1b\u202e"), max_size=30))
def test_markup_literal_shows_exactly_the_visible_text(value):
    from textual.content import Content

    content = Content.from_markup(markup_literal(value))
    assert content.plain == visible(value) and not content.spans


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.text() | st.integers() | st.none(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12))
def test_json_output_round_trips_and_has_no_raw_control(doc):
    data = json_bytes(doc)
    assert json.loads(data) == doc
    text = data.decode()
    assert all(c == "\n" or visible(c) == c for c in text)


def test_json_output_survives_a_lone_surrogate():
    doc = {"name": "\ud800x\x1b", "n": 1}
    assert json.loads(json_bytes(doc)) == doc
