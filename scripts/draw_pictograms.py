"""Draw the project's own pictograms as SVG, and a PNG copy of each for ODK Collect.

Every pictogram is a few plain shapes on a white square, with dark outlines
(contrast above 3:1 on white and on any colour used), and a ``<title>`` that
says what it shows. Released under CC0 1.0 (see LICENSE.md in the media folder).

Run from the repository root after changing a drawing:

    uv run --with cairosvg python scripts/draw_pictograms.py

The PNGs are written next to the SVGs (ODK Collect shows PNG and JPEG, not SVG).
"""

from __future__ import annotations

import sys
from pathlib import Path

MEDIA = Path(__file__).resolve().parent.parent / "src/coprod_connectors/instruments/media"
INK = "#1a1a1a"
RED = "#c4262e"
AMBER = "#f2a900"
GREEN = "#2e7d32"
BLUE = "#1f5fa8"
STROKE = 6
PNG_SIZE = 192


def _svg(title: str, body: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96" width="96" height="96"'
        ' role="img" aria-labelledby="t">\n'
        f'<title id="t">{title}</title>\n'
        '<rect x="0" y="0" width="96" height="96" rx="12" fill="#ffffff"/>\n'
        f'<g stroke="{INK}" stroke-width="{STROKE}" stroke-linecap="round"'
        ' stroke-linejoin="round">\n'
        f"{body}\n</g>\n</svg>\n"
    )


def _person(x: float, y: float, scale: float = 1.0, fill: str = BLUE) -> str:
    r = 9 * scale
    return (
        f'<circle cx="{x}" cy="{y}" r="{r}" fill="{fill}"/>'
        f'<path d="M{x - 16 * scale} {y + 40 * scale} v-{12 * scale}'
        f" a{16 * scale} {16 * scale} 0 0 1"
        f' {32 * scale} 0 v{12 * scale} z" fill="{fill}"/>'
    )


def _steps(filled: int, total: int, colour: str = BLUE) -> str:
    """Rising bars, the first ``filled`` coloured in: how far along."""
    width = 72 / total
    shapes = []
    for i in range(total):
        height = 16 + i * (60 / max(total - 1, 1))
        x = 12 + i * width
        fill = colour if i < filled else "#ffffff"
        shapes.append(
            f'<rect x="{x + 3:.1f}" y="{84 - height:.1f}" width="{width - 6:.1f}"'
            f' height="{height:.1f}" fill="{fill}"/>'
        )
    return "".join(shapes)


def _ladder(rungs_lit: int) -> str:
    """A ladder of five rungs, the lowest ``rungs_lit`` picked out: how far up."""
    shapes = ['<path d="M24 8 V88 M72 8 V88" fill="none"/>']
    for i in range(5):
        y = 80 - i * 16
        colour = GREEN if i < rungs_lit else "#ffffff"
        shapes.append(
            f'<rect x="24" y="{y - 5}" width="48" height="10" fill="{colour}" stroke-width="3"/>'
        )
    return "".join(shapes)


TICK = '<path d="M28 50 L42 64 L68 34" fill="none" stroke-width="9"/>'
CROSS = '<path d="M32 32 L64 64 M64 32 L32 64" fill="none" stroke-width="9"/>'
QUESTION = (
    '<path d="M36 36 a12 12 0 1 1 18 10 c-4 3 -6 5 -6 10 v4" fill="none" stroke-width="8"/>'
    '<circle cx="48" cy="72" r="4" fill="#1a1a1a"/>'
)

PICTOGRAMS: dict[str, tuple[str, str]] = {
    # the four principles of the self-reflection tool
    "principle-assets": (
        "A person with a star: everyone has strengths",
        _person(38, 34, 1.1)
        + '<path d="M72 14 l5 10 11 2 -8 8 2 11 -10 -5 -10 5 2 -11 -8 -8 11 -2 z"'
        f' fill="{AMBER}"/>',
    ),
    "principle-work": (
        "A heart and a clock: unpaid work counts",
        (
            '<path d="M48 82 C20 62 12 48 16 34 C20 20 40 18 48 34 C56 18 76 20 80 34'
            f' C84 48 76 62 48 82 z" fill="{RED}"/>'
            '<circle cx="48" cy="46" r="14" fill="#ffffff" stroke-width="4"/>'
            '<path d="M48 38 V46 H55" fill="none" stroke-width="4"/>'
        ),
    ),
    "principle-recip": (
        "Two people passing something both ways: give and get",
        _person(22, 30, 0.8)
        + _person(74, 30, 0.8, GREEN)
        + '<path d="M36 50 H60 M52 42 L60 50 L52 58" fill="none"/>'
        + '<path d="M60 72 H36 M44 64 L36 72 L44 80" fill="none"/>',
    ),
    "principle-network": (
        "People joined by lines: being part of the community",
        (
            '<path d="M48 48 L20 22 M48 48 L76 22 M48 48 L20 76 M48 48 L76 76 M20 22 L76 22'
            ' M20 76 L76 76" fill="none"/>'
            f'<circle cx="48" cy="48" r="11" fill="{BLUE}"/>'
            f'<circle cx="20" cy="22" r="9" fill="{GREEN}"/>'
            f'<circle cx="76" cy="22" r="9" fill="{AMBER}"/>'
            f'<circle cx="20" cy="76" r="9" fill="{AMBER}"/>'
            f'<circle cx="76" cy="76" r="9" fill="{GREEN}"/>'
        ),
    ),
    # the four stages
    "stage-1": ("Stage 1 of 4: not yet", _steps(1, 4)),
    "stage-2": ("Stage 2 of 4: the basics", _steps(2, 4)),
    "stage-3": ("Stage 3 of 4: getting there", _steps(3, 4)),
    "stage-4": ("Stage 4 of 4: doing really well", _steps(4, 4)),
    # red, amber, green: each a different shape as well as a colour
    "rag-red": (
        "Red: a cross in a red octagon, act now",
        (
            '<path d="M34 10 H62 L86 34 V62 L62 86 H34 L10 62 V34 z"'
            f' fill="{RED}"/>' + CROSS.replace('fill="none"', 'fill="none" stroke="#ffffff"')
        ),
    ),
    "rag-amber": (
        "Amber: an exclamation mark in an amber triangle, more to do",
        (
            f'<path d="M48 10 L88 82 H8 z" fill="{AMBER}"/>'
            '<path d="M48 36 V58" fill="none" stroke-width="8"/>'
            '<circle cx="48" cy="70" r="4" fill="#1a1a1a"/>'
        ),
    ),
    "rag-green": (
        "Green: a tick in a green circle, going well",
        (
            f'<circle cx="48" cy="48" r="38" fill="{GREEN}"/>'
            + TICK.replace('fill="none"', 'fill="none" stroke="#ffffff"')
        ),
    ),
    # agree and disagree
    "agree": ("Agree: a tick", '<circle cx="48" cy="48" r="38" fill="#ffffff"/>' + TICK),
    "part": (
        "Partly agree: a half-filled circle",
        (
            '<circle cx="48" cy="48" r="38" fill="#ffffff"/>'
            f'<path d="M48 10 A38 38 0 0 0 48 86 z" fill="{BLUE}"/>'
        ),
    ),
    "disagree": ("Disagree: a cross", '<circle cx="48" cy="48" r="38" fill="#ffffff"/>' + CROSS),
    "dont-know": (
        "Don't know: a question mark",
        '<circle cx="48" cy="48" r="38" fill="#ffffff"/>' + QUESTION,
    ),
    # the phases of a project
    "phase-idea": (
        "A light bulb: the idea",
        (
            '<path d="M48 10 a24 24 0 0 1 14 43 v9 h-28 v-9 a24 24 0 0 1 14 -43 z"'
            f' fill="{AMBER}"/>'
            '<path d="M38 72 H58 M40 82 H56" fill="none"/>'
        ),
    ),
    "phase-design": (
        "A pencil drawing a line: planning and design",
        (
            f'<path d="M62 12 L82 32 L36 78 L14 82 L18 60 z" fill="{AMBER}"/>'
            '<path d="M54 20 L74 40 M18 60 L36 78" fill="none"/>'
        ),
    ),
    "phase-deliv": (
        "A hand giving a box: carrying it out",
        (
            f'<rect x="30" y="14" width="36" height="30" fill="{BLUE}"/>'
            '<path d="M10 70 H34 L50 60 H68 M10 84 H42 L80 66 a6 6 0 0 0 -6 -10 L56 64"'
            ' fill="none"/>'
        ),
    ),
    "phase-review": (
        "A magnifying glass: checking how it went",
        (
            '<circle cx="40" cy="40" r="24" fill="#ffffff"/><path d="M58 58 L84 84" fill="none"'
            ' stroke-width="10"/>' + '<path d="M30 40 L38 48 L52 32" fill="none"/>'
        ),
    ),
}

# the ladder: how far up people's involvement went (0 to 4)
for _n, _name in enumerate(
    (
        "not involved",
        "told what was happening",
        "asked their views",
        "decided together",
        "equal partners",
    )
):
    PICTOGRAMS[f"ladder-{_n}"] = (f"Ladder step {_n} of 4: {_name}", _ladder(_n + 1))


def main() -> int:
    MEDIA.mkdir(parents=True, exist_ok=True)
    try:
        import cairosvg
    except ImportError:
        cairosvg = None
    for name, (title, body) in PICTOGRAMS.items():
        svg = _svg(title, body)
        (MEDIA / f"{name}.svg").write_text(svg, encoding="utf-8")
        if cairosvg is not None:
            cairosvg.svg2png(
                bytestring=svg.encode(),
                write_to=str(MEDIA / f"{name}.png"),
                output_width=PNG_SIZE,
                output_height=PNG_SIZE,
            )
    if cairosvg is None:
        sys.stderr.write("cairosvg is not installed: SVGs written, PNGs not updated\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
