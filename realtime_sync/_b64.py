"""The one base64 backend of the package: pybase64 when installed, else the stdlib.

Both give byte-identical results (standard alphabet, padded). The protocol decodes
strictly (``validate=True``: anything outside the alphabet is an error); the audio
helpers keep the stdlib's lenient default, which skips such characters.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable

__all__ = [
    "HAVE_PYBASE64",
    "Text",
    "decode",
    "decode_chunks",
    "decode_writable",
    "decoded_size",
    "encode",
]

_decode: Callable[..., bytes]
_encode: Callable[[bytes], bytes]
_encode_str: Callable[[bytes], str] | None
_decode_writable: Callable[..., bytearray] | None
try:
    import pybase64
except ImportError:  # pragma: no cover - exercised when the fast extra is missing
    _decode, _encode = base64.b64decode, base64.b64encode
    _encode_str = None
    _decode_writable = None
    HAVE_PYBASE64 = False
else:
    _decode, _encode = pybase64.b64decode, pybase64.b64encode
    _decode_writable = getattr(pybase64, "b64decode_as_bytearray", None)
    # Straight to str: no bytes object in between (every audio append).
    _encode_str = getattr(pybase64, "b64encode_as_string", None)
    HAVE_PYBASE64 = True

Text = str | bytes | bytearray | memoryview


def decode(text: Text, *, validate: bool = True) -> bytes:
    """Decode standard base64.

    Raises:
        ValueError: Malformed base64 (:class:`binascii.Error` is a subclass).
    """
    return bytes(_decode(text, validate=validate))


def decode_writable(text: str) -> bytearray:
    """Decode strict base64 ``text`` into a new, writable buffer.

    For audio read as numpy: the array can wrap the buffer itself, where a
    ``bytes`` result would have to be copied to be writable.

    Raises:
        ValueError: Malformed base64, or a character outside the alphabet.
    """
    if _decode_writable is not None:
        return _decode_writable(text, validate=True)
    return bytearray(_decode(text, validate=True))


def decode_chunks(chunks: Iterable[str | bytes]) -> tuple[bytes, int]:
    """Decode and join base64 chunks (bytes are taken as they are).

    A chunk that is not valid base64 (a server's bug: deltas are decoded only when
    read) is left out rather than failing the whole.

    Returns:
        The joined bytes, and how many chunks were left out.
    """
    parts: list[bytes] = []
    bad = 0
    for chunk in chunks:
        if isinstance(chunk, bytes):
            parts.append(chunk)
            continue
        try:
            parts.append(decode(chunk))
        except ValueError:
            bad += 1
    return b"".join(parts), bad


def _encode_via_bytes(data: bytes) -> str:
    """Encode bytes as standard base64 text with padding."""
    return _encode(data).decode("ascii")


#: Encode bytes as standard base64 text with padding.
encode: Callable[[bytes], str] = (
    _encode_via_bytes if _encode_str is None else _encode_str
)


def decoded_size(text: str) -> int:
    """How many bytes padded base64 ``text`` decodes to, without decoding it."""
    if not text:
        return 0
    return len(text) // 4 * 3 - (2 if text.endswith("==") else text.endswith("="))
