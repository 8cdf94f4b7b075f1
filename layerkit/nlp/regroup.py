"""Tokens spaCy cuts where Russian UD keeps one (and one it keeps where UD cuts), mended.

spaCy's Russian tokenizer splits off symbols and punctuation one character at a time. In social
media text that leaves tokens UD never has, some of them invisible on an annotator's screen:

- an emoji's variation selector (❤ + U+FE0F), skin tone (👍 + 🏽), zero-width joiner
  (👨 + U+200D + 👩) and each letter of a flag (🇷 + 🇺) become tokens of their own; UD Taiga
  keeps a run of emoji written without a space as one token (``🌊🥰``, ``😍😍😍``);
- ``!!!``, ``?!``, ``!..``, ``?...`` become one token a character (UD Taiga and Poetry keep the
  run: 36 ``!!!``, 19 ``!..``, 9 ``!!`` in Taiga's dev and extra files);
- a smiley ``)))`` becomes three brackets (Taiga: one token), and a hashtag or mention
  ``#сочи``, ``@user`` two tokens (Taiga: one);
- ``т. е.``, ``и т. д.`` and ``XIX в.`` lose their abbreviations' periods (``т`` + ``.``);
- HTML entities left in a text (``&lt;``, ``&#39;&#39;``: UD GSD and Poetry keep them as one
  token) and typewriter quotes ````` `` ````` and ``''`` fall apart;
- the other way, a hyphen written at the end of a word before a space (``Фото- чудо``) is a
  dash and a token of its own in UD, where spaCy leaves it on the word.

Tokens that hold a space (spaCy's special cases ``и др.``, ``д-р биол. наук``) are cut at it:
a CoNLL-U FORM of Russian may hold none. Sentences are mended too: emoji right after a
sentence's final mark end that sentence, emoji, a smiley, a hashtag or a link before a capital
end one, a reply's mention (``@user``) starts one, an abbreviation's period before a lowercase
word (``т. е. слегка``, ``XVII в., когда``) ends none, and ``и т. д.`` before a capital ends
one.

Hyphenated words (``кто-то``, ``из-за``, ``северо-западная``) stay whole, as in UD Russian's
treebanks; the particles ``-то``, ``-ка``, ``-де`` after a word that makes no indefinite pronoun
with them are cut off (``наконец - то``, ``давай - ка``), and so are two words inflected
together that the dictionary knows apart but not as one (``правду - матку``), as GSD, Taiga and
Poetry have them.

Measured with ``layerkit.nlp.segment`` on the raw ``# text`` of the UD files in
``shared/data/ud`` (token F1 against the gold tokens: README, "Tokens as UD has them").
Offsets stay code-point offsets into the unchanged text: tokens are only joined or cut, never
moved.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

from layerkit.nlp.lines import split_at_lines

Span = tuple[int, int]

# Emoji and what binds to them: pictographs and symbols, skin tones, variation selectors, the
# zero-width joiner, regional-indicator letters (flags), the keycap mark and tag characters.
_EMOJI_CHARS = (
    "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff"
    "\u200d\ufe0e\ufe0f\u20e3\U000e0020-\U000e007f"
)
_EMOJI = re.compile(f"[{_EMOJI_CHARS}]+")
_BANG = re.compile(r"[!?.…]+")  # end-of-sentence marks, repeated or mixed
_SMILEY = re.compile(f"[{_EMOJI_CHARS}]+|\\)+|\\(+|[:;]-?[()DPdp]")
# runs a token of their own however spaCy cuts them: HTML entities, typewriter quotes
_WHOLE = re.compile(
    r"(?:&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);)+|``|''"
    # a phone number (UD Taiga: «+7-977-429-83-44» one token; a range has one hyphen)
    r"|(?<![\w-])\+?[0-9]+(?:-[0-9]+){2,}(?![\w-])"
)
_NUMERAL = re.compile(r"[0-9]+|[IVXLC]+")
_SPACE = re.compile(r"\s")
#: what a token that :func:`_cut_token` may cut holds: a hyphen, a slash, a currency sign, т.
_CUTTABLE = re.compile(r"[-/₽$€£¥]|[тТ]\.")
_COMPOUND = re.compile(r"([а-яёА-ЯЁ]{2,})-([а-яёА-ЯЁ]{2,})")
_PRICE = re.compile(r"([0-9]+(?:[.,][0-9]+)?)([₽$€£¥])(?:(/)(\w+))?")
_PARTICLE = re.compile(r"(\w+)-(то|ка|де)", re.IGNORECASE)
#: the words that make an indefinite pronoun or adverb with ``-то`` (one token in UD)
_INDEFINITE_WORDS = (
    "кто кого кому кем ком что чего чему чем чём какой какая какое какие какого какому "
    "каким каком какую каких какими где когда куда откуда почему зачем отчего как "
    "чей чья чьё чье чьи чьего чьей чьему чьим чьём чьих чьими чью сколько скольких "
    "скольким сколькими каков какова каково каковы"
)
_INDEFINITE_STEMS = frozenset(_INDEFINITE_WORDS.split())
_WORD = re.compile(r"\S+")
#: the letters abbreviated after ``т.`` (т. д., т. е., т. п., т. к., т. н., в т. ч.), and
#: those of them that close a list (т. д., т. п.: a capital after them starts a sentence);
#: the lists below are made from these two
_AFTER_T_LETTERS = "депкнч"
_CLOSING_AFTER_T = "дп"
_AFTER_T = frozenset(_AFTER_T_LETTERS + "ё")  # (ё: т. е. typed with ё)
_ABBREVIATION_PAIR = re.compile(f"[тТ]\\.[{_AFTER_T_LETTERS}]\\.")  # т.д. without a space
#: abbreviations whose period ends no sentence when lowercase follows
_ABBREVIATION_WORDS = (
    "т е д п к н ч в вв г гг см ср рис стр ст ул им др пр проч тыс млн млрд руб коп кв обл "
    "гл прим примеч напр англ лат франц фр нем греч букв сокр ок св ж м о р пос дер "
    "ум род реж гр тел н э"
)
#: abbreviations that are no word of their own, so a period right after one is its own (UD
#: keeps it on the token: «рт.», «табл.», «г.»); words a sentence may end with («рис»: rice,
#: «им», «мин», «букв») are not among them
_JOINED_WORDS = (
    "см рт ст табл стр гл ч с г гг тыс млн млрд руб коп долл кв ул обл проф доц акад напр "
    "англ франц фр греч сокр прим примеч пос дер ср экз разд шт"
)
_JOINED = frozenset(_JOINED_WORDS.split())
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split()) | _JOINED
#: abbreviations a number follows without ending the sentence («рис. 3», «с. 15», «ч. 2»)
_BEFORE_NUMBER_WORDS = "рис табл с стр ч гл т п ст см г гг ок род ум тел разд"
_BEFORE_NUMBER = frozenset(_BEFORE_NUMBER_WORDS.split())
#: tokens after which a mention goes on the sentence (a retweet's «RT @user:», «от @user»)
_BEFORE_MENTION = frozenset(["RT", ",", ":", "-", "—", "(", "«", '"', "_", "👉", "→"])
#: prepositions (and «помощью» of «с помощью»), after which a mention goes on the sentence too
_PREPOSITIONS_WORDS = (
    "в во на с со к ко у о об от до для за по про без через при из над под перед между помощью"
)
_PREPOSITIONS = frozenset(_PREPOSITIONS_WORDS.split())
#: how a link starts; a hashtag or a link: social media put them at a post's end, before the
#: next post's capital
_LINK_START = r"https?://|www\."
_LINK = re.compile(_LINK_START)
_TAG_OR_LINK = re.compile(rf"#\w|{_LINK_START}")
#: characters whose runs are rulers or decoration, one token each
_RULER_CHARS = frozenset("_=*+~-")
_GLUED_MARK = re.compile(r"[!?…]+\)*|\)+")
_PAIR_NO_PERIOD = re.compile(f"[тТ]\\.[{_AFTER_T_LETTERS}]")  # «Т.к» of «Т.к.»: spaCy's cut
#: abbreviations no sentence ends with (``т.``; ``см.``, ``ср.``: "see", "compare"), and
#: those that end none after ``т.`` (т. е., т. к., т. н., в т. ч.)
_NEVER_LAST = frozenset(["т.", "см.", "ср.", "напр."])
_AFTER_T_LAST = frozenset(f"{c}." for c in _AFTER_T_LETTERS if c not in _CLOSING_AFTER_T)
#: abbreviations that close a list, and the word before them: a capital after them starts a
#: sentence
_CLOSING = {**{f"{c}.": ("т.",) for c in _CLOSING_AFTER_T}, "др.": ("и",), "пр.": ("и",)}
_CLOSING_SEEN = re.compile(
    "(?<!\\w)(?:" + "|".join(re.escape(word[:-1]) for word in _CLOSING) + ")\\."
)
_CANDIDATE = re.compile(
    f"[{_EMOJI_CHARS}]|[!?.…][!?.…]|[0-9]-[0-9]+-[0-9]|__|==|\\*\\*|\\+\\+|\\)\\)|\\(\\(|[#@]\\w|\\w[-/](?:\\s|$)|[0-9][₽$€£¥]"
    + f"|{_LINK_START}"
    + r"|&#?\w+;|``|''|(?<!\w)(?:[тТвВ]|вв|ВВ)\.|\w-(?:[тТ][оО]|[кК][аА]|[дД][еЕ])\b|[а-яё]{2}-[а-яё]{2}"
    + "|(?i:(?<!\\w)(?:"
    + "|".join(sorted(_JOINED, key=len, reverse=True))
    + ")\\.)"
)


def regroup(text: str, sentences: list[list[Span]]) -> list[list[Span]]:
    """``sentences`` (token spans of each sentence, in order) with tokens joined and cut as UD
    has them (see the module docstring); a token joined across a sentence boundary stays in
    the earlier sentence. Text with nothing to mend costs one regular-expression search."""
    sentences = _cut_at_spaces(text, sentences)
    if not _CANDIDATE.search(text):
        return split_at_lines(text, _join_after_abbreviations(text, sentences))
    whole = {m.start(): m.end() for m in _WHOLE.finditer(text)}
    # and where a run of emoji ends inside a token: spaCy cuts «👍🏽.» as «👍» «🏽.», the skin
    # tone (or ❤'s variation selector) glued to the period; cut there, the tone joins its emoji
    emoji_ends = (m.end() for m in _EMOJI.finditer(text))
    cuts = sorted({*whole, *whole.values(), *emoji_ends})
    tokens: list[tuple[int, int, int]] = []  # (start, end, sentence index)
    until = -1  # the end of a run being kept whole
    brackets = _Brackets(text)
    for index, sentence in enumerate(sentences):
        for start, end in _cut(sentence, cuts):
            if tokens:
                last_start, last_end, last_index = tokens[-1]
                if last_end == start and (
                    end <= until or _joins(text, tokens, last_start, start, end, brackets)
                ):
                    tokens[-1] = (last_start, end, last_index)
                    continue
            tokens.append((start, end, index))
            until = whole.get(start, -1)
    out: list[list[Span]] = [[] for _ in sentences]
    for start, end, index in tokens:
        out[index].extend(_cut_token(text, start, end))
    kept = [sentence for sentence in out if sentence]
    _close_with_emoji(text, kept)
    kept = _split_after_smileys(text, [sentence for sentence in kept if sentence])
    return split_at_lines(text, _join_after_abbreviations(text, kept))


def _split_after_smileys(text: str, sentences: list[list[Span]]) -> list[list[Span]]:
    """Sentences cut after emoji or a smiley (``)))``) that follow a word and come before a
    capital (``огонь))) Кто-то``): in UD's files 208 sentences end with one, and two go on
    after one into a capital. spaCy's sentencizer ends sentences at punctuation only. So do a
    hashtag and a link before a capital (a post's last words: ``#сочи Вау!``; in UD Taiga 35
    such capitals start a sentence, 5 go on); then mentions (:func:`_split_before_mentions`)."""

    def ends(sentence: list[Span], i: int) -> bool:
        word = text[sentence[i][0] : sentence[i][1]]
        return text[sentence[i + 1][0] : sentence[i + 1][0] + 1].isupper() and bool(
            (
                _SMILEY.fullmatch(word)
                and not _SMILEY.fullmatch(text[sentence[i + 1][0] : sentence[i + 1][1]])
                and word not in ("(", ")")
            )
            or _TAG_OR_LINK.match(word)
        )

    return _split_before_mentions(text, _cut_after(sentences, ends))


def _split_before_mentions(text: str, sentences: list[list[Span]]) -> list[list[Span]]:
    """Sentences cut before a mention (``@user``) that follows a word: in comment threads
    each reply starts with the name it answers (``красиво) @anna спасибо``), and UD Taiga
    starts a sentence there (78 of 84 mentions in its dev file). Not after another mention,
    a retweet's ``RT``, punctuation that leads into it or a preposition (``с помощью
    @YouTube``, ``от @user``). Sentence F1 on Taiga dev 0.7286 → 0.7557, on Taiga's older
    train file 0.7713 → 0.7767."""

    def ends(sentence: list[Span], i: int) -> bool:  # (before the mention that follows)
        before = text[sentence[i][0] : sentence[i][1]]
        word = text[sentence[i + 1][0] : sentence[i + 1][1]]
        return (
            word.startswith("@")
            and len(word) > 1
            and not before.startswith("@")
            and before not in _BEFORE_MENTION
            and before.lower() not in _PREPOSITIONS
        )

    return _cut_after(sentences, ends, first=0)


def _cut_after(
    sentences: list[list[Span]], ends: Callable[[list[Span], int], bool], first: int = 1
) -> list[list[Span]]:
    """``sentences`` with each cut after every token ``i`` (from ``first`` to the one before
    its last) for which ``ends(sentence, i)``: what the sentence rules below share."""
    out: list[list[Span]] = []
    for sentence in sentences:
        start = 0
        for i in range(first, len(sentence) - 1):
            if ends(sentence, i):
                out.append(sentence[start : i + 1])
                start = i + 1
        out.append(sentence[start:])
    return out


def _split_after_closing_abbreviations(text: str, sentences: list[list[Span]]) -> list[list[Span]]:
    """Sentences cut after ``и т. д.``, ``и т. п.``, ``и др.``, ``и пр.`` where a capital
    follows: the abbreviation's period is the sentence's (spaCy keeps ``д.`` as one token and
    its sentencizer ends no sentence there; UD ends nine sentences so and none goes on)."""
    if not _CLOSING_SEEN.search(text):
        return sentences

    def ends(sentence: list[Span], i: int) -> bool:
        word = text[sentence[i][0] : sentence[i][1]]
        return (
            word in _CLOSING
            and text[sentence[i - 1][0] : sentence[i - 1][1]].lower() in (_CLOSING[word])
            and text[sentence[i + 1][0] : sentence[i + 1][0] + 1].isupper()
        )

    return _cut_after(sentences, ends)


def _join_after_abbreviations(text: str, sentences: list[list[Span]]) -> list[list[Span]]:
    """Sentences spaCy's sentencizer ended at an abbreviation's period joined again: one that
    starts in lowercase after an abbreviation (``(т. е. слегка``, ``XIX в. было``, ``см.
    рис.``) goes on; then cut after the abbreviations that close a list. (Any period before
    lowercase would be wrong as often as right in UD's poetry and social media, where
    sentences do start in lowercase.)"""
    joined: list[list[Span]] = []
    for sentence in sentences:
        if joined:
            _move_opening_marks(text, joined[-1], sentence)
            if not joined[-1]:
                joined.pop()
        if joined and (
            _goes_on(text, joined[-1], sentence) or _speech_goes_on(text, joined[-1], sentence)
        ):
            joined[-1].extend(sentence)
        else:
            joined.append(sentence)
    return _split_at_missed_ends(text, _split_after_closing_abbreviations(text, joined))


_ELLIPSIS = re.compile(r"[!?]*(?:\.{3,}|…+)[!?.…]*")
#: abbreviations of units and amounts, whose period ends a sentence before a capital when a
#: number comes before them (``92,35 руб. Об этом``, ``в 1869 г. Это``; ``г. Москве`` goes on)
_AFTER_NUMBER_WORDS = "руб коп долл тыс млн млрд г гг экз шт"
_AFTER_NUMBER = frozenset(_AFTER_NUMBER_WORDS.split())
_MISSED_END_SEEN = re.compile(r"…|\.\.\.|\.\s+[A-ZА-ЯЁ]")


def _split_at_missed_ends(text: str, sentences: list[list[Span]]) -> list[list[Span]]:
    """Sentences cut where spaCy's sentencizer, which looks for one-character marks, sees no
    end: after a link's final mark (cut from the link: :func:`_cut_link_end`), after an
    ellipsis (``Он помолчал… Потом ушёл.``; in UD's files 97 sentences end
    with one before a capital, 10 go on) and after the abbreviation of a unit or amount that
    follows a number (``составил 92,35 руб. Об этом``: its period is the sentence's too), where
    a capitalized word follows (not one in capitals: ``долл. США``)."""
    if not _MISSED_END_SEEN.search(text):
        return sentences

    def ends(sentence: list[Span], i: int) -> bool:
        following = text[sentence[i + 1][0] : sentence[i + 1][1]]
        if not following[:1].isupper() or (len(following) > 1 and following.isupper()):
            return False
        word = text[sentence[i][0] : sentence[i][1]]
        before = text[sentence[i - 1][0] : sentence[i - 1][1]]
        return bool(
            _ELLIPSIS.fullmatch(word)
            or (_BANG.fullmatch(word) and _LINK.match(before))
            or (
                word.endswith(".")
                and word[:-1].lower() in _AFTER_NUMBER
                and (before[:1].isdigit() or _NUMERAL.fullmatch(before) is not None)
            )
        )

    return _cut_after(sentences, ends)


_DASHES = frozenset({"—", "–", "-", "--"})
_OPENING = frozenset({"«", "„", "(", "["})
#: the text before a mark ends with a sentence's end (``отец!»``, ``киргиз.``)
_ENDS_SENTENCE = re.compile(r"[.!?…][»“\")]*\s*$")
_SPEECH_END = re.compile(r"[!?…]+[.!?…]*[»“\")]*|[.!?…]*[»“\")]+")


def _move_opening_marks(text: str, before: list[Span], sentence: list[Span]) -> None:
    """An opening quote or bracket that spaCy left at the end of a sentence (``спросила она.
    «``) starts the next one (``«Нет», — ответил он.``), and so does the dash that opens the
    next words of speech after a finished sentence (``ответил он. — Куда ты?``, ``отец!» —
    «Увы!``), a verse's line mark (``киргиз. / Я``) and an ellipsis that opens the next
    sentence (``узких. ... Неизлечимостью``). Moved in place."""
    while sentence and before:
        last = text[before[-1][0] : before[-1][1]]
        if last in _OPENING or (
            (last in _DASHES or last == "/" or _ELLIPSIS.fullmatch(last))
            and len(before) > 1
            and _ENDS_SENTENCE.search(text, max(0, before[-1][0] - 8), before[-1][0])
            and _first_letter(text, sentence).isupper()
        ):
            sentence.insert(0, before.pop())
        else:
            break


def _speech_goes_on(text: str, before: list[Span], sentence: list[Span]) -> bool:
    """Russian direct speech: the author's words after a quote go on its sentence, as UD
    Russian has them: ``«Ты придёшь?» — спросила она.``, ``— Куда ты? — спросил отец.``. That
    is a dash, then a lowercase word, after a quote or a question or exclamation; spaCy's
    sentencizer ended the sentence after the dash or before it."""
    if not before or not sentence:
        return False

    def word(span: Span) -> str:
        return text[span[0] : span[1]]

    if word(before[-1]) in _DASHES:  # «…?» — | спросила она.
        return word(sentence[0])[:1].islower()
    if word(sentence[0]) in _DASHES and len(sentence) > 1:  # «…?» | — спросила она.
        return word(sentence[1])[:1].islower() and bool(_SPEECH_END.fullmatch(word(before[-1])))
    return False


def _goes_on(text: str, before: list[Span], sentence: list[Span]) -> bool:
    """Whether ``sentence`` continues ``before``: ``before`` ends with an abbreviation that
    ends no sentence (``т.``, ``т. е.``, ``см.``), or ``sentence`` starts in lowercase after the
    period of any abbreviation (one token, ``т.``, or a word and its period)."""
    last = text[before[-1][0] : before[-1][1]]
    if before[-1][1] == sentence[0][0] and _GLUED_MARK.fullmatch(last):
        return True  # «Ура!!!Мы победили»: a mark glued to the next word ends no sentence
    if last == "." and len(before) > 1 and before[-2][1] == before[-1][0]:
        last = text[before[-2][0] : before[-1][1]]
    lower = last.lower()
    if len(before) == 1 and lower.endswith(".") and lower[:-1] in _ABBREVIATIONS:
        return True  # «Проф.» | «Иванов выступил»: an abbreviation alone is no sentence
    if lower in _NEVER_LAST or (
        lower in _AFTER_T_LAST
        and len(before) > 1
        and text[before[-2][0] : before[-2][1]].lower() == "т."
    ):
        return True
    first = _first_letter(text, sentence)
    if last in _NO_END and (first.islower() or first.isdigit()):
        # «XVIII--XIX вв., назвали», «spp., бактериальные»: spaCy's sentencizer ends a
        # sentence at the first word after a period, and the punctuation between stays with
        # it (a list's item may end with a comma before a capital: «100 гр., -Сгущенное»)
        return True
    if first.isdigit():  # «рис. 3», «на с. 15»
        return last.endswith(".") and lower[:-1] in _BEFORE_NUMBER
    if not first.islower():
        return False
    return last.endswith(".") and lower[:-1] in _ABBREVIATIONS


#: marks no sentence ends with
_NO_END = frozenset([",", ";"])
#: marks that may open a sentence before its first word
_OPENING_MARKS = frozenset("«„“\"'`([")


def _first_letter(text: str, sentence: list[Span]) -> str:
    """The first character of the sentence's first token that is no opening quote or bracket
    (``(bons de liquidation)``, ````весенний``: the word decides whether it goes on)."""
    for start, end in sentence:
        word = text[start:end]
        if not all(c in _OPENING_MARKS for c in word):
            return word[:1]
    return ""


def _close_with_emoji(text: str, sentences: list[list[Span]]) -> None:
    """Emoji and smileys right after a sentence's final ``!``, ``.`` or ``?`` end that sentence
    (``Безумно красиво! 😍😍😍``), as in UD Taiga; spaCy's sentencizer starts the next one with
    them. Moved in place; a sentence left empty is removed by the caller."""
    for before, sentence in itertools.pairwise(sentences):
        if not before or not _BANG.fullmatch(text[before[-1][0] : before[-1][1]]):
            continue
        moved = False
        while sentence and _SMILEY.fullmatch(text[sentence[0][0] : sentence[0][1]]):
            before.append(sentence.pop(0))
            moved = True
        # marks left after them go too («Стоит. 😀!»: «!» was a sentence of its own)
        if moved and all(_BANG.fullmatch(text[start:end]) for start, end in sentence):
            before.extend(sentence)
            sentence.clear()


def _cut_at_spaces(text: str, sentences: list[list[Span]]) -> list[list[Span]]:
    """Tokens cut where they hold whitespace: spaCy's special cases (``и др.``, ``и т.д.``,
    ``д-р биол. наук``) are one token each, and a CoNLL-U FORM of Russian may hold no space
    (the UD validator refuses one at level 4: ``invalid-word-with-space``)."""
    search = _SPACE.search
    if not any(end - start > 2 and search(text, start, end) for s in sentences for start, end in s):
        return sentences
    out = []
    for sentence in sentences:
        tokens: list[Span] = []
        for start, end in sentence:
            if end - start > 2 and search(text, start, end):
                tokens.extend(m.span() for m in _WORD.finditer(text, start, end))
            else:
                tokens.append((start, end))
        out.append(tokens)
    return out


def _cut(sentence: list[Span], cuts: list[int]) -> Iterator[Span]:
    """The sentence's tokens, each cut where a run kept whole starts or ends inside it
    (``регги&#39;&#39;``: spaCy leaves the entity on the word)."""
    for start, end in sentence:
        i = bisect.bisect_right(cuts, start)
        while i < len(cuts) and cuts[i] < end:
            yield start, cuts[i]
            start = cuts[i]
            i += 1
        yield start, end


class _Brackets:
    """How many round brackets are open before each ``)`` of a text (a smiley's test), worked
    out once and only if asked: a count of the text before every candidate would be quadratic
    in a long paragraph. A ``)`` with none open closes nothing, and a smiley's brackets do not
    close the ones opened after them."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def depth_before(self) -> dict[int, int]:
        depths: dict[int, int] = {}
        depth = 0
        for i, c in enumerate(self.text):
            if c == "(":
                depth += 1
            elif c == ")":
                depths[i] = depth
                depth = max(0, depth - 1)
        return depths

    def open_before(self, position: int) -> bool:
        """Whether a bracket is open at the ``)`` at ``position``."""
        return self.depth_before.get(position, 0) > 0


def _joins(
    text: str,
    tokens: list[tuple[int, int, int]],
    first_start: int,
    start: int,
    end: int,
    brackets: _Brackets,
) -> bool:
    """Whether the token ``text[start:end]`` belongs to the one before it (the last of
    ``tokens``), which starts at ``first_start`` and ends at ``start`` (no space between)."""
    first, second = text[first_start:start], text[start:end]
    if second == "." and (
        len(first) <= 2 or first.lower() in _JOINED or _PAIR_NO_PERIOD.fullmatch(first)
    ):
        return _abbreviation(text, tokens, first)
    if _EMOJI.fullmatch(first) and _EMOJI.fullmatch(second):
        return True
    if _BANG.fullmatch(first) and _BANG.fullmatch(second):
        return True
    if second[:1] in _RULER_CHARS and set(first) == set(second) == {second[0]}:
        return True  # «________», «====»: a ruler is one token (spaCy cuts «_» one by one)
    if first in ("#", "@"):
        return second[:1].isalnum() or second[:1] == "_"
    if second == ")" and set(first) == {")"}:
        # a smiley, not brackets closing: no bracket before it is left open
        return not brackets.open_before(first_start)
    if second == "(" and set(first) == {"("}:
        run_end = end
        while text[run_end : run_end + 1] == "(":
            run_end += 1
        after = text[run_end : run_end + 1]
        return not after or after.isspace()  # ((( before a space: a sad smiley, opening nothing
    return False


def _abbreviation(text: str, tokens: list[tuple[int, int, int]], word: str) -> bool:
    """Whether ``word`` followed by a period is one of the abbreviations UD keeps with it:
    ``т.`` (never a word of its own), a letter after ``т.`` (``т. е.``), ``в.``/``вв.``
    (century) after a numeral (``XIX в.``)."""
    lower = word.lower()
    if lower == "т" or lower in _JOINED or _PAIR_NO_PERIOD.fullmatch(word):
        return True
    before = text[tokens[-2][0] : tokens[-2][1]] if len(tokens) > 1 else ""
    if lower in _AFTER_T:
        return before.lower() == "т."
    if lower in ("в", "вв"):
        return _NUMERAL.fullmatch(before) is not None
    return False


def _cut_token(text: str, start: int, end: int) -> list[Span]:
    """The token ``text[start:end]`` cut where UD cuts it (each rule on the pieces of the one
    before: a dash or slash at its end, a particle, a compound, ``т.д.``)."""
    if not _CUTTABLE.search(text, start, end):
        return [(start, end)]  # (most tokens: one search instead of four rules)
    pieces = [(start, end)]
    for cut in (_cut_link_end, _cut_marks, _cut_particle, _cut_compound, _cut_abbreviation_pair):
        pieces = [piece for part in pieces for piece in cut(text, *part)]
    return pieces


def _cut_particle(text: str, start: int, end: int) -> list[Span]:
    """A word and the particle ``-то``, ``-ка`` or ``-де`` after it are three tokens, as UD
    has them (``наконец - то``, ``я - то``, ``давай - ка``), where the word is no pronoun that
    makes an indefinite one with it (``кто-то``, ``какой-то``, ``где-то`` stay whole)."""
    match = _PARTICLE.fullmatch(text, start, end)
    if match is None or match.group(1).lower() in _INDEFINITE_STEMS:
        return [(start, end)]
    hyphen = match.start(2) - 1
    return [(start, hyphen), (hyphen, hyphen + 1), (hyphen + 1, end)]


def _cut_abbreviation_pair(text: str, start: int, end: int) -> list[Span]:
    """``т.д.``, ``т.е.``, ``т.п.``, ``т.к.`` written without a space are two tokens, as
    written with one (``т.`` ``д.``: UD Taiga; spaCy keeps them whole)."""
    if end - start == 4 and _ABBREVIATION_PAIR.fullmatch(text, start, end):
        return [(start, start + 2), (start + 2, end)]
    return [(start, end)]


def _cut_compound(text: str, start: int, end: int) -> list[Span]:
    """Two words joined by a hyphen that the dictionary (pymorphy3's) knows apart but not
    together, both inflected in a common case, are three tokens, as UD has them (``правду -
    матку``, ``грусть - забота``, ``две - три``: "compounds whose first part inflects"). A
    hyphenated word of the dictionary (``из-за``, ``по-моему``, ``интернет-магазин``), one
    with a part it does not know (``северо-западная``, ``бизнес-ланч``) or whose first part
    does not inflect with the second (``лечебно-оздоровительный``, ``лорд-адмирала``) stays
    whole."""
    match = _COMPOUND.fullmatch(text, start, end)
    if match is None:
        return [(start, end)]
    from layerkit.nlp.analyzer import morph

    analyzer = morph()
    known = analyzer.word_is_known
    first, second = match.group(1).lower(), match.group(2).lower()
    if known(text[start:end].lower()) or not (known(first) and known(second)):
        return [(start, end)]
    if not _cases(analyzer, first) & _cases(analyzer, second):
        return [(start, end)]  # no first part that inflects with the second (лорд-адмирала)
    hyphen = match.end(1)
    return [(start, hyphen), (hyphen, hyphen + 1), (hyphen + 1, end)]


def _cases(analyzer: Any, word: str) -> set[str]:
    """The cases pymorphy3 reads ``word`` in, but for words that never inflect (``мини``)."""
    return {
        str(parse.tag.case)
        for parse in analyzer.parse(word)
        if parse.tag.case is not None and "Fixd" not in parse.tag
    }


_LINK_END = re.compile(rf"(?:{_LINK_START})\S*?([.,;:!?]+)")


def _cut_link_end(text: str, start: int, end: int) -> list[Span]:
    """A link's last marks are the sentence's, not the link's (``…/events/123/. Начало``:
    spaCy keeps ``/.`` on it, and the sentence did not end)."""
    found = _LINK_END.fullmatch(text, start, end)
    if found is None:
        return [(start, end)]
    return [(start, found.start(1)), (found.start(1), end)]


def _cut_marks(text: str, start: int, end: int) -> list[Span]:
    """A word with a hyphen or a slash at its end, before a space or the end of the text, is
    the word and a dash or slash (``Фото- чудо``; ``за/ ставень``, a line break in verse); a
    price glued to its currency sign is a number, the sign, and a slash and word after it
    (``13500₽/сутки``); anything else is left as it is."""
    if (
        end - start >= 2
        and text[end - 1] in "-/"
        and text[end - 2].isalpha()
        and (end == len(text) or text[end].isspace())
    ):
        return [(start, end - 1), (end - 1, end)]
    price = _PRICE.fullmatch(text, start, end)
    if price is not None:
        return [span for i in range(1, 5) if (span := price.span(i)) != (-1, -1)]
    return [(start, end)]
