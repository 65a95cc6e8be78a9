"""The sandbox's AES and signature code against the official sample vector."""

from __future__ import annotations

import hashlib

import pytest

from wxbot.sandbox import crypto

# From WeChat's SDK samples (wechat-platform.md, "Follower callback").
SAMPLE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_APPID = "wxb11529c136998cb6"
SAMPLE_RANDOM = b"aaaabbbbccccdddd"
SAMPLE_PLAINTEXT = "我是中文abcd123"
SAMPLE_CIPHERTEXT = (
    "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
)


def test_encrypt_matches_the_official_sample() -> None:
    message = SAMPLE_PLAINTEXT.encode("utf-8")
    assert crypto.encrypt(SAMPLE_KEY, SAMPLE_APPID, message, SAMPLE_RANDOM) == SAMPLE_CIPHERTEXT


def test_decrypt_reads_the_official_sample() -> None:
    message, appid = crypto.decrypt(SAMPLE_KEY, SAMPLE_CIPHERTEXT)
    assert message.decode("utf-8") == SAMPLE_PLAINTEXT
    assert appid == SAMPLE_APPID


def test_random_prefix_changes_the_ciphertext_but_not_the_message() -> None:
    first = crypto.encrypt(SAMPLE_KEY, SAMPLE_APPID, b"<xml/>")
    second = crypto.encrypt(SAMPLE_KEY, SAMPLE_APPID, b"<xml/>")
    assert first != second
    assert crypto.decrypt(SAMPLE_KEY, first) == crypto.decrypt(SAMPLE_KEY, second)


def test_signature_is_sha1_of_the_sorted_parts() -> None:
    expected = hashlib.sha1("".join(sorted(["pamtest", "1409304348", "xxxxxx"])).encode())
    assert crypto.signature("pamtest", "1409304348", "xxxxxx") == expected.hexdigest()


def test_decrypt_with_the_wrong_key_fails() -> None:
    other_key = "B" * 43
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(other_key, SAMPLE_CIPHERTEXT)


@pytest.mark.parametrize("key", ["short", "a" * 44, "!" * 43])
def test_bad_encoding_aes_keys_are_refused(key: str) -> None:
    with pytest.raises(crypto.CryptoError):
        crypto.aes_key(key)
