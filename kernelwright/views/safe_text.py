"""Text someone else wrote, made safe to show: candidates, submitted operators, imported tasks, model replies.

Such text is written by an attacker who has read our code, and a screen is easy to forge. On a terminal, ESC
and the 8-bit CSI start sequences that move the cursor, erase lines, clear the screen, set the window title or
open hyperlinks; BS and CR overwrite what is already shown; Unicode bidi overrides and other format characters
reorder or hide what a person reads; and Rich parses `[bold green]correct[/]` as markup and
`:white_check_mark:` as an emoji. So every such text passes through `clean` (escape sequences and control and
format characters out; newlines and tabs kept, every other line break made a newline) before it is shown, and
reaches Rich as a `Text` (`untrusted`), which Rich never parses for markup or emoji (a progress bar shows it
through a `TextColumn(markup=False)`). `rich.markup.escape` alone would not do: it leaves escape codes and emoji
codes as they are.
"""

from __future__ import annotations

import re
import unicodedata

from rich.text import Text

# Whole escape sequences, so that their parameters do not stay behind as text: CSI (`ESC [` or the 8-bit 0x9b,
# parameters, a final byte); OSC, DCS, SOS, PM and APC strings (`ESC ]`, `ESC P`, ... or their 8-bit forms) up to
# their terminator (BEL or ST), or to the end of the line where there is none, so that an unterminated string
# hides no more than its own line; and the short escapes (`ESC 7`, `ESC c`, `ESC ( B`, ...), or a lone ESC.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\n]*?(?:\x07|\x1b\\|\x9c|(?=\n)|\Z)"
    r"|\x1b[ -/]*[0-~]?")
# Characters other than printable ASCII, tab and newline: each is looked up (`_replace`), the rest left alone.
_SUSPECT = re.compile(r"[^\t\n\x20-\x7e]")
# What Python's `str.splitlines` breaks lines at: each becomes a newline, so a line shown is a line split.
_LINE_BREAKS = frozenset("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _replace(match: re.Match[str]) -> str:
    char = match.group()
    if char in _LINE_BREAKS:
        return "\n"
    category = unicodedata.category(char)
    if category in ("Cc", "Cf"):  # C0/C1 controls and DEL; bidi overrides, zero-width and other format characters
        return ""
    if category == "Cs":  # a lone surrogate (from JSON's "\ud800") cannot be encoded: it would crash the print
        return "\ufffd"
    return char


def clean(text: object) -> str:
    """`text` (made a string) without escape sequences or control and format characters: newlines and tabs stay,
    CR LF and every other line break become a newline; nothing else changes."""
    value = str(text).replace("\r\n", "\n")
    return _SUSPECT.sub(_replace, _SEQUENCE.sub("", value))


def untrusted(text: object, style: str = "") -> Text:
    """`text`, cleaned, as a Rich `Text`: shown as written, never parsed for markup or emoji."""
    return Text(clean(text), style=style)


def one_line(text: object) -> str:
    """`text`, cleaned, its lines joined by spaces (for a table cell or a CSV field of one line)."""
    return " ".join(clean(text).splitlines())


def first_line(text: object) -> str:
    """The first line of `text`, cleaned ("" when there is none)."""
    lines = clean(text).splitlines()
    return lines[0] if lines else ""
