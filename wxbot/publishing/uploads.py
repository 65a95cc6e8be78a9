"""Upload what an article needs, each file once: the cover and the body images.

A file is known by its SHA-256; one already uploaded is never sent again, so re-publishing an
unchanged issue uploads nothing. Each upload is recorded as soon as it succeeds, so a run that
fails half-way resumes with the files still missing.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..rendering.compliance import COVER_NAME
from ..rendering.cover_images import BAND_BOX, SQUARE_BOX, crop_fractions
from ..runtime import Runtime
from ..storage import publications as store
from ..wechat import WeChatApi, media
from ..wechat.drafts import crop

logger = logging.getLogger(__name__)

#: ``src`` of a local image until it is uploaded: the prefix and the file's SHA-256.
PLACEHOLDER = "wxbot-upload:"
_PLACEHOLDER_RE = re.compile(re.escape(PLACEHOLDER) + r"([0-9a-f]{64})")


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class ImagePlaceholders:
    """The renderer's ``image_url`` hook: a stand-in ``src`` per local image, by content."""

    def __init__(self) -> None:
        self.files: dict[str, Path] = {}

    def __call__(self, path: Path) -> str:
        """Return the placeholder of ``path`` (two paths with one content share it)."""
        digest = sha256(path.read_bytes())
        self.files.setdefault(digest, path)
        return PLACEHOLDER + digest

    def rewrite(self, body: str, urls: Mapping[str, str]) -> str:
        """Return ``body`` with every placeholder replaced by its WeChat URL."""
        return _PLACEHOLDER_RE.sub(lambda m: html.escape(urls[m.group(1)], quote=True), body)


@dataclass(frozen=True)
class Uploads:
    """Where the article's files are on WeChat, and how many had to be sent this time."""

    cover: store.MediaRow  # image material: the article's thumb_media_id, cropped twice
    image_urls: dict[str, str]  # sha256 → uploadimg URL
    uploaded: int
    reused: int


@dataclass(frozen=True)
class _Wanted:
    kind: str
    sha256: str
    data: bytes
    name: str


def upload_article_media(
    runtime: Runtime,
    api: WeChatApi,
    *,
    cover_jpeg: bytes,
    images: Mapping[str, Path],
) -> Uploads:
    """Upload the cover (as image material) and the body images WeChat does not hold yet."""
    wanted = [_Wanted("image", sha256(cover_jpeg), cover_jpeg, COVER_NAME)]
    for digest, path in images.items():
        wanted.append(_Wanted("uploadimg", digest, path.read_bytes(), path.name))
    known: dict[tuple[str, str], store.MediaRow] = {}
    with runtime.db.begin() as conn:
        for kind in ("image", "uploadimg"):
            digests = [w.sha256 for w in wanted if w.kind == kind]
            for digest, row in store.find_media(conn, api.account, kind, digests).items():
                known[(kind, digest)] = row
    uploaded = 0
    for item in wanted:
        if (item.kind, item.sha256) in known:
            continue
        row = _upload(api, item)
        with runtime.db.begin_write() as conn:  # reads, then writes: take the lock first
            store.record_media(conn, api.account, row, len(item.data), runtime.now())
        known[(item.kind, item.sha256)] = row
        uploaded += 1
        logger.info("uploaded %s %s (%d bytes)", item.kind, item.name, len(item.data))
    return Uploads(
        cover=known[("image", wanted[0].sha256)],
        image_urls={d: known[("uploadimg", d)].url for d in images},
        uploaded=uploaded,
        reused=len(wanted) - uploaded,
    )


def _upload(api: WeChatApi, item: _Wanted) -> store.MediaRow:
    if item.kind == "image":
        material = media.add_image(api, item.data, item.name)
        return store.MediaRow("image", item.sha256, material.media_id, material.url)
    url = media.upload_article_image(api, item.data, item.name)
    return store.MediaRow("uploadimg", item.sha256, "", url)


def cover_crops() -> tuple[str, str]:
    """Return ``(pic_crop_235_1, pic_crop_1_1)``: the cover's banner band and its square.

    https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html
    """
    return crop(*crop_fractions(BAND_BOX)), crop(*crop_fractions(SQUARE_BOX))
