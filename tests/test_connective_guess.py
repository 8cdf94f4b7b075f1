"""The connective a new discourse relation is pre-filled with (``relations.guess_connective``):
the annotator types one only where the guess is wrong, so each rule here saves keys."""

from __future__ import annotations

import pytest

from layerkit.store import Annotation
from layerkit.tui.relations import guess_connective


def units(text: str, *parts: str) -> list[Annotation]:
    """Span annotations over each of ``parts`` (found in ``text`` in order)."""
    found, at = [], 0
    for i, part in enumerate(parts, start=1):
        start = text.index(part, at)
        at = start + len(part)
        found.append(
            Annotation(
                id=i,
                paragraph_id=1,
                layer="logical",
                kind="span",
                field="unit",
                start=start,
                end=at,
                annotator="t",
            )
        )
    return found


@pytest.mark.parametrize(
    ("text", "parts", "link", "expected"),
    [
        # a marker between adjacent units
        (
            "Пошёл дождь, поэтому матч отменили.",
            ("Пошёл дождь", "матч отменили"),
            (0, 1),
            "поэтому",
        ),
        # «и», «а» opening the words between: the connective
        (
            "Луна удаляется, и, по оценкам учёных, сутки растут.",
            ("Луна удаляется", "сутки растут"),
            (0, 1),
            "и",
        ),
        (
            "В будни билет стоит 100 рублей, а в выходные 150.",
            ("В будни билет стоит 100 рублей", "в выходные 150"),
            (0, 1),
            "а",
        ),
        # a marker after a parenthetical
        (
            "Они ушли рано, однако, как сказал Орлов, заблудились.",
            ("Они ушли рано", "заблудились"),
            (0, 1),
            "однако",
        ),
        # another unit between the two: the marker before the later one joins that nearer unit
        (
            "Доехал я хорошо. Общежитие старое, но в комнате тепло.",
            ("Доехал я хорошо", "Общежитие старое", "в комнате тепло"),
            (0, 2),
            "",
        ),
        # a word deep inside the later unit is not its connective...
        (
            "Есть гипотеза. Звук возникает, когда мышцы сокращаются.",
            ("Есть гипотеза", "Звук возникает, когда мышцы сокращаются"),
            (0, 1),
            "",
        ),
        # ...but one it sets off with commas is
        (
            "Задание короткое. Упражнения, напротив, утомляют.",
            ("Задание короткое", "Упражнения, напротив, утомляют"),
            (0, 1),
            "напротив",
        ),
        # a subordinator opening the earlier unit
        ("Если пойдёт дождь, матч отменят.", ("Если пойдёт дождь", "матч отменят"), (1, 0), "если"),
        # «так что» is one marker, not «что» alone
        (
            "Билеты кончились, так что мы остались дома.",
            ("Билеты кончились", "мы остались дома"),
            (0, 1),
            "так что",
        ),
        # nothing: implicit
        ("Пробки растут. Город строит метро.", ("Пробки растут", "Город строит метро"), (1, 0), ""),
    ],
)
def test_guess_connective(
    text: str, parts: tuple[str, ...], link: tuple[int, int], expected: str
) -> None:
    spans = units(text, *parts)
    source, target = spans[link[0]], spans[link[1]]
    assert guess_connective(text, source, target, spans) == expected
