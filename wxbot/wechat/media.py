"""Images to WeChat: permanent image and thumb material, and pictures for article bodies.

https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
Every rule is checked before the call, so a file WeChat would refuse costs no API quota.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..platform_limits import CONTENT_IMAGE_MAX_BYTES, THUMB_MAX_BYTES, image_format
from .client import WeChatApi
from .errors import MediaRejected, WeChatNetworkError
from .limits import IMAGE_MATERIAL_FORMATS, IMAGE_MATERIAL_MAX_BYTES, THUMB_MATERIAL_FORMATS

#: ``media/uploadimg`` takes these formats (platform_limits says jpg/png).
UPLOADIMG_FORMATS = ("jpeg", "png")

_EXTENSIONS = {"jpeg": "jpg", "png": "png", "gif": "gif", "bmp": "bmp"}


@dataclass(frozen=True)
class Material:
    """A permanent material: its media_id, and its URL when WeChat gives one."""

    media_id: str
    url: str


def check_thumb(data: bytes, name: str = "thumb") -> None:
    """Raise :class:`MediaRejected` unless ``data`` is a JPG of at most 64 KB (64,000 bytes)."""
    _check(data, name, "thumb material", THUMB_MATERIAL_FORMATS, THUMB_MAX_BYTES, inclusive=True)


def check_image(data: bytes, name: str = "image") -> None:
    """Raise :class:`MediaRejected` unless ``data`` fits permanent image material."""
    _check(
        data, name, "image material", IMAGE_MATERIAL_FORMATS, IMAGE_MATERIAL_MAX_BYTES,
        inclusive=True,
    )  # fmt: skip


def check_article_image(data: bytes, name: str = "image") -> None:
    """Raise :class:`MediaRejected` unless ``data`` is a jpg/png below 1 MB (uploadimg)."""
    _check(data, name, "uploadimg", UPLOADIMG_FORMATS, CONTENT_IMAGE_MAX_BYTES, inclusive=False)


def add_thumb(api: WeChatApi, data: bytes, name: str = "thumb.jpg") -> Material:
    """Upload a permanent thumb (``material/add_material?type=thumb``): JPG, at most 64 KB.

    https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
    """
    check_thumb(data, name)
    return _add_material(api, "thumb", data, name)


def add_image(api: WeChatApi, data: bytes, name: str = "image.jpg") -> Material:
    """Upload a permanent image (``material/add_material?type=image``): at most 10 MB.

    https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
    """
    check_image(data, name)
    return _add_material(api, "image", data, name)


def upload_article_image(api: WeChatApi, data: bytes, name: str = "image.png") -> str:
    """Upload a picture for article bodies (``media/uploadimg``) and return its WeChat URL.

    Repeating it only yields a second URL (these pictures count against no limit).
    https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
    """
    check_article_image(data, name)
    api_name = "media/uploadimg"
    answer = api.call(
        api_name,
        lambda c: c.post(api_name, files={"media": (_filename(name, data), data)}),
        idempotent=True,
    )
    if not isinstance(answer, dict) or not answer.get("url"):
        raise WeChatNetworkError(api_name, "the answer carried no url")
    return str(answer["url"])


def _add_material(api: WeChatApi, kind: str, data: bytes, name: str) -> Material:
    # A repeat after a lost answer leaves one unused material of the 100,000 allowed: safe.
    answer = api.call(
        "material/add_material",
        lambda c: c.material.add(kind, (_filename(name, data), data)),
        idempotent=True,
    )
    if not isinstance(answer, dict) or not answer.get("media_id"):
        raise WeChatNetworkError("material/add_material", "the answer carried no media_id")
    return Material(str(answer["media_id"]), str(answer.get("url", "")))


def _filename(name: str, data: bytes) -> str:
    """Return ``name`` with the extension of its real format (WeChat reads the name too)."""
    found = image_format(data)
    stem = name.rsplit(".", 1)[0] or "image"
    return f"{stem}.{_EXTENSIONS[found]}" if found else name


def _check(
    data: bytes,
    name: str,
    kind: str,
    formats: tuple[str, ...],
    max_bytes: int,
    *,
    inclusive: bool,
) -> None:
    found = image_format(data)
    if found not in formats:
        raise MediaRejected(
            f"{name}: WeChat's {kind} takes {'/'.join(formats)}, not {found or 'this file'}"
        )
    too_big = len(data) > max_bytes if inclusive else len(data) >= max_bytes
    if too_big:
        bound = "at most" if inclusive else "less than"
        raise MediaRejected(
            f"{name}: {len(data):,} bytes; WeChat's {kind} takes {bound} {max_bytes:,} "
            f"({_size(max_bytes)})"
        )


def _size(n: int) -> str:
    """Return ``n`` bytes as the docs write it: 10 MB, 64 KB, 1 MB (decimal or binary)."""
    for unit, name in ((1_000_000, "MB"), (1024 * 1024, "MB"), (1000, "KB"), (1024, "KB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit} {name}"
    return f"{n:,} bytes"
