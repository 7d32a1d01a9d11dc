"""report.html beside report.md: the same lines as a page that opens in any browser, with the plots inline (as
data: URLs, so the one file can be mailed or attached) and no script.

It reads back only the Markdown that `write_report` writes (headings, bullets, tables, images, **bold**), whose
stored text went through `md()`: that escaping is undone here, then every piece of text is HTML-escaped, so a task
id or model name from a file is shown as text, never as markup.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

STYLE = ("body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1d232b}"
         "table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #d5dbe3;padding:.25rem .6rem;"
         "text-align:left}th{background:#f3f5f8}img{max-width:100%;height:auto;display:block;margin:.5rem 0 1.5rem}")
_IMAGE = re.compile(r"^!\[([^\]]*)\]\(([A-Za-z0-9_.-]+\.png)\)$")


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table row, split on pipes that `md()` did not escape, escapes undone."""
    text = line.strip()
    text = text[1:] if text.startswith("|") else text
    text = text[:-1] if text.endswith("|") and not text.endswith("\\|") else text
    cells: list[str] = []
    cell, chars = "", iter(text)
    for char in chars:
        if char == "\\":
            cell += next(chars, "")
        elif char == "|":
            cells.append(cell)
            cell = ""
        else:
            cell += char
    cells.append(cell)
    return [c.strip() for c in cells]


def _inline(text: str) -> str:
    """Inline Markdown of `write_report` as HTML: text escaped, `**bold**` kept."""
    text = text.replace("\\|", "|").replace("\\\\", "\\").replace("&lt;", "<")
    parts = text.split("**")
    return "".join(f"<strong>{html.escape(p)}</strong>" if i % 2 else html.escape(p) for i, p in enumerate(parts))


def _image(alt: str, path: Path) -> str:
    if not path.is_file():
        return f"<p>({html.escape(alt)}: {html.escape(path.name)} is missing)</p>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt, quote=True)}" src="data:image/png;base64,{data}">'


def to_html(lines: list[str], folder: Path, title: str) -> str:
    """The report's Markdown `lines` as a standalone HTML page; images are read from `folder`."""
    body: list[str] = []
    table: list[list[str]] = []
    bullets: list[str] = []

    def flush() -> None:
        if bullets:
            body.append("<ul>" + "".join(f"<li>{b}</li>" for b in bullets) + "</ul>")
            bullets.clear()
        if table:
            head, rows = table[0], table[2:]  # the second row is the |---| rule
            body.append("<table><thead><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in head) + "</tr></thead><tbody>"
                        + "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in rows)
                        + "</tbody></table>")
            table.clear()

    for line in lines:
        if line.startswith("|"):
            table.append(_cells(line))
            continue
        if line.startswith("- "):
            bullets.append(_inline(line[2:]))
            continue
        flush()
        image = _IMAGE.match(line)
        if image:
            body.append(_image(image.group(1), folder / image.group(2)))
        elif line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")), 3)
            body.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    flush()
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
