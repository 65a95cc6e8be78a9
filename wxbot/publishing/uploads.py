"""Upload what an article needs, each file once: the cover, the square thumb, body images.

A file is known by its SHA-256; one already uploaded is never sent again, so re-publishing an
unchanged issue uploads nothing. Each upload is recorded as soon as it succeeds, so a run that
fails half-way resumes with the files still missing.
"""

from __future__ import annotations

import hashlib
import html
import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

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

    cover: store.MediaRow  # thumb material: the article's thumb_media_id
    square: store.MediaRow  # image material of the square thumb (has a WeChat-hosted URL)
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
    thumb_jpeg: bytes,
    images: Mapping[str, Path],
) -> Uploads:
    """Upload the cover, the square thumb and the body images that WeChat does not hold yet."""
    wanted = [
        _Wanted("thumb", sha256(cover_jpeg), cover_jpeg, "cover.jpg"),
        _Wanted("image", sha256(thumb_jpeg), thumb_jpeg, "thumb.jpg"),
    ]
    for digest, path in images.items():
        wanted.append(_Wanted("uploadimg", digest, path.read_bytes(), path.name))
    known: dict[tuple[str, str], store.MediaRow] = {}
    with runtime.db.begin() as conn:
        for kind in ("thumb", "image", "uploadimg"):
            digests = [w.sha256 for w in wanted if w.kind == kind]
            for digest, row in store.find_media(conn, api.account, kind, digests).items():
                known[(kind, digest)] = row
    uploaded = 0
    for item in wanted:
        if (item.kind, item.sha256) in known:
            continue
        row = _upload(api, item)
        with runtime.db.begin() as conn:
            store.record_media(conn, api.account, row, len(item.data), runtime.now())
        known[(item.kind, item.sha256)] = row
        uploaded += 1
        logger.info("uploaded %s %s (%d bytes)", item.kind, item.name, len(item.data))
    return Uploads(
        cover=known[("thumb", wanted[0].sha256)],
        square=known[("image", wanted[1].sha256)],
        image_urls={d: known[("uploadimg", d)].url for d in images},
        uploaded=uploaded,
        reused=len(wanted) - uploaded,
    )


def _upload(api: WeChatApi, item: _Wanted) -> store.MediaRow:
    if item.kind == "thumb":
        material = media.add_thumb(api, item.data, item.name)
        return store.MediaRow("thumb", item.sha256, material.media_id, material.url)
    if item.kind == "image":
        material = media.add_image(api, item.data, item.name)
        return store.MediaRow("image", item.sha256, material.media_id, material.url)
    url = media.upload_article_image(api, item.data, item.name)
    return store.MediaRow("uploadimg", item.sha256, "", url)


def cover_crops(cover_jpeg: bytes) -> tuple[str, str]:
    """Return ``(pic_crop_235_1, pic_crop_1_1)``: the largest centred 2.35:1 and square crops."""
    with Image.open(io.BytesIO(cover_jpeg)) as image:
        width, height = image.size
    return _centred(width, height, 2.35), _centred(width, height, 1.0)


def _centred(width: int, height: int, ratio: float) -> str:
    if abs(width / height - ratio) <= ratio * 0.01:  # 900×383 is 2.35:1 to the pixel
        return crop(0, 0, 1, 1)
    if width / height > ratio:  # too wide: trim the sides
        keep = height * ratio / width
        return crop((1 - keep) / 2, 0, (1 + keep) / 2, 1)
    keep = width / ratio / height
    return crop(0, (1 - keep) / 2, 1, (1 + keep) / 2)
