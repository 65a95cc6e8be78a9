"""`wxbot render` and `wxbot lint`: what an editor runs before an issue goes out."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from PIL import Image

from wxbot.archive import get_issue, ingest_paths
from wxbot.rendering import render_issue
from wxbot.rendering.cover_images import make_cover
from wxbot.resources import assets_dir, sample_issues
from wxbot.runtime import Runtime

RunCli = Callable[..., Result]


def test_render_writes_the_body_the_preview_and_the_cover(
    archive: Runtime, run_cli: RunCli, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run_cli("render", "2026-06-13", "--out", str(out))
    assert result.exit_code == 0, result.output

    issue = get_issue(archive, "2026-06-13")
    expected = render_issue(issue, archive.settings, image_url=lambda p: f"images/{p.name}")
    assert (out / "article.html").read_text(encoding="utf-8") == expected.html
    assert (out / "cover.jpg").read_bytes() == make_cover(issue, archive.settings)
    assert not (out / "thumb.jpg").exists()
    assert Image.open(io.BytesIO((out / "cover.jpg").read_bytes())).size == (940, 500)
    for name in ("qr-account.png", "qr-website.png"):
        assert (out / "images" / name).read_bytes() == (assets_dir() / "brand" / name).read_bytes()
    preview = (out / "preview.html").read_text(encoding="utf-8")
    assert expected.html in preview
    assert preview.count('src="cover.jpg"') == 2 and "thumb.jpg" not in preview
    assert "合规检查通过" in preview
    for name in ("article.html", "preview.html", "cover.jpg"):
        assert f"wrote {out / name} (" in result.output


def test_render_with_another_theme(archive: Runtime, run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("render", "2026-06-25", "--out", str(tmp_path), "--theme", "neutral")
    assert result.exit_code == 0, result.output
    assert "#1F4E9D" not in (tmp_path / "article.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", [["render", "--out", "x"], ["lint"]])
def test_unknown_issue_is_a_clear_error(
    archive: Runtime, run_cli: RunCli, command: list[str]
) -> None:
    result = run_cli(command[0], "2025-01-01", *command[1:])
    assert result.exit_code == 1
    assert "no issue '2025-01-01' in the archive" in result.output


@pytest.mark.parametrize("issue_id", ["2026-06-13", "2026-06-25"])
def test_lint_passes_the_samples(archive: Runtime, run_cli: RunCli, issue_id: str) -> None:
    result = run_cli("lint", issue_id)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{issue_id}: ok — ")
    cover = make_cover(get_issue(archive, issue_id), archive.settings)  # exactly what is uploaded
    assert f"cover.jpg {len(cover):,} bytes" in result.output


def test_lint_fails_an_issue_too_long_for_wechat(
    runtime: Runtime, run_cli: RunCli, tmp_path: Path
) -> None:
    text = sample_issues()[0].read_text(encoding="utf-8")
    paragraph = next(line for line in text.splitlines() if line.startswith("国家数据局 6 月 8 日"))
    long_issue = tmp_path / "2026-06-13.txt"
    long_issue.write_text(text.replace(paragraph, "".join([paragraph] * 80)), encoding="utf-8")
    assert [r.status for r in ingest_paths(runtime, [long_issue])] == ["added"]

    result = run_cli("lint", "2026-06-13")
    assert result.exit_code == 1
    assert "2026-06-13: content is " in result.output
    assert (
        "characters counting tags and attributes; WeChat needs fewer than 20,000" in result.output
    )


def test_an_unknown_theme_lists_the_available_ones(archive: Runtime, run_cli: RunCli) -> None:
    result = run_cli("lint", "2026-06-13", "--theme", "pink")
    assert result.exit_code == 1
    assert "render.theme: no theme 'pink' (available: blue, neutral)" in result.output
