"""Segmentation at import: UD-style tokens, offsets that never drift."""

from __future__ import annotations

from layerkit.nlp.segment import segment, segment_many


def _words(text: str) -> list[str]:
    return [text[a:b] for a, b in segment(text).tokens]


def test_hyphenated_words_stay_whole_as_in_ud() -> None:
    words = _words("По-видимому, кто-то из Санкт-Петербурга купил Т-34 — дёшево.")
    assert {"По-видимому", "кто-то", "Санкт-Петербурга", "Т-34"} <= set(words)
    assert "—" in words  # dashes still split


def test_marks_and_emoji_do_not_shift_offsets() -> None:
    text = "За\u0301мок и замо\u0301к; сверх\u00adпроводимость 😍 ёж."
    seg = segment(text)
    words = [text[a:b] for a, b in seg.tokens]
    assert "За\u0301мок" in words and "замо\u0301к" in words
    assert "сверх\u00adпроводимость" in words and "😍" in words and "ёж" in words
    assert all(text[a:b].strip() == text[a:b] for a, b in seg.tokens)


def test_sentences_cover_their_tokens() -> None:
    text = "Первое предложение. Второе, подлиннее! А третье?"
    seg = next(segment_many([text]))
    assert [text[a:b] for a, b in seg.sentences] == [
        "Первое предложение.",
        "Второе, подлиннее!",
        "А третье?",
    ]
    for a, b in seg.tokens:
        assert any(s <= a and b <= e for s, e in seg.sentences)
