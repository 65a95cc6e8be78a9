"""Prepare an issue's draft: render, lint, upload, ``draft/add`` or ``draft/update``, previews.

Every step is recorded; an unchanged issue whose draft is in the box costs no API call at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from ..archive import get_issue
from ..config.accounts import DEFAULT_ACCOUNT
from ..model import Issue
from ..platform_limits import ALLOWED_IMAGE_HOSTS
from ..rendering import render_issue
from ..rendering.compliance import (
    COVER_NAME,
    ComplianceError,
    Problem,
    content_characters,
    lint_article,
    lint_content,
)
from ..runtime import Runtime
from ..states import DraftState, RunStatus
from ..storage import publications as store
from ..wechat import MediaRejected, WeChatApi, WeChatError, mass_send, media
from ..wechat.drafts import DraftArticle, add_draft, update_draft
from ..wechat.errors import INVALID_MEDIA_ID
from .records import PreparedDraft, RunLog, run_log
from .uploads import ImagePlaceholders, cover_crops, sha256, upload_article_media


@dataclass(frozen=True)
class PreviewTarget:
    """One phone a preview goes to: a follower's openid, or a WeChat ID."""

    openid: str = ""
    wxname: str = ""

    @property
    def key(self) -> str:
        """Return how records name the recipient."""
        return self.openid or f"wxname:{self.wxname}"


def preview_targets(openids: Sequence[str] = (), wxname: str | None = None) -> list[PreviewTarget]:
    """Return the preview recipients, each once."""
    targets = [PreviewTarget(openid=o) for o in dict.fromkeys(openids) if o]
    if wxname:
        targets.append(PreviewTarget(wxname=wxname))
    return targets


def default_preview_openids(runtime: Runtime) -> tuple[str, ...]:
    """Return who previews a mass send unless told otherwise: ``[publish] preview_openids``.

    An openid names a follower of one account only, so they are the default account's; the
    other accounts preview on nobody by default (``--preview-wxname`` reaches a WeChat ID
    through any account).
    """
    if runtime.account != DEFAULT_ACCOUNT:
        return ()
    return tuple(runtime.settings.publish.preview_openids)


def prepare_issue(
    runtime: Runtime,
    issue_id: str,
    *,
    preview_openids: Sequence[str] = (),
    preview_wxname: str | None = None,
) -> PreparedDraft:
    """Make sure the issue's current version is its draft in the box, and send previews.

    Idempotent: an unchanged issue with its draft in the box makes no call (previews go once
    per recipient and draft version).
    :raises IssueNotFound: for an unknown issue.
    :raises ComplianceError: when WeChat would strip or reject the article.
    :raises WeChatError, WeChatNetworkError: when a call fails, its errcode explained.
    """
    issue = get_issue(runtime, issue_id)
    api = WeChatApi(runtime)
    with run_log(runtime, issue_id, "prepare") as run:
        prepared = prepare_draft(
            runtime, api, run, issue, recipients=preview_targets(preview_openids, preview_wxname)
        )
        run.finish(RunStatus.DONE, f"draft {prepared.action}: version {prepared.version}")
    return prepared


def prepare_draft(
    runtime: Runtime,
    api: WeChatApi,
    run: RunLog,
    issue: Issue,
    *,
    recipients: Sequence[PreviewTarget] = (),
    keep_consumed: bool = False,
) -> PreparedDraft:
    """Run render → lint → upload → draft → preview within ``run``.

    :param keep_consumed: when the unchanged article's draft was already freely published,
        report ``published`` instead of making a new draft.
    """
    placeholders = ImagePlaceholders()
    with run.step("render") as step:
        article = render_issue(issue, runtime.settings, image_url=placeholders)
        step.detail = (
            f"{article.title} — {content_characters(article.html):,} characters counting tags, "
            f"{len(placeholders.files)} images, {COVER_NAME} {len(article.cover_jpeg):,} bytes"
        )
    with run.step("lint") as step:
        problems = lint_article(article, publishing=False) + _media_problems(placeholders)
        if problems:
            raise ComplianceError(problems)
        step.detail = "no problems"
    with run.step("upload") as step:
        uploads = upload_article_media(
            runtime, api, cover_jpeg=article.cover_jpeg, images=placeholders.files
        )
        body = placeholders.rewrite(article.html, uploads.image_urls)
        problems = lint_content(body, publishing=True, allowed_image_hosts=_image_hosts(api))
        if problems:
            raise ComplianceError(problems)
        files = uploads.uploaded + uploads.reused
        if uploads.uploaded:
            step.detail = (
                f"{files} files: {uploads.uploaded} uploaded, {uploads.reused} already on WeChat"
            )
        else:
            step.skip(f"{files} files, all already on WeChat")
    pic_crop_235_1, pic_crop_1_1 = cover_crops()
    draft_article = DraftArticle(
        title=article.title,
        author=article.author,
        digest=article.digest,
        content=body,
        thumb_media_id=uploads.cover.media_id,
        content_source_url=runtime.settings.publish.content_source_url,
        pic_crop_235_1=pic_crop_235_1,
        pic_crop_1_1=pic_crop_1_1,
    )
    payload = json.dumps(draft_article.payload(), sort_keys=True, ensure_ascii=False)
    digest = sha256(payload.encode("utf-8"))
    with run.step("draft") as step:
        draft, action = _save_draft(runtime, api, issue.id, draft_article, digest, keep_consumed)
        text = f"{action}: {draft.media_id} (version {draft.version})"
        if action in ("added", "updated"):
            step.detail = text
        else:
            step.skip(text)
    previews: tuple[str, ...] = ()
    if draft.state.in_box:  # a consumed draft can no longer be previewed
        previews = send_previews(runtime, api, run, draft, recipients)
    return PreparedDraft(
        issue_id=issue.id, media_id=draft.media_id, version=draft.version, title=draft.title,
        action=action, uploaded=uploads.uploaded, reused=uploads.reused, previews=previews,
        content_sha256=digest,
    )  # fmt: skip


def _save_draft(
    runtime: Runtime,
    api: WeChatApi,
    issue_id: str,
    article: DraftArticle,
    digest: str,
    keep_consumed: bool,
) -> tuple[store.DraftRow, str]:
    with runtime.db.begin() as conn:
        existing = store.get_draft(conn, api.account, issue_id)
    if existing is not None and existing.content_sha256 == digest:
        if existing.state.in_box:
            return existing, "unchanged"
        if keep_consumed and existing.state is DraftState.PUBLISHED:
            return existing, existing.state
    version = existing.version + 1 if existing is not None else 1
    now = runtime.now()
    draft: store.DraftRow | None = None
    if existing is not None and existing.state.in_box:
        try:
            update_draft(api, existing.media_id, article)
            draft = replace(
                existing, version=version, content_sha256=digest, title=article.title,
                updated_at=now,
            )  # fmt: skip
            action = "updated"
        except WeChatError as exc:
            if exc.errcode != INVALID_MEDIA_ID:
                raise
    if draft is None:  # none yet, or WeChat consumed or lost the last one
        media_id = add_draft(api, article)
        draft = store.DraftRow(
            issue_id, media_id, version, digest, article.title, DraftState.LIVE, now
        )
        action = "added"
    with runtime.db.begin() as conn:
        store.save_draft(conn, api.account, draft, now)
    return draft, action


def send_previews(
    runtime: Runtime,
    api: WeChatApi,
    run: RunLog,
    draft: store.DraftRow,
    recipients: Sequence[PreviewTarget],
) -> tuple[str, ...]:
    """Send a preview of the draft to each recipient that has not had this version yet."""
    if not recipients:
        return ()
    with runtime.db.begin() as conn:
        done = store.previewed(conn, api.account, draft.media_id, draft.version)
    sent: list[str] = []
    with run.step("preview") as step:
        for target in recipients:
            if target.key in done:
                continue
            msg_id = mass_send.preview(
                api, draft.media_id, openid=target.openid, wxname=target.wxname
            )
            with runtime.db.begin() as conn:
                store.record_preview(
                    conn, api.account, issue_id=draft.issue_id, draft=draft,
                    recipient=target.key, msg_id=msg_id, now=runtime.now(),
                )  # fmt: skip
            sent.append(target.key)
        if sent:
            step.detail = f"sent to {', '.join(sent)}"
        else:
            step.skip(f"version {draft.version} already previewed by every recipient")
    return tuple(sent)


def _media_problems(placeholders: ImagePlaceholders) -> list[Problem]:
    """Return what WeChat's upload rules refuse, found before any upload."""
    problems = []  # the cover is linted with the article, by the name it is uploaded under
    for path in placeholders.files.values():
        try:
            media.check_article_image(path.read_bytes(), str(path))
        except MediaRejected as exc:
            problems.append(Problem("content", str(exc)))
    return problems


def _image_hosts(api: WeChatApi) -> tuple[str, ...]:
    """Return the hosts of WeChat's images, and of the configured API (the sandbox's)."""
    host = urlsplit(api.base_url).hostname or ""
    return (*ALLOWED_IMAGE_HOSTS, host) if host else ALLOWED_IMAGE_HOSTS
