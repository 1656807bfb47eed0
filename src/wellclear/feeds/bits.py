"""Fields read from many Mode S frames at once (numpy over the frames' bytes), for routing.

Only what the feed needs before decoding: the downlink format, the ICAO address (to keep each
aircraft's frames on one decoder) and, for ADS-B, the type code and CPR format (to carry each
aircraft's latest messages into the next batch). The decoding itself is rs1090's.

Bits are numbered 1-based from the first of the frame (ICAO Annex 10 Vol IV, 3.1.2): DF 1-5;
in DF 11/17/18 the address AA is bits 9-32 in clear; in DF 0/4/5/16/20/21 the last 24 bits are
AP, the parity over the preceding bits XOR the address (3.1.2.3.3), so the address is the
parity computed here XOR AP. The parity is the CRC of generator polynomial
``1111 1111 1111 1010 0000 0100 1`` (3.1.2.3.3.1.2), 0xFFF409 without its top bit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

GENERATOR = 0xFFF409
ADDRESS_IN_CLEAR = (11, 17, 18)
ADDRESS_PARITY = (0, 4, 5, 16, 20, 21)
POSITION_TC = frozenset(range(9, 19)) | {20, 21, 22}

UInt8Array = npt.NDArray[np.uint8]
IntArray = npt.NDArray[np.int64]


def _crc_table() -> IntArray:
    table = np.zeros(256, dtype=np.int64)
    for byte in range(256):
        crc = byte << 16
        for _ in range(8):
            crc = ((crc << 1) ^ GENERATOR) if crc & 0x800000 else crc << 1
        table[byte] = crc & 0xFFFFFF
    return table


_TABLE = _crc_table()


def frame_bytes(hexes: list[str], size: int) -> UInt8Array:
    """``(N, size)`` bytes of frames all ``2 * size`` hex digits long."""
    if not hexes:
        return np.zeros((0, size), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(-1, size)


def parity(data: UInt8Array) -> IntArray:
    """The 24-bit parity (CRC) of all but the last 3 bytes of each row of ``data``."""
    crc = np.zeros(len(data), dtype=np.int64)
    for k in range(data.shape[1] - 3):
        crc = ((crc << 8) & 0xFFFFFF) ^ _TABLE[((crc >> 16) ^ data[:, k]) & 0xFF]
    return crc


def _bytes_int(data: UInt8Array) -> IntArray:
    """Three bytes per row as one 24-bit number (big-endian)."""
    wide = data.astype(np.int64)
    return (wide[:, 0] << 16) | (wide[:, 1] << 8) | wide[:, 2]


def _rows(hexes: list[str], digits: int) -> IntArray:
    """Indices of the frames ``digits`` hex digits long."""
    sizes = np.fromiter(map(len, hexes), dtype=np.int64, count=len(hexes))
    return np.flatnonzero(sizes == digits)


def addresses(hexes: list[str]) -> IntArray:
    """The ICAO address of each frame (14 or 28 hex digits); -1 for downlink formats that carry
    none (DF 19, 22, 24 ...). DF 0-15 are 56 bits long: of a 112-bit frame of such a format
    the first 56 are read, as rs1090 reads them. For address/parity formats this is the
    address the frame names if it arrived intact (a corrupted one names another)."""
    out = np.full(len(hexes), -1, dtype=np.int64)
    long_rows = _rows(hexes, 28)
    short_rows = _rows(hexes, 14)
    data = np.zeros((len(hexes), 14), dtype=np.uint8)
    data[long_rows] = frame_bytes([hexes[i] for i in long_rows], 14)
    data[short_rows, :7] = frame_bytes([hexes[i] for i in short_rows], 7)
    df = (data[:, 0] >> 3).astype(np.int64)
    known = np.zeros(len(hexes), dtype=bool)
    known[long_rows] = True
    known[short_rows] = df[short_rows] < 16
    clear = known & np.isin(df, ADDRESS_IN_CLEAR)
    out[clear] = _bytes_int(data[clear, 1:4])
    for short in (True, False):
        rows = known & np.isin(df, ADDRESS_PARITY) & ((df < 16) == short)
        part = data[rows, :7] if short else data[rows]
        out[rows] = parity(part) ^ _bytes_int(part[:, -3:])
    return out


def carry_slots(hexes: list[str]) -> tuple[IntArray, IntArray]:
    """(address, slot) of each frame: slot 0/1 an airborne position of even/odd CPR format,
    2 an airborne velocity, 3 an identification, -1 anything else (not ADS-B, other types).

    ADS-B (DF 17/18, 112 bits): TC bits 33-37, CPR format F bit 54 (DO-260B 2.2.3.2.3).
    """
    n = len(hexes)
    address = np.full(n, -1, dtype=np.int64)
    slot = np.full(n, -1, dtype=np.int64)
    rows = _rows(hexes, 28)
    if not len(rows):
        return address, slot
    data = frame_bytes([hexes[i] for i in rows], 14)
    df = data[:, 0] >> 3
    adsb = (df == 17) | (df == 18)
    tc = (data[:, 4] >> 3).astype(np.int64)
    odd = ((data[:, 6] >> 2) & 1).astype(np.int64)
    kind = np.where(
        np.isin(tc, list(POSITION_TC)),
        odd,
        np.where(tc == 19, 2, np.where((tc >= 1) & (tc <= 4), 3, -1)),
    )
    kind = np.where(adsb, kind, -1)
    address[rows] = _bytes_int(data[:, 1:4])
    slot[rows] = kind
    return address, slot


def with_address(hexes: list[str], address: int) -> list[str]:
    """The frames as another aircraft, ``address``, would send them: AA replaced and the
    parity computed again (DF 11/17/18: the PI field keeps what it had over the parity, zero
    or the interrogator's code), or AP replaced (the other formats); frames without an
    address unchanged. For synthetic traffic (benchmarks, tests) from a real aircraft's."""
    old = addresses(hexes)
    out = list(hexes)
    for i, frame in enumerate(hexes):
        if old[i] < 0:
            continue
        data = bytearray.fromhex(frame)
        df = data[0] >> 3
        size = 7 if df < 16 else 14
        body = np.frombuffer(bytes(data[:size]), dtype=np.uint8).reshape(1, size)
        tail = int.from_bytes(data[size - 3 : size], "big")
        if df in ADDRESS_IN_CLEAR:
            residual = tail ^ int(parity(body)[0])
            data[1:4] = address.to_bytes(3, "big")
            body = np.frombuffer(bytes(data[:size]), dtype=np.uint8).reshape(1, size)
            tail = int(parity(body)[0]) ^ residual
        else:
            tail ^= int(old[i]) ^ address
        data[size - 3 : size] = tail.to_bytes(3, "big")
        out[i] = data.hex()
    return out
