"""Bar charts as inline SVG, drawn on the server: no script, no external asset, prints to PDF.

Only SVG presentation attributes are used (no ``style``), so the web app's CSP stays strict.
"""

from __future__ import annotations

from markupsafe import Markup, escape

ROW = 22
LABEL_W = 210
BAR_W = 300
PALETTE = ("#0969da", "#1a7f37", "#9a6700", "#cf222e", "#8250df", "#57606a")


def bar_chart(title: str, data: dict[str, int], colour: int = 0) -> Markup:
    """Horizontal bars, one per key, labelled with the count."""
    rows = [(str(k), int(v)) for k, v in data.items()]
    height = ROW * max(len(rows), 1) + 28
    width = LABEL_W + BAR_W + 80
    peak = max((v for _, v in rows), default=0) or 1
    fill = PALETTE[colour % len(PALETTE)]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'aria-label="{escape(title)}">',
             f'<text x="0" y="14" font-size="13" font-weight="bold" fill="#1b1f24">'
             f'{escape(title)}</text>']
    if not rows:
        parts.append('<text x="0" y="38" font-size="12" fill="#57606a">nothing yet</text>')
    for i, (label, value) in enumerate(rows):
        y = 24 + i * ROW
        w = max(round(BAR_W * value / peak), 1 if value else 0)
        short = label if len(label) <= 32 else label[:31] + "…"
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 14}" font-size="12" text-anchor="end" '
                     f'fill="#1b1f24">{escape(short)}</text>'
                     f'<rect x="{LABEL_W}" y="{y + 3}" width="{w}" height="{ROW - 6}" '
                     f'fill="{fill}"/>'
                     f'<text x="{LABEL_W + w + 6}" y="{y + 14}" font-size="12" '
                     f'fill="#1b1f24">{value:,}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
