"""Character encoding of shapefile attributes: honour the .cpg, else detect GBK or UTF-8.

Chinese shapefiles are usually GBK (code page 936) and often come without a
.cpg file, in which case GDAL would decode them as Latin-1 and produce
mojibake.  :func:`choose_dbf_encoding` reads the .cpg when there is one and
checks that the attribute bytes actually decode with it; otherwise it reads
the raw text of the .dbf and tries UTF-8 (strict) and then GB18030 (a superset
of GBK and GB2312).

dBase cuts field names at 10 bytes and values at the field width (at most 254 bytes), in the
middle of a character when the text is Chinese (GDAL itself writes 批复日期 in UTF-8 as 批复日 plus
one byte of 期).  :func:`decode_dbf_text` drops such a broken trailing character when the bytes
fill the limit, and :func:`choose_dbf_encoding` gives a column whose text is in another encoding
than the rest of the file (a .cpg saying UTF-8 over one GBK column) its own codec.
"""

from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass

# .cpg contents seen in the wild → Python codec name.
_CPG_ALIASES = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "65001": "utf-8",
    "gbk": "gbk",
    "936": "gbk",
    "cp936": "gbk",
    "ansi 936": "gbk",
    "gb2312": "gbk",
    "gb18030": "gb18030",
    "54936": "gb18030",
    "big5": "big5",
    "950": "big5",
    "88591": "latin-1",
    "8859_1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso88591": "latin-1",
    "1252": "cp1252",
    "ansi 1252": "cp1252",
    "ascii": "ascii",
}
# dBase language driver IDs that name a Chinese code page.
_LDID_CODECS = {0x4D: "gbk", 0x7A: "gbk", 0x4F: "big5", 0x78: "big5"}


@dataclass(frozen=True)
class EncodingChoice:
    """The encoding to read a .dbf with, how it was chosen, and any problem.

    Attributes
    ----------
    codec : str or None
        Python codec name, ``None`` when no encoding decodes the attributes.
    how : str
        ``"cpg"``, ``"ldid"``, ``"detected"`` or ``"ascii"``.
    problem : str
        Empty, ``"cpg_unknown"``, ``"cpg_mismatch"`` or ``"undecodable"``.

    column_codecs : tuple of (bytes, str)
        Raw field name → codec, for the columns whose text is not in ``codec``.
    """

    codec: str | None
    how: str
    problem: str = ""
    cpg_text: str = ""
    column_codecs: tuple[tuple[bytes, str], ...] = ()


def codec_from_cpg(text: str) -> str | None:
    """The codec a .cpg file names, or ``None`` when it is not recognised.

    >>> codec_from_cpg("GBK\\n"), codec_from_cpg("UTF-8"), codec_from_cpg("ANSI 936")
    ('gbk', 'utf-8', 'gbk')
    >>> codec_from_cpg("klingon") is None, codec_from_cpg("UTF" + chr(0) + "-8") is None
    (True, True)
    """
    key = text.strip().strip("\ufeff").lower()
    if key in _CPG_ALIASES:
        return _CPG_ALIASES[key]
    if not key.isprintable() or len(key) > 40:
        return None
    try:
        return codecs.lookup(key).name
    except (LookupError, ValueError):
        return None


DBF_NAME_BYTES = 10  # a dBase field name holds at most 10 bytes (the 11th is NUL)


@dataclass(frozen=True)
class DbfField:
    """One field descriptor of a dBase header: raw name, type letter, width in bytes, offset."""

    name: bytes
    type: str
    width: int
    offset: int


def dbf_fields(dbf: bytes) -> list[DbfField]:
    """The field descriptors of a dBase file (32-byte header, then 32 bytes per field).

    Returns ``[]`` for a file too short or malformed to hold a header.
    """
    if len(dbf) < 32:
        return []
    header_len = struct.unpack("<H", dbf[8:10])[0]
    fields: list[DbfField] = []
    offset = 1  # deletion flag
    pos = 32
    while pos + 32 <= min(header_len, len(dbf)) and dbf[pos] != 0x0D:
        name = dbf[pos : pos + 11].split(b"\x00", 1)[0]
        fields.append(DbfField(name, chr(dbf[pos + 11]), dbf[pos + 16], offset))
        offset += dbf[pos + 16]
        pos += 32
    return fields


def dbf_text_columns(dbf: bytes) -> list[tuple[DbfField, list[bytes]]]:
    """Every character field of a dBase file with the raw bytes of its values (padding removed)."""
    if len(dbf) < 32:
        return []
    n_records, header_len, record_len = struct.unpack("<IHH", dbf[4:12])
    fields = [f for f in dbf_fields(dbf) if f.type == "C"]
    if record_len <= 0:
        return [(f, []) for f in fields]
    data = dbf[header_len:]
    n_records = min(n_records, len(data) // record_len)
    records = [data[r * record_len : (r + 1) * record_len] for r in range(n_records)]
    return [
        (f, [rec[f.offset : f.offset + f.width].rstrip(b" \x00") for rec in records])
        for f in fields
    ]


def dbf_text_bytes(dbf: bytes) -> bytes:
    """The raw bytes of every character field of a dBase file, concatenated.

    Returns ``b""`` for a file too short or malformed to hold records.
    """
    columns = dbf_text_columns(dbf)
    n_records = max((len(values) for _, values in columns), default=0)
    return b"\n".join(values[r] for r in range(n_records) for _, values in columns)


def decode_dbf_text(raw: bytes, codec: str, *, full: bool) -> tuple[str, bool]:
    """Decode a dBase name or value; drop a character cut by the byte limit when ``full``.

    ``full`` says the bytes fill their limit (10 bytes of a name, the width of a field), so
    an incomplete multibyte character at the end was cut there by the writer.

    Returns
    -------
    (text, cut) : the text, and whether broken trailing bytes were dropped.

    Raises
    ------
    UnicodeDecodeError
        When the bytes are not valid in ``codec`` (other than that cut end).

    >>> decode_dbf_text("批复日期".encode("utf-8")[:10], "utf-8", full=True)
    ('批复日', True)
    >>> decode_dbf_text("1备注说明文".encode("gbk")[:10], "gbk", full=True)
    ('1备注说明', True)
    >>> decode_dbf_text("公园".encode("gbk"), "gbk", full=False)
    ('公园', False)
    """
    if not full:
        return raw.decode(codec), False
    decoder = codecs.getincrementaldecoder(codec)()
    text = decoder.decode(raw, final=False)
    pending = decoder.getstate()[0]
    return text, bool(pending)


def _column_decodes(field: DbfField, values: list[bytes], codec: str) -> bool:
    try:
        for value in values:
            decode_dbf_text(value, codec, full=len(value) >= field.width)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _columns_decode(columns: list[tuple[DbfField, list[bytes]]], codec: str) -> bool:
    return all(_column_decodes(f, values, codec) for f, values in columns)


def _cut_free_text(columns: list[tuple[DbfField, list[bytes]]], codec: str) -> bytes:
    """The values joined, each without the character its field width cut (for detection)."""
    out = []
    for f, values in columns:
        for value in values:
            if len(value) >= f.width:
                try:
                    text, _ = decode_dbf_text(value, codec, full=True)
                except (UnicodeDecodeError, LookupError):
                    out.append(value)
                    continue
                value = text.encode(codec)
            out.append(value)
    return b"\n".join(out)


def detect_column_encoding(columns: list[tuple[DbfField, list[bytes]]]) -> str | None:
    """:func:`detect_encoding` over dBase columns, tolerant of characters cut by field widths."""
    candidates = []
    for codec in ("utf-8", "gb18030"):
        if _columns_decode(columns, codec):
            text = _cut_free_text(columns, codec).decode(codec)
            candidates.append((_chinese_score(text), codec == "utf-8", codec))
    return max(candidates)[2] if candidates else None


def _per_column_codecs(
    columns: list[tuple[DbfField, list[bytes]]], codec: str
) -> tuple[tuple[bytes, str], ...] | None:
    """Codecs of the columns that ``codec`` cannot read, when ``codec`` is right for the rest.

    ``None`` when ``codec`` reads no column with non-ASCII text (then it is wrong for the whole
    file) or when a column decodes in no encoding.
    """
    agree = [
        f
        for f, values in columns
        if not all(v.isascii() for v in values) and _column_decodes(f, values, codec)
    ]
    if not agree:
        return None
    own: list[tuple[bytes, str]] = []
    for f, values in columns:
        if _column_decodes(f, values, codec):
            continue
        detected = detect_column_encoding([(f, values)])
        if detected is None:
            return None
        own.append((f.name, detected))
    return tuple(own)


def dbf_ldid(dbf: bytes) -> int:
    """The language driver ID byte of a dBase header (0 when absent)."""
    return dbf[29] if len(dbf) > 29 else 0


def _chinese_score(text: str) -> float:
    """Share of characters that are ASCII, CJK ideographs or CJK/full-width punctuation."""
    if not text:
        return 1.0
    ok = sum(
        1
        for c in text
        if c.isascii()
        or "\u4e00" <= c <= "\u9fff"
        or "\u3000" <= c <= "\u303f"
        or "\uff00" <= c <= "\uffef"
    )
    return ok / len(text)


def detect_encoding(raw: bytes) -> str | None:
    """UTF-8 or GB18030 (a superset of GBK), whichever decodes into the more plausible text.

    Short GBK text can also be valid UTF-8 (一 is ``d2 bb`` in GBK, Cyrillic һ in UTF-8), so
    when both decode, the one giving more Chinese (or ASCII) characters wins; a tie goes to UTF-8.

    >>> detect_encoding("人民公园".encode("gbk")), detect_encoding("人民公园".encode("utf-8"))
    ('gb18030', 'utf-8')
    >>> detect_encoding("一".encode("gbk")), detect_encoding(b"plain")
    ('gb18030', 'utf-8')
    >>> detect_encoding(b"\\x81\\xff\\xff") is None
    True
    """
    candidates = []
    for codec in ("utf-8", "gb18030"):
        try:
            candidates.append((_chinese_score(raw.decode(codec)), codec == "utf-8", codec))
        except UnicodeDecodeError:
            continue
    return max(candidates)[2] if candidates else None


def choose_dbf_encoding(dbf: bytes, cpg_text: str | None) -> EncodingChoice:
    """Pick the encoding of a .dbf: the .cpg's when given and valid, else detected.

    Characters cut by a field's width do not count against an encoding.  When the .cpg's
    encoding reads some columns with Chinese text but not others, those others get their own
    detected codec in ``column_codecs`` (no problem); when it reads none, the .cpg is wrong.

    >>> choose_dbf_encoding(b"", "GBK").codec
    'gbk'
    """
    columns = dbf_text_columns(dbf)
    raw = _cut_free_text(columns, "utf-8")
    if cpg_text is not None:
        codec = codec_from_cpg(cpg_text)
        if codec is None:
            detected = detect_column_encoding(columns)
            return EncodingChoice(detected, "detected", "cpg_unknown", cpg_text.strip())
        if _columns_decode(columns, codec):
            return EncodingChoice(codec, "cpg", "", cpg_text.strip())
        own = _per_column_codecs(columns, codec)
        if own is not None:
            return EncodingChoice(codec, "cpg", "", cpg_text.strip(), own)
        detected = detect_column_encoding(columns)
        return EncodingChoice(detected, "detected", "cpg_mismatch", cpg_text.strip())
    if raw.isascii():
        return EncodingChoice("utf-8", "ascii")
    ldid_codec = _LDID_CODECS.get(dbf_ldid(dbf))
    if ldid_codec and _columns_decode(columns, ldid_codec):
        return EncodingChoice(ldid_codec, "ldid")
    detected = detect_column_encoding(columns)
    if detected is not None:
        return EncodingChoice(detected, "detected")
    for codec in ("utf-8", "gb18030"):  # one column in another encoding than the others
        own = _per_column_codecs(columns, codec)
        if own is not None:
            return EncodingChoice(codec, "detected", "", "", own)
    return EncodingChoice(None, "detected", "undecodable")
