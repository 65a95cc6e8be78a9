"""Pages around a rendered article: the editor's phone preview and the public archive page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Settings
from ..model import Issue
from ..platform_limits import (
    CONTENT_MAX_CHARS,
    DIGEST_MAX_CHARS,
    TITLE_MAX_CHARS,
    field_characters,
)
from .article import RenderedArticle, render_issue
from .compliance import COVER_NAME, Problem, content_characters, lint_article
from .cover_images import BAND_BOX, COVER_SIZE, SQUARE_BOX, crop_fractions
from .environment import render_template
from .titles import series_name


@dataclass(frozen=True)
class CropView:
    """How the preview shows one crop of the cover: CSS for a box showing just that part."""

    aspect: str  # the box's aspect-ratio
    width: str  # the image's width, a percentage of the box's
    left: str  # the image's margin-left, a percentage of the box's width
    top: str  # the image's margin-top, a percentage of the box's width (as CSS measures it)


def crop_view(box: tuple[int, int, int, int]) -> CropView:
    """Return the CSS that shows WeChat's crop ``box`` of the cover, from the fractions sent."""
    x1, y1, x2, y2 = crop_fractions(box)
    width, height = COVER_SIZE
    span = x2 - x1
    return CropView(
        aspect=f"{span * width:.2f} / {(y2 - y1) * height:.2f}",
        width=f"{100 / span:.4f}%",
        left=f"{-100 * x1 / span:.4f}%",
        top=f"{-100 * y1 * height / width / span:.4f}%",
    )


@dataclass(frozen=True)
class ExportedIssue:
    """What :func:`export_issue` rendered, found and wrote."""

    article: RenderedArticle
    problems: list[Problem]
    files: list[Path]


def preview_context(
    issue: Issue,
    article: RenderedArticle,
    settings: Settings,
    *,
    cover_src: str,
    problems: Sequence[Problem] = (),
) -> dict[str, Any]:
    """Return what ``web/phone_preview.html`` shows: the article, its counts, crops and checks.

    The feed card shows the cover's ``pic_crop_235_1`` band, the share card its ``pic_crop_1_1``
    square: the very crops the draft names.
    """
    return dict(
        article=article,
        account_name=series_name(issue, settings),
        issue_date=issue.date.isoformat(),
        cover_src=cover_src,
        cover_name=COVER_NAME,
        band=crop_view(BAND_BOX),
        square=crop_view(SQUARE_BOX),
        problems=problems,
        cover_bytes=len(article.cover_jpeg),
        content_characters=content_characters(article.html),
        content_limit=CONTENT_MAX_CHARS,
        title_characters=field_characters(article.title),
        digest_characters=field_characters(article.digest),
        title_limit=TITLE_MAX_CHARS,
        digest_limit=DIGEST_MAX_CHARS,
    )


def render_preview(
    issue: Issue,
    article: RenderedArticle,
    settings: Settings,
    *,
    cover_src: str,
    problems: Sequence[Problem] = (),
) -> str:
    """Return a phone-width page: the checks, the feed and share cards, then the article."""
    context = preview_context(issue, article, settings, cover_src=cover_src, problems=problems)
    return render_template("web/preview.html", **context)


def render_public_page(
    issue: Issue,
    article: RenderedArticle,
    settings: Settings,
    *,
    cover_url: str = "",
) -> str:
    """Return the archive page a follower lands on: the article as WeChat would show it."""
    return render_template(
        "web/issue.html",
        article=article,
        account_name=series_name(issue, settings),
        issue_date=issue.date.isoformat(),
        cover_url=cover_url,
    )


def export_issue(
    issue: Issue,
    settings: Settings,
    out_dir: Path,
) -> ExportedIssue:
    """Write the article body, the phone preview, the cover and the images to ``out_dir``.

    ``article.html`` is the body exactly as it would be sent, its images pointing into
    ``images/`` (publishing swaps those for WeChat-hosted URLs).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    names: dict[Path, str] = {}

    def image_url(path: Path) -> str:
        if path not in names:
            stem, n = path.name, 1
            while stem in names.values():  # two images with one name: number the later one
                n += 1
                stem = f"{path.stem}-{n}{path.suffix}"
            names[path] = stem
        return f"images/{names[path]}"

    article = render_issue(issue, settings, image_url=image_url)
    problems = lint_article(article, publishing=False)
    (out_dir / "images").mkdir(exist_ok=True)
    files = {
        "article.html": article.html.encode("utf-8"),
        COVER_NAME: article.cover_jpeg,
        "preview.html": render_preview(
            issue, article, settings, cover_src=COVER_NAME, problems=problems
        ).encode("utf-8"),
    }
    files.update({f"images/{name}": path.read_bytes() for path, name in names.items()})
    written = []
    for name, data in files.items():
        target = out_dir / name
        target.write_bytes(data)
        written.append(target)
    return ExportedIssue(article=article, problems=problems, files=written)
