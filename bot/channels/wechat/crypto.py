"""WeChat Official Account message signatures and "safe mode" encryption (AES-256-CBC with the EncodingAESKey).

The scheme of Tencent's WXBizMsgCrypt samples: the key is the 43-character EncodingAESKey base64-decoded (with a
trailing "="), the IV is its first 16 bytes, padding is PKCS#7 to 32 bytes, and the plaintext is
16 random bytes + the message length (4 bytes, big-endian) + the message + the AppID. Signatures are the SHA-1 of
the sorted parameters joined. Depends only on the standard library and `cryptography`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class WeChatCryptoError(Exception):
    """A signature that does not match, a key that is not one, or a message that does not decrypt."""


def signature(*parts: str) -> str:
    """SHA-1 of the sorted parts joined: `signature` (token, timestamp, nonce) or `msg_signature` (plus Encrypt)."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(expected: str, *parts: str) -> bool:
    """True when `expected` is the signature of the parts (compared in constant time)."""
    return hmac.compare_digest(signature(*parts), (expected or "").lower())


class MessageCrypto:
    """Encrypts replies and decrypts messages of one Official Account."""

    def __init__(self, token: str, encoding_aes_key: str, appid: str) -> None:
        if len(encoding_aes_key) != 43:
            raise WeChatCryptoError("EncodingAESKey must have 43 characters")
        try:
            self.key = base64.b64decode(encoding_aes_key + "=")
        except binascii.Error as exc:
            raise WeChatCryptoError(f"EncodingAESKey is not base64: {exc}") from None
        self.token = token
        self.appid = appid

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, message: str, random16: bytes | None = None) -> str:
        """The base64 ciphertext of a message (random16 only for test vectors)."""
        body = message.encode("utf-8")
        plain = (random16 or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.appid.encode("utf-8")
        pad = BLOCK - len(plain) % BLOCK
        encryptor = self._cipher().encryptor()
        data = encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()
        return base64.b64encode(data).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """The message inside a base64 ciphertext, checked against this account's AppID."""
        try:
            data = base64.b64decode(encrypted, validate=True)
            decryptor = self._cipher().decryptor()
            plain = decryptor.update(data) + decryptor.finalize()
        except (binascii.Error, ValueError) as exc:
            raise WeChatCryptoError(f"the message does not decrypt: {exc}") from None
        pad = plain[-1] if plain else 0
        if not 1 <= pad <= BLOCK or len(plain) < 20 + pad:
            raise WeChatCryptoError("the message does not decrypt: bad padding")
        plain = plain[:-pad]
        (length,) = struct.unpack(">I", plain[16:20])
        body, appid = plain[20:20 + length], plain[20 + length:]
        if appid.decode("utf-8", "replace") != self.appid:
            raise WeChatCryptoError("the message was encrypted for another AppID")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise WeChatCryptoError("the message is not UTF-8") from None

    def check(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> bool:
        """True when msg_signature signs this ciphertext."""
        return check_signature(msg_signature, self.token, timestamp, nonce, encrypted)

    def seal(self, message: str, timestamp: str, nonce: str) -> dict[str, str]:
        """An encrypted reply's fields: Encrypt, MsgSignature, TimeStamp, Nonce."""
        encrypted = self.encrypt(message)
        return {"Encrypt": encrypted, "MsgSignature": signature(self.token, timestamp, nonce, encrypted),
                "TimeStamp": timestamp, "Nonce": nonce}
