"""Permanent materials and uploadimg: formats judged by bytes, size limits, images served back."""

from __future__ import annotations

import pytest
import requests

from wxbot.sandbox import SandboxServer
from wxbot.sandbox.testing import SandboxApi, image_bytes, image_of_exactly

#: https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
#: "图片（image）: 10M，支持bmp/png/jpeg/jpg/gif格式" and "缩略图（thumb）：64KB，支持JPG格式".
#: Where "10M" and "64KB" are cut is not documented: the sandbox refuses what either reading
#: would (above 10,000,000 and 64,000 bytes), so what it accepts, WeChat accepts.
NEAR_THE_LIMITS = [
    ("thumb", "JPEG", 64_000, None),
    ("thumb", "JPEG", 64_001, 40012),
    ("thumb", "JPEG", 65_459, 40012),  # the 2026-06-13 cover as wxbot once uploaded it
    ("thumb", "JPEG", 65_537, 40012),  # over 64 KB by either reading
    ("image", "JPEG", 65_459, None),  # the same cover as image material
    ("image", "PNG", 10_000_000, None),
    ("image", "PNG", 10_000_001, 40009),
]


@pytest.mark.parametrize(
    ("image_format", "errcode"),
    [("PNG", None), ("JPEG", None), ("GIF", None), ("BMP", None), ("WEBP", 40005)],
)
def test_image_material_formats(
    sandbox_api: SandboxApi, image_format: str, errcode: int | None
) -> None:
    answer = sandbox_api.upload(
        "material/add_material", image_bytes(image_format), "cover.png", type="image"
    )
    assert answer.get("errcode") == errcode
    if errcode is None:
        assert answer["media_id"] and answer["url"]


def test_image_material_up_to_ten_megabytes(sandbox_api: SandboxApi) -> None:
    big = image_bytes("BMP", (1900, 1900))  # uncompressed: about 10.8 MB
    assert len(big) > 10 * 1024 * 1024
    answer = sandbox_api.upload("material/add_material", big, "big.bmp", type="image")
    assert answer["errcode"] == 40009


@pytest.mark.parametrize(("kind", "image_format", "size", "errcode"), NEAR_THE_LIMITS)
def test_a_cover_near_each_documented_limit(
    sandbox_api: SandboxApi, kind: str, image_format: str, size: int, errcode: int | None
) -> None:
    data = image_of_exactly(image_format, size)
    answer = sandbox_api.upload("material/add_material", data, "cover.jpg", type=kind)
    assert answer.get("errcode") == errcode, answer
    assert ("media_id" in answer) == (errcode is None)


def test_thumb_must_be_a_jpeg_whatever_its_name(sandbox_api: SandboxApi) -> None:
    png_named_jpg = sandbox_api.upload(
        "material/add_material", image_bytes("PNG"), "cover.jpg", type="thumb"
    )
    assert png_named_jpg["errcode"] == 40005
    jpeg_named_png = sandbox_api.upload(
        "material/add_material", image_bytes("JPEG"), "cover.png", type="thumb"
    )
    assert "media_id" in jpeg_named_png


def test_thumb_at_most_64_kilobytes(sandbox_api: SandboxApi) -> None:
    noisy = image_bytes("JPEG", (400, 400), noise=True)
    assert len(noisy) > 64 * 1024
    answer = sandbox_api.upload("material/add_material", noisy, type="thumb")
    assert answer["errcode"] == 40012


def test_material_needs_the_media_field_and_a_known_type(sandbox_api: SandboxApi) -> None:
    missing = sandbox_api.post("material/add_material", params={"type": "image"})
    assert missing["errcode"] == 41005
    voice = sandbox_api.upload("material/add_material", image_bytes(), type="voice")
    assert voice["errcode"] == 40004


def test_material_is_served_back_at_its_url(sandbox_api: SandboxApi) -> None:
    data = image_bytes("PNG")
    answer = sandbox_api.upload("material/add_material", data, "cover.png", type="image")
    served = requests.get(answer["url"], timeout=5)
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["Content-Type"] == "image/png"


def test_uploadimg_answers_text_plain_json_with_a_served_url(sandbox_api: SandboxApi) -> None:
    data = image_bytes("JPEG")
    response = sandbox_api.request(
        "media/uploadimg", files={"media": ("photo.jpg", data, "image/jpeg")}
    )
    assert response.headers["Content-Type"].startswith("text/plain")
    url = response.json()["url"]
    assert requests.get(url, timeout=5).content == data


@pytest.mark.parametrize(
    ("image_format", "size", "noise", "errcode"),
    [
        ("PNG", (64, 64), False, None),
        ("GIF", (64, 64), False, 40005),
        ("BMP", (64, 64), False, 40005),
        ("PNG", (700, 700), True, 40009),  # about 1.5 MB
    ],
)
def test_uploadimg_takes_jpg_or_png_under_one_megabyte(
    sandbox_api: SandboxApi,
    image_format: str,
    size: tuple[int, int],
    noise: bool,
    errcode: int | None,
) -> None:
    data = image_bytes(image_format, size, noise=noise)
    response = sandbox_api.request(
        "media/uploadimg", files={"media": ("photo.png", data, "image/png")}
    )
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.json().get("errcode") == errcode


def test_uploads_are_recorded(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    sandbox_api.thumb()
    sandbox_api.upload("media/uploadimg", image_bytes())
    assert [m.kind for m in sandbox.state.uploads()] == ["thumb", "uploadimg"]
