"""WeChat's limits on articles and images: one constant each, with the page it comes from.

When the live platform and these numbers disagree, the platform wins: change them here.
"""

from __future__ import annotations

#: Article title, in characters.
#: https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html
#: (error 45003 "title size out of limit"; older libraries say 64: WeChat enforces 32).
TITLE_MAX_CHARS = 32

#: Article author, in characters.
#: https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html
AUTHOR_MAX_CHARS = 16

#: Article digest (single-article drafts only), in characters.
#: https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html
DIGEST_MAX_CHARS = 128

#: The article fields WeChat limits in characters, and their limits.
FIELD_MAX_CHARS = {"title": TITLE_MAX_CHARS, "author": AUTHOR_MAX_CHARS, "digest": DIGEST_MAX_CHARS}


def field_characters(text: str) -> int:
    """Return a title's, author's or digest's length as WeChat counts it: in characters.

    Lint, publishing, the preview and the console's counters all give this one number (the
    console's script counts code points as Python does).
    """
    return len(text)


#: Article content must be *fewer* than this many characters, tags and attributes included.
#: https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html ("必须少于2万字符")
CONTENT_MAX_CHARS = 20_000

#: Article content must be *smaller* than this many bytes (1 MB).
#: https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html ("小于1M")
CONTENT_MAX_BYTES = 1024 * 1024

#: Permanent image material (``type=image``): "10M，支持bmp/png/jpeg/jpg/gif格式" (older docs say
#: 2 MB). A draft's cover (``thumb_media_id``) may be image or thumb material. Where "10M" is
#: cut is not documented: wxbot keeps to the stricter reading, 10,000,000 bytes.
#: https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
IMAGE_MATERIAL_MAX_BYTES = 10_000_000
IMAGE_MATERIAL_FORMATS = ("bmp", "png", "jpeg", "gif")

#: Thumb material (``type=thumb``): "64KB，支持JPG格式". Where "64KB" is cut (64,000 or 65,536) is
#: not documented: wxbot keeps to the stricter reading, and uploads its cover as image material.
#: https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
THUMB_MAX_BYTES = 64_000

#: Image for use inside article content (``media/uploadimg``): jpg/png below 1 MB.
#: https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
CONTENT_IMAGE_MAX_BYTES = 1024 * 1024

#: Image formats ``media/uploadimg`` accepts.
#: https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
CONTENT_IMAGE_FORMATS = ("jpg", "png")

#: Hosts of WeChat-hosted images; the editor filters out images from any other host.
#: https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
#: (uploadimg answers with ``http(s)://mmbiz.qpic.cn/...``; avatars use mmbiz.qlogo.cn).
ALLOWED_IMAGE_HOSTS = ("mmbiz.qpic.cn", "mmbiz.qlogo.cn")

#: The only host body links may point to (official-account articles); any other gives 45166.
#: https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html
ALLOWED_LINK_HOSTS = ("mp.weixin.qq.com",)

#: Cover aspect ratios WeChat crops to (``pic_crop_235_1`` head card, ``pic_crop_1_1`` square).
#: https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html
COVER_RATIO = 2.35
SQUARE_RATIO = 1.0


def image_format(data: bytes) -> str | None:
    """Return ``jpeg``, ``png``, ``gif`` or ``bmp`` judged from the bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    return None
