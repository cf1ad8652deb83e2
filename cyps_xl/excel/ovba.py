"""MS-OVBA compression (the LZ77 variant VBA source streams are stored in).

Written from the specification, [MS-OVBA] section 2.4.1.3, because the
compressor of ``ms-ovba-compression`` 1.0.1 corrupts some inputs (its own
round trip fails on our ``CYPS.bas``); ms-ovba's project writer is used with
this compressor in its place.  The tests check every output against
oletools' independent decompressor.
"""
from __future__ import annotations

import struct

CHUNK = 4096


def _copy_token_help(difference: int) -> tuple[int, int, int]:
    bit_count = max((difference - 1).bit_length(), 4)
    length_mask = 0xFFFF >> bit_count
    maximum_length = length_mask + 3
    return bit_count, length_mask, maximum_length


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    out = bytearray()
    index: dict = {}  # 3-byte prefix -> positions (within this chunk)
    position = start
    while position < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if position >= end:
                break
            bit_count, _, maximum_length = _copy_token_help(position - start)
            best_length, best_offset = 0, 0
            key = data[position:position + 3]
            if end - position >= 3:  # a copy is at least 3 bytes and never crosses the chunk's end
                limit = min(maximum_length, end - position)
                for candidate in reversed(index.get(key, ())):
                    length = 3
                    while length < limit and data[candidate + length] == data[position + length]:
                        length += 1
                    if length > best_length:
                        best_length, best_offset = length, position - candidate
                        if length == limit:
                            break
            if best_length >= 3:
                token = ((best_offset - 1) << (16 - bit_count)) | (best_length - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                step = best_length
            else:
                out.append(data[position])
                step = 1
            for p in range(position, position + step):
                prefix = data[p:p + 3]
                if len(prefix) == 3:
                    index.setdefault(prefix, []).append(p)
            position += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """A CompressedContainer for ``data``."""
    data = bytes(data)
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        end = min(start + CHUNK, len(data))
        body = _compress_chunk(data, start, end)
        if len(body) > CHUNK:
            # Incompressible: a raw chunk, always 4096 bytes; the specification pads a short
            # last chunk with zeros (VBA source text never gets here).
            raw = data[start:end].ljust(CHUNK, b"\x00")
            out += struct.pack("<H", (CHUNK + 2 - 3) | 0x3000)
            out += raw
        else:
            out += struct.pack("<H", (len(body) + 2 - 3) | 0x3000 | 0x8000)
            out += body
    return bytes(out)
