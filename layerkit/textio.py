"""Turning the raw bytes of a user's file into text, for Russian data.

Russian text still arrives in half a dozen encodings (cp1251 from Windows, koi8-r from old Unix
mail archives, cp866 from DOS, UTF-16 from Notepad, ...), and a wrong guess does not fail: it
produces plausible-looking garbage that then gets annotated. So detection here is deliberately
conservative:

* BOMs, UTF-16/32 without a BOM (recognised by the pattern of their high bytes) and strict UTF-8
  are decided first, because they are unambiguous.
* For the single-byte Cyrillic code pages every candidate is decoded and scored with a small
  model of Russian (letter bigram costs, case pattern inside words, odd symbols). The cheapest
  wins only if it beats every other *different* decoding by a clear margin; otherwise we raise
  and ask for ``--encoding`` instead of guessing.
* Text that is not Cyrillic at all falls back to charset-normalizer, again only when its
  candidates agree.

``repair_mojibake`` handles the other classic accident: UTF-8 text that was once decoded as a
single-byte code page and saved again ("РњРѕР¶РЅРѕ" for "Можно"). It only repairs when the
repaired text is far more plausible Russian than the input, so normal text is never touched.

Everything returned is NFC with ``\\n`` line ends; nothing else is changed (stress marks, soft
hyphens, ё, emoji and zero-width characters stay as they are).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from layerkit.errors import InputError

__all__ = [
    "LEGACY_CYRILLIC_ENCODINGS",
    "DecodedText",
    "decode_bytes",
    "is_utf8_name",
    "read_text",
    "repair_mojibake",
    "russian_cost",
]

# --------------------------------------------------------------------------------------------
# A small model of Russian spelling
# --------------------------------------------------------------------------------------------

_RU = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_RU_SET = frozenset(_RU + _RU.upper())

# Cost (-ln P, rounded, hex digit) of letter B following letter A in Russian words. Row = A, with
# " " for "start of word"; column = B, with " " for "end of word"; columns are in the order of
# _BIGRAM_COLUMNS. Computed once from the 3 million word forms of the OpenCorpora dictionary
# shipped with pymorphy3 (add-0.5 smoothing, capped at 15). Type counts, not token counts, but
# that is plenty to tell Russian from Russian decoded with the wrong code page, which is all it
# is used for: there, nearly every bigram lands in the 10-15 range.
_BIGRAM_COLUMNS = " " + _RU
_BIGRAM_ROWS = {
    " ": "f333435953483433323344455547fdf576",
    "а": "3742443843544232743336535455fff733",
    "б": "72656426562e4244262453866655546765",
    "в": "41877636853f5463265454987626936995",
    "г": "62867639882e635317266399a65be88879",
    "д": "62545524452e4453243353865557645765",
    "е": "2653443954534322542336556446fff746",
    "ё": "7c4244bc44c74431c3232cc49649cccc7c",
    "ж": "62676323571d465346457378679a9d5788",
    "з": "61434336452e5433274673a7766e536875",
    "и": "2552443853543333443336544356fef854",
    "й": "0766556e967e4553565239665546e8e987",
    "к": "42747848962a636418343397586cb88888",
    "л": "42676624662f4465278454769689f42843",
    "м": "12578836872f6554256342778788f37795",
    "н": "42765425762f4882287433675577924864",
    "о": "3632334854534333533335556456fff646",
    "п": "72aaa926ad3f6395151554887678f46995",
    "р": "62554525562f4544156443656556b46864",
    "с": "63646636793f2344335424656567743872",
    "т": "32636525772f4553252353767567833864",
    "у": "2543433844653334733338646345fdf726",
    "ф": "629a6826971d7355283533479879d55b66",
    "х": "1274875ca83e634426334499876e9877c9",
    "ц": "4274681d971d3666367573988d8dd4877d",
    "ч": "42a6ba148e1e357269675398aa7eee5ea9",
    "ш": "72858b15e91e44645577439899aeee397b",
    "щ": "62d8dd14dd1dada5796da3d9dddddd8ddb",
    "ъ": "9aaaaa12aa6aaaaaaaaaaaaaaaaaaaaa31",
    "ы": "2941453e54734425e44347927546eeebb7",
    "ь": "17555436754e484266724b565554eee733",
    "э": "7c63547c6585213263233745785cccc897",
    "ю": "185665785577555587523e856561eee969",
    "я": "1963544e54855433a54337936564eded46",
}
_BIGRAM: dict[str, dict[str, int]] = {
    a: {b: int(c, 16) for b, c in zip(_BIGRAM_COLUMNS, row, strict=True)}
    for a, row in _BIGRAM_ROWS.items()
}

# Non-ASCII characters that ordinary Russian typography uses: cheap, but not free, so that a
# decoding made of nothing but quotes and dashes does not look like a good one.
_TYPOGRAPHY = frozenset("«»„“”‘’‚—–‑…№•°±§©®™\u00a0\u202f\u2009·")
# Of those, the ones that may touch a following letter (opening quotes, spaces) and the ones that
# may touch a preceding letter (closing quotes, ellipsis, spaces); any other glued to a letter is
# suspicious: "—ожик" is what a capital letter of another code page looks like.
_MAY_PRECEDE_LETTER = frozenset("«„“‘‚\u00a0\u202f\u2009")
_MAY_FOLLOW_LETTER = frozenset("»“”’…\u00a0\u202f\u2009")
# Characters that are invisible inside a word and must not break it (stress mark, soft hyphen,
# zero-width joiners): they cost nothing.
_TRANSPARENT = frozenset("\u0301\u0300\u00ad\u200b\u200c\u200d\u2060")

_CASE_PENALTY = 6  # an upper-case letter right after a lower-case one: "пРИВЕТ", "РњРѕ"
_MIX_PENALTY = 6  # a Russian letter touching a Latin one: "cafй"
_TYPO_COST = 3
_ODD_COST = 10  # any other non-ASCII character: box drawing, ¶, Ђ, é...
_ODD_IN_WORD = 4  # extra when the odd character sits right next to a Russian letter
_CONTROL_COST = 14  # C1 controls, unassigned code points


@dataclass(frozen=True)
class RussianCost:
    """How much a text costs under the Russian model; lower is more plausible.

    ``cost`` is a sum in nats, so it is comparable between decodings of the same bytes (same
    number of characters) and between the changed parts of two versions of a text.
    ``scored`` is the number of non-ASCII characters that contributed.
    """

    cost: float
    scored: int
    letters: int
    odd: int
    bad_case: int

    @property
    def per_char(self) -> float:
        """Average cost per scored character; Russian prose is about 3, garbage 8 and above."""
        return self.cost / self.scored if self.scored else 0.0


def russian_cost(text: str) -> RussianCost:
    """Score ``text`` as Russian: bigram costs of its Cyrillic words plus penalties.

    Only the non-ASCII part is scored (ASCII decodes the same in every candidate encoding, so
    it cannot tell them apart), except that Latin letters glued to Russian ones are penalised.
    """
    cost = 0.0
    scored = letters = odd = bad_case = 0
    prev = " "  # previous Russian letter (lower case) or " " outside a word
    prev_lower = False  # previous character was a lower-case Russian letter
    prev_latin = False  # ... an ASCII letter
    prev_glue = False  # ... an odd character or typography that should not touch a letter
    bigram = _BIGRAM
    for ch in text:
        if ch in _TRANSPARENT:
            continue
        if ch in _RU_SET:
            low = ch.lower()
            cost += bigram[prev][low]
            if prev_lower and ch != low:
                cost += _CASE_PENALTY
                bad_case += 1
            if prev_latin:
                cost += _MIX_PENALTY
            if prev_glue:
                cost += _ODD_IN_WORD
            prev = low
            prev_lower = ch == low
            prev_latin = prev_glue = False
            scored += 1
            letters += 1
            continue
        after_ru = prev != " "
        after_letter = after_ru or prev_latin
        if after_ru:
            cost += bigram[prev][" "]
            prev = " "
        prev_lower = False
        if ch < "\x80":
            is_latin = ch.isalpha()
            if is_latin and after_ru:
                cost += _MIX_PENALTY
            if is_latin and prev_glue:
                cost += _ODD_IN_WORD
            prev_glue = False
            prev_latin = is_latin
            continue
        prev_latin = False
        scored += 1
        if ch in _TYPOGRAPHY:
            cost += _TYPO_COST
            if after_letter and ch not in _MAY_FOLLOW_LETTER:
                cost += _ODD_IN_WORD
            prev_glue = ch not in _MAY_PRECEDE_LETTER
            continue
        odd += 1
        category = unicodedata.category(ch)
        if category[0] == "C":
            cost += _CONTROL_COST
        elif category == "So" and ord(ch) >= 0x1F000:
            cost += _TYPO_COST  # emoji: odd for a code page decoding, harmless in repaired text
        else:
            cost += _ODD_COST
        if after_letter:
            cost += _ODD_IN_WORD
        prev_glue = True
    if prev != " ":
        cost += bigram[prev][" "]
    return RussianCost(cost=cost, scored=scored, letters=letters, odd=odd, bad_case=bad_case)


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------

#: Single-byte Cyrillic code pages tried when the bytes are not UTF-8, with a prior cost (nats)
#: that breaks near-ties in favour of the code pages that are actually common.
LEGACY_CYRILLIC_ENCODINGS: dict[str, float] = {
    "cp1251": 0.0,
    "koi8_r": 1.0,
    "cp866": 2.0,
    "mac_cyrillic": 3.0,
    "iso8859_5": 3.0,
}

#: The best legacy decoding must cost at most this per non-ASCII character to count as Russian.
#: Russian prose scores about 3-4; Russian decoded with a wrong Cyrillic code page 6-10, except
#: cp1251 vs mac-cyrillic (they differ only in capitals), which the margin below tells apart.
MAX_RUSSIAN_COST_PER_CHAR = 5.5
#: The winner must beat every different decoding by this many nats (about e^8 = 3000 times more
#: likely), otherwise the bytes are ambiguous and the user has to say.
AMBIGUITY_MARGIN = 8.0
#: Share of C0 control characters (other than tab, newlines, form feed, escape) above which
#: decoded "text" is taken to be binary data.
MAX_CONTROL_SHARE = 0.01

#: Only this many characters are scored per candidate: ample evidence, and big files stay fast.
_SCORE_CHARS = 200_000

_ENCODING_HINT = (
    "Pass the encoding explicitly, e.g. --encoding cp1251 (or koi8-r, cp866, utf-16), "
    "or re-save the file as UTF-8."
)

# (signature, what it is, hint); only signatures that no text file starts with.
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "Only plain text (.txt) and Markdown can be imported."),
    (b"\xff\xd8\xff", "a JPEG image", "Only plain text (.txt) and Markdown can be imported."),
    (b"GIF87a", "a GIF image", "Only plain text (.txt) and Markdown can be imported."),
    (b"GIF89a", "a GIF image", "Only plain text (.txt) and Markdown can be imported."),
    (b"%PDF-", "a PDF document", "Extract its text first (e.g. pdftotext) and import that."),
    (
        b"PK\x03\x04",
        "a ZIP archive (or a .docx/.xlsx/.odt/.epub, which are ZIP files)",
        "Unpack it, or save the document as plain text (.txt), then import that.",
    ),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old MS Office document", "Save it as .txt first."),
    (b"\x1f\x8b", "a gzip-compressed file", "Decompress it first (gunzip)."),
    (b"\xfd7zXZ\x00", "an xz-compressed file", "Decompress it first (unxz)."),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "Unpack it first."),
    (b"Rar!\x1a\x07", "a RAR archive", "Unpack it first."),
    (b"\x7fELF", "an executable (ELF) file", "Give the path of a text file."),
    (b"SQLite format 3\x00", "an SQLite database", "Give the path of a text file."),
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its LE BOM starts with the UTF-16 LE one.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def bom_encoding(path: Path) -> str | None:
    """The codec a file's byte order mark names (``utf-8-sig``, ``utf-16``, ``utf-32``), or
    None: it has none, or cannot be read (reading it again says why)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return None
    return next((name for bom, name in _BOMS if head.startswith(bom)), None)


@dataclass(frozen=True)
class DecodedText:
    """Text of a file (NFC, ``\\n`` line ends) and the encoding it was read with.

    ``encoding`` is Python's canonical codec name (``utf-8``, ``utf-8-sig``, ``cp1251``,
    ``koi8-r``, ``utf-16-le``...), so it can be passed back to ``--encoding`` as is.
    """

    text: str
    encoding: str


def is_utf8_name(encoding: str) -> bool:
    """True for UTF-8 with or without BOM (and ASCII): the encodings nobody needs to be told of."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False
    return name in {"utf-8", "utf-8-sig", "ascii"}


def _normalize(text: str) -> str:
    """NFC plus ``\\n`` line ends: the only changes we ever make to a user's text."""
    if text.startswith("\ufeff"):
        text = text[1:]  # a BOM is never content, whatever codec left it in
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _sample(text: str, width: int = 40) -> str:
    """A short one-line excerpt of the text around its first non-ASCII character."""
    start = next((i for i, ch in enumerate(text) if ord(ch) > 127), 0)
    start = max(0, start - 10)
    excerpt = " ".join(text[start : start + width].split())
    return excerpt


_BZIP2_RE = re.compile(rb"BZh[1-9]1AY&SY")


def _check_magic(data: bytes, path: object | None) -> None:
    """Name the binary formats people actually pick by mistake, instead of "cannot decode"."""
    for magic, what, hint in _MAGIC:
        if data.startswith(magic):
            raise InputError(f"this is {what} (binary data), not a text file", path=path, hint=hint)
    if _BZIP2_RE.match(data):
        raise InputError(
            "this is a bzip2-compressed file (binary data), not a text file",
            path=path,
            hint="Decompress it first (bunzip2).",
        )


def _check_broken_utf8(data: bytes, path: object | None) -> None:
    """Raise when bytes that failed strict UTF-8 are UTF-8 with a few damaged bytes.

    Single-byte code pages almost never produce valid multi-byte UTF-8 sequences, so many valid
    sequences and very few invalid ones mean a damaged UTF-8 file: decoding it as cp1251 would
    turn all of it into mojibake, so we say where the damage is instead.
    """
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid = len(text) - len(text.encode("ascii", "ignore")) - invalid  # non-ASCII, not U+FFFD
    if valid >= 8 and invalid * 4 <= valid:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"the file is UTF-8 except for {invalid} invalid byte sequence(s), the first "
                f"at byte offset {exc.start}",
                path=path,
                line=_line_of(data, exc.start),
                hint="Repair the file (e.g. `iconv -c -f utf-8 -t utf-8` drops invalid bytes), "
                "or pass --encoding if it is not UTF-8 after all.",
            ) from None


# C0 controls except tab, newlines, form feed, \x1a (DOS end-of-file mark), \x1b (ANSI colours).
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x19\x1c-\x1f]")


def _too_many_controls(text: str) -> int:
    """Number of C0 control characters if they make up more than MAX_CONTROL_SHARE, else 0."""
    controls = len(_CONTROL_RE.findall(text))
    return controls if controls > MAX_CONTROL_SHARE * len(text) else 0


def _binary_error(controls: int, size: int, unit: str, path: object | None) -> InputError:
    return InputError(
        f"the file has {controls} control characters in {size} {unit}, so it looks like "
        "binary data, not text",
        path=path,
        hint="Only plain text (.txt) and Markdown files can be imported.",
    )


def _check_text(text: str, path: object | None, encoding: str) -> None:
    """Reject decoded "text" that is really binary data, or that is empty."""
    if "\x00" in text:
        raise InputError(
            f"the file contains NUL bytes even when read as {encoding}, so it is binary "
            "data, not text",
            path=path,
            hint="Only plain text (.txt) and Markdown files can be imported; if this is text "
            "in UTF-16 or UTF-32 without a BOM, pass --encoding utf-16-le (or similar).",
        )
    controls = _too_many_controls(text)
    if controls:
        raise _binary_error(controls, len(text), "characters", path)
    if not text.strip():
        raise InputError(
            "the file contains only whitespace, no text",
            path=path,
            hint="Check that you picked the right file.",
        )


def _sniff_wide(data: bytes) -> str | None:
    """UTF-32/UTF-16 without a BOM, when the byte pattern leaves no doubt.

    In UTF-16 Russian text every other byte is 0x04 (Cyrillic block) or 0x00 (ASCII, Latin-1
    punctuation), and the other bytes almost never are; in UTF-32 two of every four bytes are
    NUL. Plain 8-bit text never looks like that, so a match here is safe.
    """
    n = len(data)
    if b"\x00" not in data and b"\x04" not in data:
        return None  # the common case, decided at C speed
    if n >= 8 and n % 4 == 0:
        if not any(data[2::4]) and not any(data[3::4]) and any(data[0::4]):
            return "utf-32-le"
        if not any(data[0::4]) and not any(data[1::4]) and any(data[3::4]):
            return "utf-32-be"
    if n >= 4 and n % 2 == 0:
        even, odd = data[0::2], data[1::2]
        for name, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
            units = len(high)
            small_high = high.count(0x00) + high.count(0x04) + high.count(0x20)
            zero_low = low.count(0)
            if small_high >= 0.8 * units and zero_low <= 0.05 * units and small_high > 1:
                try:
                    text = data.decode(name)
                except UnicodeDecodeError:
                    continue
                if not any(ch < "\x20" and ch not in "\t\n\r" for ch in text):
                    return name
    return None


def _decode_explicit(data: bytes, encoding: str, path: object | None) -> DecodedText:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise InputError(
            f"unknown encoding {encoding!r}",
            path=path,
            hint="Use a Python codec name such as utf-8, cp1251, koi8-r, cp866, mac-cyrillic, "
            "iso8859-5, utf-16.",
        ) from None
    try:
        text = data.decode(info.name)
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 4].hex(" ")
        raise InputError(
            f"cannot decode the file as {info.name}: bytes {bad} at byte offset {exc.start} "
            f"are not valid in that encoding",
            path=path,
            line=_line_of(data, exc.start),
            hint="Check the --encoding value, or leave it out to let layerkit detect the encoding.",
        ) from None
    if info.name == "utf-8" and text.startswith("\ufeff"):
        info = codecs.lookup("utf-8-sig")
    text = _normalize(text)
    _check_text(text, path, info.name)
    _refuse_mojibake(data, text, info.name, path)
    return DecodedText(text, info.name)


def _refuse_mojibake(data: bytes, text: str, encoding: str, path: object | None) -> None:
    """Refuse an ``--encoding`` that turns a file which reads as Russian into garbage.

    A UTF-8 file read as cp1251 (``РњР°РјР°``) or a koi8-r one read as cp1251 (``пРИВЕТ``)
    decodes without a single error: every byte means something in a single-byte code page, so
    nothing else would stop it, and the store would fill with text nobody can annotate. The
    given encoding still wins wherever it reads as Russian too (cp1251 against mac-cyrillic,
    which differ only in capitals; a file the detector cannot tell): only a choice that reads
    as garbage where detection reads Russian is refused."""
    given = russian_cost(text[:_SCORE_CHARS])
    if not given.scored or given.per_char <= MAX_RUSSIAN_COST_PER_CHAR:
        return
    try:
        detected = decode_bytes(data, path=path)
    except InputError:
        return  # (detection cannot say either: the user's word stands)
    if detected.encoding == encoding or detected.text == text:
        return
    found = russian_cost(detected.text[:_SCORE_CHARS])
    if not found.scored or found.per_char > MAX_RUSSIAN_COST_PER_CHAR:
        return
    raise InputError(
        f"read as {encoding}, the file is not Russian text («{_sample(text)}»); it reads as "
        f"Russian in {detected.encoding} («{_sample(detected.text)}»)",
        path=path,
        hint=f"Leave out --encoding (layerkit detects {detected.encoding}), or pass "
        f"--encoding {detected.encoding}. Nothing was imported.",
    )


def _capitalised_words(cp1251: str, mac: str) -> bool:
    """Whether the two readings differ only where cp1251 reads a capital letter starting a
    word (followed by a small letter), which mac-cyrillic reads as a symbol («»аголовок»):
    Russian, not a symbol glued to a word. A short file (a heading, a line) scored too close
    to tell them apart, and was refused as ambiguous."""
    differing = [i for i, (a, b) in enumerate(zip(cp1251, mac, strict=True)) if a != b]
    return bool(differing) and all(
        "А" <= cp1251[i] <= "Я"
        and i + 1 < len(cp1251)
        and "а" <= cp1251[i + 1] <= "я"
        and (i == 0 or not cp1251[i - 1].isalpha())
        for i in differing
    )


def _decode_legacy(data: bytes, path: object | None) -> DecodedText | None:
    """Pick the single-byte Cyrillic code page whose decoding reads most like Russian.

    Returns None when no candidate looks like Russian at all (the caller then tries other
    scripts); raises when two different decodings are both plausible and too close to call.
    """
    by_text: dict[str, tuple[float, str]] = {}
    for name, prior in LEGACY_CYRILLIC_ENCODINGS.items():
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        total = russian_cost(text[:_SCORE_CHARS]).cost + prior
        if text not in by_text or total < by_text[text][0]:
            by_text[text] = (total, name)
    if not by_text:
        return None
    ranked = sorted((total, name, text) for text, (total, name) in by_text.items())
    best_total, best_name, best_text = ranked[0]
    scored = russian_cost(best_text[:_SCORE_CHARS]).scored
    if scored and (best_total - LEGACY_CYRILLIC_ENCODINGS[best_name]) / scored > (
        MAX_RUSSIAN_COST_PER_CHAR
    ):
        return None
    if len(ranked) > 1 and ranked[1][0] - best_total < AMBIGUITY_MARGIN:
        other_name, other_text = ranked[1][1], ranked[1][2]
        readings = {best_name: best_text, other_name: other_text}
        if readings.keys() == {"cp1251", "mac_cyrillic"} and _capitalised_words(
            readings["cp1251"], readings["mac_cyrillic"]
        ):
            return DecodedText(readings["cp1251"], codecs.lookup("cp1251").name)
        raise InputError(
            f"cannot tell the encoding of this file: it reads as {best_name} "
            f"(«{_sample(best_text)}») but almost as well as {other_name} "
            f"(«{_sample(other_text)}»)",
            path=path,
            hint=f"Pass the right one explicitly, e.g. --encoding {best_name}, or re-save the "
            "file as UTF-8.",
        )
    return DecodedText(best_text, codecs.lookup(best_name).name)


def _decode_other(data: bytes, path: object | None) -> DecodedText:
    """Non-Cyrillic 8-bit text: trust charset-normalizer only when its candidates agree."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    best = matches[0] if matches else None
    if best is None or best.chaos > 0.2:
        raise InputError(
            "cannot detect the encoding of this file: it is not UTF-8 and does not read as "
            "Russian in any common Cyrillic code page",
            path=path,
            hint=_ENCODING_HINT,
        )
    tied = [
        m for m in matches if m.chaos <= best.chaos + 0.02 and m.coherence >= best.coherence - 0.05
    ]
    # Among equally good Western candidates cp1252 is the de-facto default (it is what HTML
    # means by "latin-1"); any other disagreement is left to the user.
    chosen = next((m for m in tied if m.encoding == "cp1252"), best)
    text = str(chosen)
    others = sorted({m.encoding for m in tied if str(m) != text})
    if others and chosen.encoding != "cp1252":
        raise InputError(
            f"cannot tell the encoding of this file: it could be {chosen.encoding} or "
            f"{', '.join(others)}",
            path=path,
            hint=_ENCODING_HINT,
        )
    return DecodedText(text, codecs.lookup(chosen.encoding).name)


def decode_bytes(
    data: bytes, *, path: object | None = None, encoding: str | None = None
) -> DecodedText:
    """Decode a file's bytes to NFC text with ``\\n`` line ends, detecting the encoding.

    :param data: the file's content.
    :param path: only used in error messages.
    :param encoding: a codec name that overrides detection (the user's ``--encoding``).
    :raises InputError: the file is empty or whitespace only, binary, not decodable with the
        given encoding, or its encoding cannot be told with confidence.
    """
    if not data:
        raise InputError(
            "the file is empty (0 bytes)", path=path, hint="Check that you picked the right file."
        )
    _check_magic(data, path)
    if encoding:
        return _decode_explicit(data, encoding, path)

    decoded: DecodedText | None = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                decoded = DecodedText(data.decode(name), codecs.lookup(name).name)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"the file starts with a {name.upper()} byte-order mark but is not valid "
                    f"{name.upper()} (byte offset {exc.start})",
                    path=path,
                    hint=_ENCODING_HINT,
                ) from None
            if name in ("utf-16", "utf-32"):
                endian = "le" if bom in (codecs.BOM_UTF16_LE, codecs.BOM_UTF32_LE) else "be"
                decoded = DecodedText(decoded.text, f"{name}-{endian}")
            break

    if decoded is None:
        wide = _sniff_wide(data)
        if wide is not None:
            decoded = DecodedText(data.decode(wide), wide)

    if decoded is None:
        if b"\x00" in data:
            raise InputError(
                "the file contains NUL bytes, so it is binary data, not text",
                path=path,
                hint="Only plain text (.txt) and Markdown files can be imported; for UTF-16 "
                "text without a byte-order mark pass --encoding utf-16-le (or utf-16-be).",
            )
        try:
            decoded = DecodedText(data.decode("utf-8"), "utf-8")
        except UnicodeDecodeError:
            # Control bytes are the same in every 8-bit code page: check before guessing one.
            controls = _too_many_controls(data.decode("latin-1"))
            if controls:
                raise _binary_error(controls, len(data), "bytes", path) from None
            _check_broken_utf8(data, path)
            decoded = _decode_legacy(data, path) or _decode_other(data, path)

    text = _normalize(decoded.text)
    _check_text(text, path, decoded.encoding)
    return DecodedText(text, decoded.encoding)


def read_text(path: str | Path, encoding: str | None = None) -> DecodedText:
    """Read a file and decode it with :func:`decode_bytes`; every failure is an InputError."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(
            "no such file",
            path=p,
            hint="Check the path (relative paths start from the current directory).",
        ) from None
    except IsADirectoryError:
        raise InputError(
            "this is a directory, not a file",
            path=p,
            hint="Give the path of a file inside it.",
        ) from None
    except PermissionError:
        raise InputError(
            "permission denied: cannot read the file",
            path=p,
            hint="Check the file's permissions (chmod +r) or run as a user who can read it.",
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read the file: {exc.strerror or exc}",
            path=p,
            hint="Check that the path is a regular, readable file.",
        ) from None
    return decode_bytes(data, path=p, encoding=encoding)


# --------------------------------------------------------------------------------------------
# Mojibake
# --------------------------------------------------------------------------------------------

#: Code pages that UTF-8 Russian text gets mis-decoded as, most common first. ftfy covers the
#: whole-text cases of cp1252/latin-1, cp1251, mac-roman and cp437; the others (and mojibake in
#: part of a paragraph) are handled by the run-by-run fallback below.
MOJIBAKE_CODEPAGES = (
    "cp1251",
    "cp1252",
    "latin_1",
    "mac_roman",
    "mac_cyrillic",
    "koi8_r",
    "cp866",
    "cp437",
    "iso8859_5",
)
#: Repairs must lower the Russian-model cost of the changed text by at least this much (nats).
MIN_REPAIR_GAIN = 10.0
#: ...and leave text that reads as Russian (cost per character). Loose on purpose: short words
#: cost more per letter (word start and end), "Ещё как" is 5.8; garbage from a wrong guess is
#: 8 and above. The real guard is the strict UTF-8 structure of the runs plus the gain.
MAX_REPAIRED_COST_PER_CHAR = 7.0


@dataclass(frozen=True)
class _Codepage:
    name: str
    to_byte: dict[str, int]
    runs: re.Pattern[str]
    probe: re.Pattern[str]


@cache
def _codepage(name: str) -> _Codepage:
    """Character -> byte map of a code page's upper half and a regex for UTF-8 shaped runs.

    "Sloppy": bytes the code page leaves undefined map to the C1 control of the same value,
    which is what Windows (and latin-1) produce for them.
    """
    to_byte: dict[str, int] = {}
    for b in range(0x80, 0x100):
        try:
            ch = bytes([b]).decode(name)
        except UnicodeDecodeError:
            ch = chr(b)
        to_byte.setdefault(ch, b)

    def cls(lo: int, hi: int) -> str:
        return "[" + "".join(re.escape(c) for c, b in to_byte.items() if lo <= b <= hi) + "]"

    lead2, lead3, lead4, cont = cls(0xC2, 0xDF), cls(0xE0, 0xEF), cls(0xF0, 0xF4), cls(0x80, 0xBF)
    seq = f"(?:{lead2}{cont}|{lead3}{cont}{{2}}|{lead4}{cont}{{3}})"
    return _Codepage(
        name=name,
        to_byte=to_byte,
        runs=re.compile(f"{seq}+"),
        probe=re.compile(f"{seq}{{2}}"),
    )


def _is_good_repaired_char(ch: str) -> bool:
    return ch in _RU_SET or ch in _TYPOGRAPHY or ch in _TRANSPARENT


def _repair_runs(text: str, cp: _Codepage) -> tuple[str, float] | None:
    """Repair the UTF-8 shaped runs of ``text`` read in ``cp``; (repaired text, gain) or None.

    A run is repaired when it decodes strictly as UTF-8 to (mostly) Russian letters and
    typography. At least one run must yield two or more Russian letters ("strong"); runs that
    yield a single letter ("Рё" -> "и") or only punctuation are repaired only alongside a strong
    one, because on their own they can be legitimate text.
    """
    if not cp.probe.search(text):
        return None
    pieces: list[tuple[int, int, str]] = []
    strong = False
    for m in cp.runs.finditer(text):
        run = m.group()
        try:
            fixed = bytes(cp.to_byte[c] for c in run).decode("utf-8")
        except UnicodeDecodeError:
            continue
        good = sum(1 for c in fixed if _is_good_repaired_char(c))
        if good < 0.8 * len(fixed):
            continue
        ru = sum(1 for c in fixed if c in _RU_SET)
        strong = strong or ru >= 2
        pieces.append((m.start(), m.end(), fixed))
    if not strong:
        return None
    before = russian_cost(" ".join(text[s:e] for s, e, _ in pieces))
    after = russian_cost(" ".join(f for _, _, f in pieces))
    gain = before.cost - after.cost
    if gain < MIN_REPAIR_GAIN or after.per_char > MAX_REPAIRED_COST_PER_CHAR:
        return None
    out: list[str] = []
    pos = 0
    for s, e, fixed in pieces:
        out.append(text[pos:s])
        out.append(fixed)
        pos = e
    out.append(text[pos:])
    return "".join(out), gain


def _ftfy_repair(text: str) -> str | None:
    """ftfy's encoding fixer alone: no quote uncurling, HTML unescaping, normalisation..."""
    import ftfy

    config = ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=False,
        fix_encoding=True,
        restore_byte_a0=True,
        replace_lossy_sequences=False,  # would insert U+FFFD
        decode_inconsistent_utf8=True,
        fix_c1_controls=False,  # would rewrite legitimate C1 controls as cp1252 characters
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        fix_surrogates=False,
        remove_control_chars=False,
        normalization=None,
        explain=False,
    )
    fixed = ftfy.fix_encoding(text, config)
    return fixed if fixed != text else None


def repair_mojibake(text: str) -> str | None:
    """Repair UTF-8 Russian that was decoded as another code page and saved; None if not that.

    "РњРѕР¶РЅРѕ" (cp1251), "ÐœÐ¾Ð¶Ð½Ð¾" (cp1252/latin-1), "–ú–æ–∂–Ω–æ" (mac-roman),
    "п°п╬п╤п╫п╬" (koi8-r)... all become "Можно". Text is only changed when the repaired version
    is much more plausible Russian (see :func:`russian_cost`), so ordinary Russian or English
    text, typography, stress marks and emoji come back as None. The repaired text is NFC.
    """
    if text.isascii():
        return None
    current = text
    fixed = _ftfy_repair(text)
    # Decoding UTF-8 always merges several characters into one, so a real repair is shorter;
    # that rules out ftfy's latin-1 -> cp1252 reinterpretation, which is not what we want here.
    if fixed is not None and len(fixed) < len(text):
        before, after = russian_cost(text), russian_cost(fixed)
        if (
            before.cost - after.cost >= MIN_REPAIR_GAIN
            and after.letters >= 2
            and after.odd + after.bad_case < before.odd + before.bad_case
            and after.per_char <= MAX_REPAIRED_COST_PER_CHAR
        ):
            current = fixed
    # ftfy may leave runs it does not recognise (other code pages, or part of a paragraph).
    best: tuple[str, float] | None = None
    for name in MOJIBAKE_CODEPAGES:
        result = _repair_runs(current, _codepage(name))
        if result is not None and (best is None or result[1] > best[1]):
            best = result
    if best is not None:
        current = best[0]
    if current == text:
        return None
    return unicodedata.normalize("NFC", current)
