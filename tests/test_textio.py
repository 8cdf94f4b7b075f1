"""Decoding users' files: encodings of Russian text, errors, normalisation, mojibake repair."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from layerkit.errors import InputError
from layerkit.textio import DecodedText, decode_bytes, read_text, repair_mojibake

# Plain punctuation only, so every Cyrillic code page can encode them.
SHORT = "Привет, мир! Как найти себя в этом мире?"  # one line, 40 characters
MEDIUM = (
    "Съешь же ещё этих мягких французских булок, да выпей чаю. "
    "Ветер стих, и над рекой поднялся густой белый туман."
)
LONG = (
    "В начале XIX века Москва была почти целиком деревянной, и пожар 1812 года уничтожил "
    "большую её часть.\n"
    "Восстановление заняло десятилетия, а облик улиц изменился до неузнаваемости.\n\n"
    "ДОГОВОР N 15\n"
    "Общество с ограниченной ответственностью, именуемое в дальнейшем Заказчик, "
    "с одной стороны, и гражданин Иванов И. И., с другой стороны, заключили настоящий "
    "договор о нижеследующем.\n\n"
    "Экономика растёт медленно: инфляция составила 7,4 %, а безработица около 3 %."
)
# With Russian typography, for the code pages that have it.
TYPOGRAPHIC = "«Мы не можем ждать милостей от природы», — говорил он… Ёжик в тумане."

LEGACY = ["cp1251", "koi8_r", "cp866", "mac_cyrillic", "iso8859_5"]


def write(tmp_path: Path, data: bytes, name: str = "input.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [SHORT, MEDIUM, LONG], ids=["short", "medium", "long"])
@pytest.mark.parametrize("encoding", LEGACY)
def test_legacy_cyrillic_encodings_are_detected(tmp_path: Path, encoding: str, text: str) -> None:
    path = write(tmp_path, text.encode(encoding))
    result = read_text(path)
    assert result.text == text
    assert result.encoding == codecs.lookup(encoding).name


@pytest.mark.parametrize("encoding", ["cp1251", "mac_cyrillic", "utf-8", "utf-16"])
def test_russian_typography_survives(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, TYPOGRAPHIC.encode(encoding))
    assert read_text(path).text == TYPOGRAPHIC


@pytest.mark.parametrize("text", [SHORT, MEDIUM, LONG], ids=["short", "medium", "long"])
@pytest.mark.parametrize(
    ("data_encoding", "bom", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16-le"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16-be"),
        ("utf-16-le", b"", "utf-16-le"),
        ("utf-16-be", b"", "utf-16-be"),
        ("utf-32-le", codecs.BOM_UTF32_LE, "utf-32-le"),
        ("utf-32-be", codecs.BOM_UTF32_BE, "utf-32-be"),
        ("utf-32-le", b"", "utf-32-le"),
    ],
)
def test_unicode_encodings(
    tmp_path: Path, text: str, data_encoding: str, bom: bytes, expected: str
) -> None:
    path = write(tmp_path, bom + text.encode(data_encoding))
    result = read_text(path)
    assert result == DecodedText(text, expected)
    assert not result.text.startswith("\ufeff")


def test_utf16_without_bom_and_without_ascii(tmp_path: Path) -> None:
    # No NUL byte at all: only the 0x04 high bytes give UTF-16 away.
    path = write(tmp_path, "Привет".encode("utf-16-le"))
    assert read_text(path) == DecodedText("Привет", "utf-16-le")


def test_ascii_is_utf8() -> None:
    assert decode_bytes(b"Hello, world") == DecodedText("Hello, world", "utf-8")


def test_non_cyrillic_legacy_text_goes_to_charset_normalizer() -> None:
    data = "The café served “crème brûlée” — délicieux.".encode("cp1252")
    result = decode_bytes(data)
    assert result.text == "The café served “crème brûlée” — délicieux."
    assert result.encoding == "cp1252"


def test_explicit_encoding_overrides_detection() -> None:
    data = SHORT.encode("koi8_r")
    assert decode_bytes(data).encoding == "koi8-r"
    # Any spelling Python knows is accepted and reported canonically.
    assert decode_bytes(data, encoding="KOI8-R") == DecodedText(SHORT, "koi8-r")
    # Where the given encoding reads as Russian too, it wins: cp1251 and mac-cyrillic differ
    # only in capitals (Ё, Я...), so either is taken as asked.
    mac = "Мама мыла раму. Ёж ел яблоко.".encode("cp1251")
    assert decode_bytes(mac, encoding="mac-cyrillic").encoding == "mac-cyrillic"
    assert decode_bytes(mac, encoding="mac-cyrillic").text != decode_bytes(mac).text


@pytest.mark.parametrize(
    ("text_encoding", "given"),
    [("koi8_r", "cp1251"), ("utf-8", "cp1251"), ("cp1251", "koi8-r"), ("utf-8", "latin-1")],
)
def test_explicit_encoding_that_makes_russian_garbage_is_refused(
    tmp_path: Path, text_encoding: str, given: str
) -> None:
    # Every byte means something in a single-byte code page: without this check the wrong
    # --encoding imported mojibake silently («РњР°РјР°» for «Мама»).
    data = SHORT.encode(text_encoding)
    detected = decode_bytes(data).encoding
    with pytest.raises(InputError, match="is not Russian text") as info:
        read_text(write(tmp_path, data), encoding=given)
    assert detected in info.value.message
    assert f"--encoding {detected}" in info.value.hint
    assert SHORT[:20] in info.value.message  # the text as it reads in the right encoding


def test_explicit_utf8_strips_bom() -> None:
    result = decode_bytes(codecs.BOM_UTF8 + SHORT.encode(), encoding="utf-8")
    assert result == DecodedText(SHORT, "utf-8-sig")


def test_explicit_encoding_that_does_not_fit(tmp_path: Path) -> None:
    path = write(tmp_path, "первая строка\n".encode("cp1251") + b"\x98")
    with pytest.raises(InputError) as info:
        read_text(path, encoding="cp1251")
    assert str(path) in str(info.value)
    assert "cp1251" in info.value.message
    assert info.value.line == 2
    assert "--encoding" in info.value.hint


def test_unknown_encoding_name() -> None:
    with pytest.raises(InputError, match="unknown encoding 'klingon'") as info:
        decode_bytes(b"abc", encoding="klingon")
    assert "cp1251" in info.value.hint


def test_too_short_to_tell_asks_for_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "Да".encode("cp866"))
    with pytest.raises(InputError, match="cannot tell the encoding") as info:
        read_text(path)
    assert str(path) in str(info.value)
    assert "--encoding" in info.value.hint


def test_koi8_is_not_mistaken_for_case_inverted_cp1251() -> None:
    # koi8-r read as cp1251 gives "пРИВЕТ"-style words: the scorer must see that.
    data = "Привет Москва".encode("koi8_r")
    garbled = data.decode("cp1251")  # "рТЙЧЕФ нПУЛЧБ"
    assert garbled[0].islower() and garbled[1:6].isupper()
    assert decode_bytes(data) == DecodedText("Привет Москва", "koi8-r")


# --- errors ------------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"", "empty.txt")
    with pytest.raises(InputError, match="empty") as info:
        read_text(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("data", [b"  \n\t\r\n ", codecs.BOM_UTF8 + b"\n", "\u00a0\n".encode()])
def test_whitespace_only_file(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, data, "blank.txt")
    with pytest.raises(InputError, match="only whitespace") as info:
        read_text(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "PNG"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00", "ZIP"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "ELF"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
    ],
)
def test_binary_formats_are_named(tmp_path: Path, data: bytes, what: str) -> None:
    path = write(tmp_path, data + bytes(range(256)), "picture.txt")
    with pytest.raises(InputError, match=what) as info:
        read_text(path)
    assert str(path) in str(info.value)
    assert "binary" in info.value.message
    assert info.value.hint


@pytest.mark.parametrize(
    "data",
    [
        b"some text\x00with a NUL in the middle",
        bytes(range(256)) * 4,
        bytes(range(1, 256)) * 4,  # no NUL, but control bytes everywhere
        "Привет".encode("cp1251") + b"\x01\x02\x03\x04\x05\x06\x07\x08" * 3,
    ],
)
def test_binary_data(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, data, "data.txt")
    with pytest.raises(InputError, match="binary") as info:
        read_text(path)
    assert str(path) in str(info.value)


def test_damaged_utf8_is_reported_not_guessed(tmp_path: Path) -> None:
    data = (SHORT + "\n" + MEDIUM).encode()
    cut = len((SHORT + "\n").encode()) + 10  # inside the second line
    damaged = data[:cut] + b"\xff" + data[cut:]
    path = write(tmp_path, damaged, "damaged.txt")
    with pytest.raises(InputError, match="UTF-8 except for") as info:
        read_text(path)
    assert str(path) in str(info.value)
    assert info.value.line == 2


def test_compressed_and_binary_with_explicit_encoding(tmp_path: Path) -> None:
    import bz2

    path = write(tmp_path, bz2.compress(SHORT.encode()), "text.txt.bz2")
    with pytest.raises(InputError, match="bzip2"):
        read_text(path)
    # --encoding does not make a PNG text.
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    with pytest.raises(InputError, match="PNG"):
        decode_bytes(png, encoding="latin-1")
    with pytest.raises(InputError, match="NUL"):
        decode_bytes(b"abc\x00def", encoding="latin-1")


def test_missing_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"
    with pytest.raises(InputError, match="no such file") as info:
        read_text(path)
    assert str(path) in str(info.value)
    assert info.value.hint


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="directory") as info:
        read_text(tmp_path)
    assert str(tmp_path) in str(info.value)
    assert info.value.hint


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod 000 does not stop root (CI containers), so simulate what open() raises.
    path = write(tmp_path, SHORT.encode())

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(InputError, match="permission denied") as info:
        read_text(path)
    assert str(path) in str(info.value)
    assert "permissions" in info.value.hint


def test_error_renders_title_message_and_hint(tmp_path: Path) -> None:
    path = write(tmp_path, b"", "empty.txt")
    with pytest.raises(InputError) as info:
        read_text(path)
    rendered = info.value.render()
    assert rendered.startswith("Error: Cannot read input\n")
    assert str(path) in rendered
    assert "\nHint: " in rendered


# --- normalisation -----------------------------------------------------------------------------


def test_nfc_composes_decomposed_letters() -> None:
    result = decode_bytes("е\u0308ж и\u0306од".encode())
    assert result.text == "ёж йод"
    assert unicodedata.is_normalized("NFC", result.text)


def test_line_ends_are_normalised() -> None:
    assert decode_bytes("а\r\nб\rв\nг".encode()).text == "а\nб\nв\nг"
    crlf = MEDIUM.replace(". ", ".\r\n") + "\r"
    assert decode_bytes(crlf.encode("cp1251")).text == MEDIUM.replace(". ", ".\n") + "\n"


def test_marks_and_emoji_are_kept() -> None:
    text = "Моло\u0301ко, бес\u00adпре\u00adце\u00adдент\u00adный, zero\u200bwidth, 👩\u200d💻 🎉"
    assert decode_bytes(text.encode()).text == text
    assert decode_bytes(text.encode("utf-16")).text == text


# --- mojibake ----------------------------------------------------------------------------------

SENTENCE = "Можно ли это исправить? Ещё как: всё получится."


def garble(text: str, codepage: str) -> str:
    """UTF-8 bytes of ``text`` read as ``codepage``; undefined bytes as C1 controls, as Windows."""
    out = []
    for byte in text.encode("utf-8"):
        try:
            out.append(bytes([byte]).decode(codepage))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


@pytest.mark.parametrize(
    ("garbled", "expected"),
    [
        ("РњРѕР¶РЅРѕ", "Можно"),  # cp1251
        ("ÐœÐ¾Ð¶Ð½Ð¾", "Можно"),  # cp1252 / latin-1
        ("–ú–æ–∂–Ω–æ", "Можно"),  # mac-roman
        ("п°п╬п╤п╫п╬", "Можно"),  # koi8-r
    ],
)
def test_repair_known_examples(garbled: str, expected: str) -> None:
    assert repair_mojibake(garbled) == expected


@pytest.mark.parametrize(
    "codepage",
    [
        "cp1251",
        "cp1252",
        "latin_1",
        "mac_roman",
        "mac_cyrillic",
        "koi8_r",
        "cp866",
        "cp437",
        "iso8859_5",
    ],
)
@pytest.mark.parametrize("text", [SENTENCE, SHORT, MEDIUM, TYPOGRAPHIC])
def test_repair_every_codepage(codepage: str, text: str) -> None:
    garbled = garble(text, codepage)
    assert garbled != text
    assert repair_mojibake(garbled) == text


def test_repair_part_of_a_paragraph() -> None:
    garbled = "Он сказал: " + garble("можно ли это исправить?", "cp1251") + " — и ушёл."
    assert repair_mojibake(garbled) == "Он сказал: можно ли это исправить? — и ушёл."
    garbled = "Он сказал: " + garble("можно ли это исправить?", "koi8_r") + " — и ушёл."
    assert repair_mojibake(garbled) == "Он сказал: можно ли это исправить? — и ушёл."


@pytest.mark.parametrize(
    "text",
    [
        SHORT,
        MEDIUM,
        LONG,
        TYPOGRAPHIC,
        "The quick brown fox jumps over the lazy dog",
        "«Ёлочки» — это кавычки, а „лапки“ — тоже.",
        "моло\u0301ко и сы\u0301р",
        "бес\u00adпре\u00adце\u00adдент\u00adный",
        "Привет 👋🏽 мир 🎉 👩\u200d💻",
        "Встреча с José Martínez и Françoise в Москве, а потом — в Café Pouchkine.",
        "Рёв мотора. Сё — старое слово.",
        "ЖЁЛТЫЙ ЛЁД, ВОЗ\u00adДУХ и В\u00a0Москве",
        "Café crème, naïve façade",
        "",
        "12345",
    ],
)
def test_no_false_repair(text: str) -> None:
    assert repair_mojibake(text) is None


# --- properties --------------------------------------------------------------------------------

RUSSIANISH = st.text(
    alphabet=st.sampled_from(
        list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ")
        + list(" ,.!?;:-()«»—…\"'")
        + ["\u0301", "\u00ad", "\n", "\r", "😀", "🎉", "👍", "\U0001f3fd", "\u200d"]
    ),
    min_size=1,
    max_size=120,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RUSSIANISH)
def test_utf8_round_trip(text: str) -> None:
    assume(text.strip())
    expected = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    assert decode_bytes(text.encode("utf-8")) == DecodedText(expected, "utf-8")


@settings(max_examples=300, deadline=None)
@given(RUSSIANISH)
def test_russianish_text_is_never_repaired(text: str) -> None:
    assert repair_mojibake(text) is None


@pytest.mark.parametrize("text", ["Заголовок\n", "Текст абзаца.\n", "Заголовок\n\nТекст абзаца.\n"])
def test_a_short_cp1251_file_is_not_taken_for_mac_cyrillic(text: str) -> None:
    """A heading or a line in cp1251 was refused as ambiguous: mac-cyrillic reads its
    capitals as symbols («»аголовок»), and so short a text scored almost as well."""
    decoded = decode_bytes(text.encode("cp1251"))
    assert decoded.text == text and decoded.encoding == "cp1251"


def test_mac_cyrillic_quotes_are_not_read_as_cp1251_capitals() -> None:
    """The rule above reads capitals that start words only: mac-cyrillic's quotes around a
    word are not taken for cp1251's capitals (ЗЊамаИ)."""
    text = "«Мама» мыла раму, «папа» читал.\n"
    decoded = decode_bytes(text.encode("mac_cyrillic"))
    assert decoded.text == text and decoded.encoding == "mac-cyrillic"
