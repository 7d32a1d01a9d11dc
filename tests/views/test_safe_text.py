"""kernelwright/views/safe_text.py: what a candidate's text keeps and loses before a person sees it."""

from __future__ import annotations

import pytest
from rich.text import Text

from kernelwright.views.safe_text import clean, first_line, one_line, untrusted

ESC = "\x1b"


@pytest.mark.parametrize(("text", "shown"), [
    # CSI: cursor moves, erase, colours, private modes; whole, parameters and all.
    (f"a{ESC}[4A{ESC}[2K{ESC}[1Gb", "ab"),
    (f"a{ESC}[1;32mgreen{ESC}[0m", "agreen"),
    (f"a{ESC}[?1049h{ESC}[?25lb", "ab"),
    (f"cut {ESC}[12", "cut "),  # a CSI the text ends inside
    ("a\x9b2Kb", "ab"),  # the 8-bit CSI
    # OSC (window title, hyperlink), terminated by BEL or ST, and DCS / APC strings.
    (f"a{ESC}]0;forged title\ab", "ab"),
    (f"a{ESC}]8;;https://example.invalid/{ESC}\\link{ESC}]8;;{ESC}\\b", "alinkb"),
    (f"a{ESC}P1$r{ESC}\\b", "ab"),
    (f"a{ESC}_apc\x9cb", "ab"),
    ("a\x9d0;title\ab", "ab"),
    # An OSC with no terminator hides no more than its own line.
    (f"a{ESC}]0;title\nnext line", "a\nnext line"),
    # Short escapes: save/restore cursor, reset, charset, index; a lone ESC.
    (f"a{ESC}7{ESC}8{ESC}c{ESC}(0{ESC}Db{ESC}", "ab"),
    # C0 and C1 controls and DEL go; BS and a bare CR could overwrite what is shown.
    ("in\bcorrect\x7f\x00\x07\x85x", "incorrect\nx"),
    ("incorrect\rcorrect", "incorrect\ncorrect"),
    ("one\r\ntwo\x0bthree\x0cfour\u2028five\u2029six\x1csep", "one\ntwo\nthree\nfour\nfive\nsix\nsep"),
    # Bidi overrides, embeddings, isolates and marks; zero-width and other format characters; tag characters.
    ("\u202ex00.24 tcerroc\u202c", "x00.24 tcerroc"),
    ("a\u202a\u202b\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061cb", "ab"),
    ("a\u200b\u200c\u200d\u2060\ufeff\u00ad\U000e0041b", "ab"),
    # A lone surrogate (JSON can carry one) would make the print itself fail.
    ("a\ud800b", "a\ufffdb"),
    # What stays: newlines, tabs, letters of every script, symbols, emoji, markup as written.
    ("line 1\n\tline 2", "line 1\n\tline 2"),
    ("é ß 中文 עברית 😀 ±×", "é ß 中文 עברית 😀 ±×"),
    ("[bold green]correct[/] :white_check_mark: \\", "[bold green]correct[/] :white_check_mark: \\"),
])
def test_clean(text: str, shown: str) -> None:
    assert clean(text) == shown


def test_clean_takes_any_object_and_keeps_plain_text_as_it_is() -> None:
    assert clean(ValueError("bad [red]x[/]")) == "bad [red]x[/]"
    plain = "trial 1, input group 0: RuntimeError: boom (candidate line 3: return x)"
    assert clean(plain) == plain


def test_untrusted_is_text_rich_never_parses() -> None:
    text = untrusted(f"{ESC}[2K[bold green]correct[/] :white_check_mark:", style="dim")
    assert isinstance(text, Text)
    assert text.plain == "[bold green]correct[/] :white_check_mark:"
    assert text.spans == [] and text.style == "dim"


def test_one_line_and_first_line() -> None:
    assert one_line("a\r\nb\x1b[2K\rc") == "a b c"
    assert first_line("\u202efirst\nsecond") == "first"
    assert first_line("") == ""
