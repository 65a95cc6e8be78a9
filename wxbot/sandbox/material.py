"""``material/add_material`` (permanent image and thumb) and ``media/uploadimg`` (article images).

https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
Formats are judged from the bytes, never from the file name.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from . import limits
from .protocol import TEXT_CONTENT_TYPE, ApiError, Call, Reply, Upload
from .state import Material

if TYPE_CHECKING:
    from .account import Account

logger = logging.getLogger(__name__)

#: File extension the sandbox serves each format under.
EXTENSIONS = {"jpeg": "jpg", "png": "png", "gif": "gif", "bmp": "bmp"}
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "bmp": "image/bmp"}


def sniff_image_format(data: bytes) -> str | None:
    """Return ``jpeg``, ``png``, ``gif`` or ``bmp`` from the magic bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"BM") and len(data) > 26:
        return "bmp"
    return None


def add_material(account: Account, call: Call) -> Reply:
    """Store a permanent image (≤ 10 MB, bmp/png/jpeg/gif) or thumb (≤ 64 KB, JPEG)."""
    kind = call.query.get("type", "")
    if kind not in ("image", "thumb"):
        raise ApiError(40004, "the sandbox simulates image and thumb materials only")
    upload = _media(call)
    image_format = sniff_image_format(upload.data)
    if kind == "image":
        if image_format not in limits.IMAGE_MATERIAL_FORMATS:
            raise ApiError(40005, "image must be bmp, png, jpeg or gif")
        if len(upload.data) > limits.IMAGE_MATERIAL_MAX_BYTES:
            raise ApiError(40009, "image larger than 10 MB")
    else:
        if image_format not in limits.THUMB_MATERIAL_FORMATS:
            raise ApiError(40005, "thumb must be a JPG")
        if len(upload.data) > limits.THUMB_MATERIAL_MAX_BYTES:
            raise ApiError(40012, "thumb larger than 64 KB")
    assert image_format is not None
    material = _store(account, kind, image_format, upload)
    return Reply({"media_id": material.media_id, "url": material.url})


def upload_image(account: Account, call: Call) -> Reply:
    """Store a picture for article bodies (jpg/png, < 1 MB) and answer its URL as text/plain."""
    try:
        upload = _media(call)
        image_format = sniff_image_format(upload.data)
        if image_format not in limits.UPLOADIMG_FORMATS:
            raise ApiError(40005, "uploadimg takes jpg or png only")
        if len(upload.data) >= limits.UPLOADIMG_MAX_BYTES:
            raise ApiError(40009, "uploadimg must be smaller than 1 MB")
    except ApiError as exc:
        return Reply(exc.body(), content_type=TEXT_CONTENT_TYPE)
    material = _store(account, "uploadimg", image_format, upload)
    return Reply({"url": material.url}, content_type=TEXT_CONTENT_TYPE)


def _media(call: Call) -> Upload:
    upload = call.files.get("media")
    if upload is None:
        raise ApiError(41005)
    if not upload.data:
        raise ApiError(41005, "empty file")
    return upload


def _store(account: Account, kind: str, image_format: str, upload: Upload) -> Material:
    media_id = account.state.new_id(43)
    url = f"{account.public_base()}/mmbiz/{media_id}.{EXTENSIONS[image_format]}"
    material = Material(
        media_id=media_id,
        kind=kind,
        image_format=image_format,
        data=upload.data,
        filename=upload.filename,
        url=url,
        created_at=account.now(),
    )
    account.state.materials[media_id] = material
    logger.debug("stored %s %s (%d bytes)", kind, upload.filename, len(upload.data))
    return material


def find_by_filename(account: Account, name: str) -> Material | None:
    """Return the stored picture served as ``/mmbiz/<name>``, if any."""
    media_id, _, _ = name.rpartition(".")
    return account.state.materials.get(media_id or name)
