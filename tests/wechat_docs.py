"""WeChat's callback signature and message encryption as the documentation states them.

Written from the docs alone — 消息加解密说明 (接入指引 and 技术方案),
https://developers.weixin.qq.com/doc/subscription/guide/dev/push/encryption.html, summarised
in shared/wechat-platform.md, "Follower callback" — not from wxbot's or the sandbox's code,
so a test that checks what the sandbox sends with these checks it against WeChat's rules
rather than against itself.
"""

from __future__ import annotations

import base64
import hashlib
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def documented_signature(*parts: str) -> str:
    """Return sha1 of the sorted parts joined: ``signature`` and ``msg_signature``."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def documented_decrypt(encoding_aes_key: str, ciphertext: str) -> tuple[str, str]:
    """Return ``(message, appid)`` of an ``Encrypt`` value.

    AES-256-CBC with key base64(EncodingAESKey + "=") and IV its first 16 bytes, PKCS#7
    padding to 32-byte blocks; plaintext = 16 random bytes, a 4-byte big-endian length,
    the message, the appid.
    """
    key = base64.b64decode(encoding_aes_key + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(ciphertext)) + decryptor.finalize()
    plain = plain[: -plain[-1]]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length].decode("utf-8"), plain[20 + length :].decode("utf-8")
