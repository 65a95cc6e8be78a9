"""WeChat's callback signature and AES message encryption, written from the documented algorithm.

https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
AES key = base64decode(EncodingAESKey + "="); AES-256-CBC with IV = key[:16]; PKCS#7 padding to
32-byte blocks; plaintext = 16 random bytes + 4-byte big-endian length + message + appid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .limits import AES_BLOCK_BYTES, AES_RANDOM_BYTES, ENCODING_AES_KEY_CHARS


class CryptoError(ValueError):
    """A key, ciphertext or padding is not what the algorithm expects."""


def signature(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    """Return sha1 of the sorted, joined ``token``, ``timestamp``, ``nonce`` (and ``Encrypt``)."""
    parts = sorted([token, timestamp, nonce, *extra])
    return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()


def aes_key(encoding_aes_key: str) -> bytes:
    """Return the 32-byte AES key an EncodingAESKey stands for."""
    if len(encoding_aes_key) != ENCODING_AES_KEY_CHARS:
        raise CryptoError(f"EncodingAESKey must be {ENCODING_AES_KEY_CHARS} characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=")
    except binascii.Error as exc:
        raise CryptoError(f"EncodingAESKey is not base64: {exc}") from None
    if len(key) != 32:
        raise CryptoError("EncodingAESKey does not decode to 32 bytes")
    return key


def encrypt(
    encoding_aes_key: str, appid: str, message: bytes, random_bytes: bytes | None = None
) -> str:
    """Return the base64 ciphertext of ``message`` for ``appid``, as WeChat puts in ``Encrypt``."""
    random_bytes = os.urandom(AES_RANDOM_BYTES) if random_bytes is None else random_bytes
    if len(random_bytes) != AES_RANDOM_BYTES:
        raise CryptoError(f"the random prefix must be {AES_RANDOM_BYTES} bytes")
    plain = random_bytes + struct.pack(">I", len(message)) + message + appid.encode("utf-8")
    pad = AES_BLOCK_BYTES - len(plain) % AES_BLOCK_BYTES
    plain += bytes([pad]) * pad
    key = aes_key(encoding_aes_key)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def decrypt(encoding_aes_key: str, ciphertext: str) -> tuple[bytes, str]:
    """Return ``(message, appid)`` from a base64 ``Encrypt`` value."""
    key = aes_key(encoding_aes_key)
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except binascii.Error as exc:
        raise CryptoError(f"ciphertext is not base64: {exc}") from None
    if not raw or len(raw) % 16:
        raise CryptoError("ciphertext is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(raw) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= AES_BLOCK_BYTES or plain[-pad:] != bytes([pad]) * pad:
        raise CryptoError("bad PKCS#7 padding")
    plain = plain[:-pad]
    (length,) = struct.unpack(">I", plain[AES_RANDOM_BYTES : AES_RANDOM_BYTES + 4])
    start = AES_RANDOM_BYTES + 4
    if start + length > len(plain):
        raise CryptoError("message length runs past the plaintext")
    return plain[start : start + length], plain[start + length :].decode("utf-8")
