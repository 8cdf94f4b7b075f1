"""Build ``sample_corpus/annotated.jsonl``: gold paragraphs annotated on all five layers.

The paragraphs below were written for layerkit by the team (CC BY 4.0, like the rest of
``sample_corpus/``). Each one is given in a compact form that a person can read and review:

- ``morph``: one line per token, ``form lemma UPOS feats``, in token order; a line holding only a
  punctuation mark stands for ``mark mark PUNCT _``. The forms are checked against the tokens of
  ``layerkit.nlp.segment.segment(text)``, so the table cannot drift from the tokenizer.
- spans are given as substrings of the text; when a substring occurs more than once at token
  boundaries, ``("substring", n)`` picks the n-th such occurrence (1-based). Offsets are computed
  here, never counted by hand, and every span must start and end on token boundaries.
- speech acts are listed per sentence, in the order of ``segment(text).sentences``.

Running the script validates every annotation against ``schemas/*.toml`` (fields, kinds, labels,
attributes, relation endpoints, sentence and paragraph scopes, one morph annotation per token,
one speech act per sentence, every required field present) and rewrites the JSONL file
deterministically: running it twice gives byte-identical output.

Lexical conventions: the house convention, i.e. current UD Russian as annotated in
UD_Russian-Taiga (``shared/data/ud/ru_taiga-ud-dev.conllu``), which is what the pre-annotators
output; ``layerkit/nlp/conventions.py`` lists how it differs from UD_Russian-GSD. AUX for быть
(Voice=Act; future будет/будут without Aspect) and conditional бы (Mood=Cnd); не, ли, же, только,
именно, разве, пожалуйста are PART, and coordinating «ни ..., ни ...» is CCONJ Polarity=Neg; the
first word of a fixed expression carries ExtPos (с помощью: с ExtPos=ADP; потому что: потому
ExtPos=SCONJ), «не только» only when «но (и)» follows; participles are VERB with VerbForm=Part
(lexicalised ones such as «распространённый», «следующий» stay ADJ), short participles have no
Case; что/чтобы/если/когда/хотя/чем as conjunctions are SCONJ, чтобы with Mood=Cnd, «как»
introducing a source («как сообщает...») is SCONJ. Every pronoun and determiner has PronType:
personal pronouns and себя Prs (себя also Reflex=Yes; a neuter он has the lemma оно), это/то and
этот/тот/такой/сей Dem, всё/весь/каждый Tot, некоторый Ind, сам Emp; который is DET PronType=Rel;
мой is DET Poss=Yes|PronType=Prs, свой adds Reflex=Yes, possessive его/её/их are DET
Poss=Yes|PronType=Prs with no other feats; один is NUM when it counts («для одной жизни») and DET
PronType=Ind when it stands for a noun («в одном»). Pronominal adverbs have PronType too:
тогда/затем/здесь/теперь/потому/оттого Dem, как/где/куда Rel in relative and embedded clauses
(Int only in direct questions). Numbers written as digits are NUM NumForm=Digit|NumType=Card with no
Case; numeral words have NumForm=Word, NumType and their case; ordinal adjectives (первый) have
NumForm=Word|NumType=Ord and no Degree. Proper nouns have NameType (Geo for towns and for Луна and
Земля, Giv, Sur; Pro for «Аполлон»). Every ADV carries Degree; predicatives from adjectives (легко,
больно, необходимо, важно, тепло, ничтожно, достаточно) are short adjectives (ADJ, Variant=Short);
comparatives take the positive lemma (сильнее → сильно, хуже → плохой, младше → младший) except the
lexicalised скорее, позднее and меньше (PronType=Tot); substantivised adjectives (выходные,
взрослый, среднее) are NOUN; every noun has Gender, pluralia tantum too (сутки Fem, ребята Neut,
будни Masc); Animacy on ADJ/DET/NUM/participles only in the accusative masculine singular and
plural. Lemmas write е for ё, as UD does. ``check_morph`` enforces the rules of the convention that
hold on every token of ru_taiga-ud-dev (PronType on PRON/DET, NumForm and NumType on NUM, NameType on
PROPN, Gender on NOUN, digits without Case, который as DET, AUX быть, Animacy only in the
accusative, no Case on short participles, no Degree on ordinals) and the sample's own rule that
every ADV has Degree.

Run: ``.venv/bin/python tools/build_sample_annotations.py``
"""

from __future__ import annotations

import json
import sys
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import layerkit  # noqa: E402
from layerkit.nlp.segment import segment  # noqa: E402
from layerkit.nlp.ud_map import normalize_lemma  # noqa: E402

OUTPUT = ROOT / "sample_corpus" / "annotated.jsonl"
SCHEMAS = ROOT / "schemas"
SOURCE = "tools/build_sample_annotations.py"
LAYERS = ("lexical", "semantic", "logical", "epistemic", "pragmatic")

Ref = str | tuple[str, int]  # substring, or (substring, n-th occurrence at token boundaries)


# --- compact authoring form -------------------------------------------------------------------


@dataclass
class Frame:
    predicate: Ref
    roles: dict[str, list[Ref]]


def frame(predicate: Ref, **roles: Ref | list[Ref]) -> Frame:
    """A predicate and its arguments: ``frame("открыли", AGENT="Учёные", THEME="новый вид")``."""
    return Frame(predicate, {r: v if isinstance(v, list) else [v] for r, v in roles.items()})


@dataclass
class Unit:
    key: str
    label: str
    ref: Ref


@dataclass
class Discourse:
    label: str
    source: str
    target: str
    connective: str = ""


@dataclass
class Unfolding:
    unit: str
    label: str
    value: str


@dataclass
class Fact:
    key: str
    label: str
    ref: Ref
    evidential: str = "DIRECT"
    negated: bool = False
    source: str | None = None


@dataclass
class Cue:
    label: str
    ref: Ref


@dataclass
class SourceMention:
    key: str
    ref: Ref


@dataclass
class Paragraph:
    key: str
    annotator: str
    text: str
    morph: str
    frames: list[Frame]
    units: list[Unit]
    discourse: list[Discourse]
    unfolding: list[Unfolding]
    facts: list[Fact]
    acts: list[str]
    intent: str
    tone: str
    register: str
    implicature: str
    cues: list[Cue] = field(default_factory=list)
    sources: list[SourceMention] = field(default_factory=list)
    presupposition: str | None = None
    audience: str | None = None
    metacognitive: str | None = None


@dataclass
class Document:
    key: str
    name: str
    genre: str
    paragraphs: list[Paragraph]


# --- the paragraphs ---------------------------------------------------------------------------

SCIENCE = [
    Paragraph(
        key="science-purring",
        annotator="anna",
        text=(
            "Учёные до сих пор спорят, как именно кошки мурлычут. Согласно распространённой "
            "гипотезе, звук возникает, когда мышцы гортани быстро сокращаются и расслабляются. "
            "Вероятно, мурлыканье не только выражает удовольствие: кошки мурлычут и тогда, когда "
            "им больно. Некоторые исследователи полагают, что низкие частоты этого звука "
            "ускоряют заживление костей, однако убедительных доказательств этому пока не найдено."
        ),
        morph="""
            Учёные учёный NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Plur
            до до ADP _
            сих сей DET Case=Gen|Number=Plur|PronType=Dem
            пор пора NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Plur
            спорят спорить VERB Aspect=Imp|Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            ,
            как как ADV Degree=Pos|PronType=Rel
            именно именно PART _
            кошки кошка NOUN Animacy=Anim|Case=Nom|Gender=Fem|Number=Plur
            мурлычут мурлыкать VERB Aspect=Imp|Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            .
            Согласно согласно ADP _
            распространённой распространённый ADJ Case=Dat|Degree=Pos|Gender=Fem|Number=Sing
            гипотезе гипотеза NOUN Animacy=Inan|Case=Dat|Gender=Fem|Number=Sing
            ,
            звук звук NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            возникает возникать VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            ,
            когда когда SCONJ _
            мышцы мышца NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Plur
            гортани гортань NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            быстро быстро ADV Degree=Pos
            сокращаются сокращаться VERB Aspect=Imp|Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin|Voice=Mid
            и и CCONJ _
            расслабляются расслабляться VERB Aspect=Imp|Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin|Voice=Mid
            .
            Вероятно вероятно ADV Degree=Pos
            ,
            мурлыканье мурлыканье NOUN Animacy=Inan|Case=Nom|Gender=Neut|Number=Sing
            не не PART Polarity=Neg
            только только PART _
            выражает выражать VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            удовольствие удовольствие NOUN Animacy=Inan|Case=Acc|Gender=Neut|Number=Sing
            :
            кошки кошка NOUN Animacy=Anim|Case=Nom|Gender=Fem|Number=Plur
            мурлычут мурлыкать VERB Aspect=Imp|Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            и и PART _
            тогда тогда ADV Degree=Pos|PronType=Dem
            ,
            когда когда SCONJ _
            им они PRON Case=Dat|Number=Plur|Person=3|PronType=Prs
            больно больной ADJ Degree=Pos|Gender=Neut|Number=Sing|Variant=Short
            .
            Некоторые некоторый DET Case=Nom|Number=Plur|PronType=Ind
            исследователи исследователь NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Plur
            полагают полагать VERB Aspect=Imp|Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            ,
            что что SCONJ _
            низкие низкий ADJ Case=Nom|Degree=Pos|Number=Plur
            частоты частота NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Plur
            этого этот DET Case=Gen|Gender=Masc|Number=Sing|PronType=Dem
            звука звук NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            ускоряют ускорять VERB Aspect=Imp|Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            заживление заживление NOUN Animacy=Inan|Case=Acc|Gender=Neut|Number=Sing
            костей кость NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Plur
            ,
            однако однако CCONJ _
            убедительных убедительный ADJ Case=Gen|Degree=Pos|Number=Plur
            доказательств доказательство NOUN Animacy=Inan|Case=Gen|Gender=Neut|Number=Plur
            этому это PRON Animacy=Inan|Case=Dat|Gender=Neut|Number=Sing|PronType=Dem
            пока пока ADV Degree=Pos
            не не PART Polarity=Neg
            найдено найти VERB Aspect=Perf|Gender=Neut|Number=Sing|Tense=Past|Variant=Short|VerbForm=Part|Voice=Pass
            .
        """,
        frames=[
            frame(
                "спорят",
                AGENT="Учёные",
                TIME="до сих пор",
                THEME="как именно кошки мурлычут",
            ),
            frame(("мурлычут", 1), AGENT=("кошки", 1), MANNER="как именно"),
            frame(
                "возникает",
                THEME="звук",
                TIME="когда мышцы гортани быстро сокращаются и расслабляются",
            ),
            frame("сокращаются", PATIENT="мышцы гортани", MANNER="быстро"),
            frame("расслабляются", PATIENT="мышцы гортани"),
            frame("выражает", INSTRUMENT="мурлыканье", THEME="удовольствие"),
            frame(("мурлычут", 2), AGENT=("кошки", 2), TIME="тогда, когда им больно"),
            frame("больно", EXPERIENCER="им"),
            frame(
                "полагают",
                EXPERIENCER="Некоторые исследователи",
                THEME="что низкие частоты этого звука ускоряют заживление костей",
            ),
            frame("ускоряют", CAUSE="низкие частоты этого звука", PATIENT="заживление костей"),
            frame("найдено", THEME="убедительных доказательств этому", TIME="пока"),
        ],
        units=[
            Unit("mc", "MAJOR_CLAIM", "Учёные до сих пор спорят, как именно кошки мурлычут"),
            Unit(
                "h",
                "CLAIM",
                "звук возникает, когда мышцы гортани быстро сокращаются и расслабляются",
            ),
            Unit("c1", "CLAIM", "мурлыканье не только выражает удовольствие"),
            Unit("p1", "PREMISE", "кошки мурлычут и тогда, когда им больно"),
            Unit("c2", "CLAIM", "низкие частоты этого звука ускоряют заживление костей"),
            Unit("p2", "PREMISE", "убедительных доказательств этому пока не найдено"),
        ],
        discourse=[
            Discourse("ELABORATION", "h", "mc"),
            Discourse("ELABORATION", "c1", "mc"),
            Discourse("SUPPORT", "p1", "c1"),
            Discourse("ELABORATION", "c2", "p1"),
            Discourse("ATTACK", "p2", "c2", "однако"),
        ],
        unfolding=[
            Unfolding(
                "c1",
                "EXAMPLE",
                "Кошка, которую везут к ветеринару в переноске, нередко громко мурлычет, "
                "хотя явно напугана.",
            ),
            Unfolding(
                "c2",
                "APPLICATION",
                "Если гипотеза подтвердится, низкочастотную вибрацию можно будет попробовать "
                "применять, чтобы ускорить лечение переломов у людей.",
            ),
        ],
        sources=[
            SourceMention("s1", "Согласно распространённой гипотезе"),
            SourceMention("s2", "Некоторые исследователи"),
        ],
        cues=[Cue("HEDGE", "Вероятно")],
        facts=[
            Fact("f1", "FACT", "Учёные до сих пор спорят, как именно кошки мурлычут"),
            Fact(
                "f2",
                "PROBABLE",
                "звук возникает, когда мышцы гортани быстро сокращаются и расслабляются",
                evidential="REPORTED",
                source="s1",
            ),
            Fact(
                "f3",
                "PROBABLE",
                "мурлыканье не только выражает удовольствие",
                evidential="INFERRED",
            ),
            Fact("f4", "FACT", "кошки мурлычут и тогда, когда им больно"),
            Fact(
                "f5",
                "UNCOMMITTED",
                "низкие частоты этого звука ускоряют заживление костей",
                evidential="REPORTED",
                source="s2",
            ),
            Fact(
                "f6",
                "NON_FACT",
                "убедительных доказательств этому пока не найдено",
                negated=True,
            ),
        ],
        acts=["ASSERT", "ASSERT", "ASSERT", "ASSERT"],
        intent="EXPLAIN",
        tone="NEUTRAL",
        register="ACADEMIC",
        implicature=(
            "Даже привычное поведение домашних животных наукой до конца не объяснено; "
            "к популярным утверждениям о «целебном мурлыканье» стоит относиться осторожно."
        ),
        presupposition=(
            "Читатель знает, что кошки мурлычут, и привык считать мурлыканье признаком "
            "удовольствия."
        ),
        audience="Широкая аудитория, интересующаяся животными, прежде всего хозяева кошек.",
        metacognitive=(
            "Автор отделяет установленное (кошки мурлычут и от боли) от гипотез и помечает "
            "степень уверенности словами «вероятно», «полагают», «пока не найдено», чтобы не "
            "выдать предположение за факт."
        ),
    ),
    Paragraph(
        key="science-density",
        annotator="anna",
        text=(
            "Плотность жидкостей легко сравнить в домашних условиях. Налейте в высокий стакан "
            "немного мёда, затем осторожно добавьте столько же воды и подсолнечного масла. "
            "Жидкости не смешаются, а расположатся слоями: внизу окажется мёд, над ним вода, "
            "сверху масло. Если бросить в стакан виноградину, она пройдёт сквозь масло и воду и "
            "остановится на слое мёда, потому что она плотнее воды, но легче мёда."
        ),
        morph="""
            Плотность плотность NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Sing
            жидкостей жидкость NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Plur
            легко лёгкий ADJ Degree=Pos|Gender=Neut|Number=Sing|Variant=Short
            сравнить сравнить VERB Aspect=Perf|VerbForm=Inf|Voice=Act
            в в ADP _
            домашних домашний ADJ Case=Loc|Degree=Pos|Number=Plur
            условиях условие NOUN Animacy=Inan|Case=Loc|Gender=Neut|Number=Plur
            .
            Налейте налить VERB Aspect=Perf|Mood=Imp|Number=Plur|Person=2|VerbForm=Fin|Voice=Act
            в в ADP _
            высокий высокий ADJ Animacy=Inan|Case=Acc|Degree=Pos|Gender=Masc|Number=Sing
            стакан стакан NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            немного немного ADV Degree=Pos
            мёда мёд NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            ,
            затем затем ADV Degree=Pos|PronType=Dem
            осторожно осторожно ADV Degree=Pos
            добавьте добавить VERB Aspect=Perf|Mood=Imp|Number=Plur|Person=2|VerbForm=Fin|Voice=Act
            столько столько NUM Case=Acc|NumForm=Word|NumType=Card
            же же PART _
            воды вода NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            и и CCONJ _
            подсолнечного подсолнечный ADJ Case=Gen|Degree=Pos|Gender=Neut|Number=Sing
            масла масло NOUN Animacy=Inan|Case=Gen|Gender=Neut|Number=Sing
            .
            Жидкости жидкость NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Plur
            не не PART Polarity=Neg
            смешаются смешаться VERB Aspect=Perf|Mood=Ind|Number=Plur|Person=3|Tense=Fut|VerbForm=Fin|Voice=Mid
            ,
            а а CCONJ _
            расположатся расположиться VERB Aspect=Perf|Mood=Ind|Number=Plur|Person=3|Tense=Fut|VerbForm=Fin|Voice=Mid
            слоями слой NOUN Animacy=Inan|Case=Ins|Gender=Masc|Number=Plur
            :
            внизу внизу ADV Degree=Pos
            окажется оказаться VERB Aspect=Perf|Mood=Ind|Number=Sing|Person=3|Tense=Fut|VerbForm=Fin|Voice=Mid
            мёд мёд NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            ,
            над над ADP _
            ним он PRON Case=Ins|Gender=Masc|Number=Sing|Person=3|PronType=Prs
            вода вода NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Sing
            ,
            сверху сверху ADV Degree=Pos
            масло масло NOUN Animacy=Inan|Case=Nom|Gender=Neut|Number=Sing
            .
            Если если SCONJ _
            бросить бросить VERB Aspect=Perf|VerbForm=Inf|Voice=Act
            в в ADP _
            стакан стакан NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            виноградину виноградина NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Sing
            ,
            она она PRON Case=Nom|Gender=Fem|Number=Sing|Person=3|PronType=Prs
            пройдёт пройти VERB Aspect=Perf|Mood=Ind|Number=Sing|Person=3|Tense=Fut|VerbForm=Fin|Voice=Act
            сквозь сквозь ADP _
            масло масло NOUN Animacy=Inan|Case=Acc|Gender=Neut|Number=Sing
            и и CCONJ _
            воду вода NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Sing
            и и CCONJ _
            остановится остановиться VERB Aspect=Perf|Mood=Ind|Number=Sing|Person=3|Tense=Fut|VerbForm=Fin|Voice=Mid
            на на ADP _
            слое слой NOUN Animacy=Inan|Case=Loc|Gender=Masc|Number=Sing
            мёда мёд NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            ,
            потому потому ADV Degree=Pos|ExtPos=SCONJ|PronType=Dem
            что что SCONJ _
            она она PRON Case=Nom|Gender=Fem|Number=Sing|Person=3|PronType=Prs
            плотнее плотный ADJ Degree=Cmp
            воды вода NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            ,
            но но CCONJ _
            легче лёгкий ADJ Degree=Cmp
            мёда мёд NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            .
        """,
        frames=[
            frame(
                "сравнить",
                THEME="Плотность жидкостей",
                MANNER="легко",
                PLACE="в домашних условиях",
            ),
            frame("Налейте", PLACE="в высокий стакан", THEME="немного мёда"),
            frame(
                "добавьте",
                TIME="затем",
                MANNER="осторожно",
                THEME="столько же воды и подсолнечного масла",
            ),
            frame("смешаются", PATIENT="Жидкости"),
            frame("расположатся", THEME="Жидкости", MANNER="слоями"),
            # the gapped clauses «над ним вода, сверху масло» are left out: several PLACE and
            # THEME relations on one predicate would lose which place goes with which liquid
            frame("окажется", PLACE="внизу", THEME="мёд"),
            frame("бросить", PLACE="в стакан", THEME="виноградину"),
            frame("пройдёт", THEME=("она", 1), PLACE="сквозь масло и воду"),
            frame(
                "остановится",
                THEME=("она", 1),
                PLACE="на слое мёда",
                CAUSE="потому что она плотнее воды, но легче мёда",
            ),
        ],
        units=[
            Unit("c1", "MAJOR_CLAIM", "Плотность жидкостей легко сравнить в домашних условиях"),
            Unit("s1", "PREMISE", "Налейте в высокий стакан немного мёда"),
            Unit(
                "s2",
                "PREMISE",
                "осторожно добавьте столько же воды и подсолнечного масла",
            ),
            Unit("c2", "CLAIM", "Жидкости не смешаются, а расположатся слоями"),
            Unit("p1", "PREMISE", "внизу окажется мёд, над ним вода, сверху масло"),
            Unit("p2", "PREMISE", "Если бросить в стакан виноградину"),
            Unit(
                "c3",
                "CLAIM",
                "она пройдёт сквозь масло и воду и остановится на слое мёда",
            ),
            Unit("p3", "PREMISE", "она плотнее воды, но легче мёда"),
        ],
        discourse=[
            Discourse("ELABORATION", "s1", "c1"),
            Discourse("SEQUENCE", "s1", "s2", "затем"),
            Discourse("SEQUENCE", "s2", "c2"),
            Discourse("SUPPORT", "c2", "c1"),
            Discourse("ELABORATION", "p1", "c2"),
            Discourse("CONDITION", "p2", "c3", "если"),
            Discourse("CAUSE", "p3", "c3", "потому что"),
        ],
        unfolding=[
            Unfolding(
                "c1",
                "APPLICATION",
                "Такой «стакан плотностей» легко показать на уроке физики, чтобы школьники "
                "сами увидели, почему масляная плёнка всегда держится на поверхности лужи.",
            ),
            Unfolding(
                "c3",
                "ANALOGY",
                "Так же ведёт себя воздушный шар: он поднимается, пока окружающий воздух "
                "плотнее него, и зависает на той высоте, где плотности сравниваются.",
            ),
        ],
        facts=[
            Fact("f1", "FACT", "Плотность жидкостей легко сравнить в домашних условиях"),
            Fact("f2", "NON_FACT", "Жидкости не смешаются", negated=True),
            Fact(
                "f3", "FACT", "расположатся слоями: внизу окажется мёд, над ним вода, сверху масло"
            ),
            Fact("f4", "FACT", "она пройдёт сквозь масло и воду и остановится на слое мёда"),
            Fact("f5", "FACT", "она плотнее воды, но легче мёда"),
        ],
        acts=["ASSERT", "DIRECT", "ASSERT", "ASSERT"],
        intent="INSTRUCT",
        tone="NEUTRAL",
        register="ACADEMIC",
        implicature=(
            "Чтобы увидеть физический закон, не нужна лаборатория: достаточно кухни и трёх "
            "продуктов из холодильника."
        ),
        presupposition=(
            "У читателя есть мёд, масло и высокий стакан; он хотя бы интуитивно понимает, что "
            "значит «тяжелее» и «легче» для жидкостей."
        ),
        audience="Школьники и их родители, любители домашних опытов.",
        metacognitive=(
            "Автор сначала даёт прямые указания, затем предсказывает результат и только потом "
            "объясняет его, чтобы читатель мог проверить объяснение на собственном опыте."
        ),
    ),
    Paragraph(
        key="science-moon",
        annotator="anna",
        text=(
            "Луна удаляется от Земли примерно на 4 сантиметра в год. Это измерили с помощью "
            "лазерных отражателей, которые оставили на её поверхности экспедиции «Аполлон». "
            "Безусловно, для одной человеческой жизни такое смещение ничтожно. Однако за сотни "
            "миллионов лет эффект накапливается: вместе с удалением Луны замедляется вращение "
            "Земли, и, по оценкам геофизиков, 600 миллионов лет назад сутки длились около "
            "22 часов."
        ),
        morph="""
            Луна Луна PROPN Animacy=Inan|Case=Nom|Gender=Fem|NameType=Geo|Number=Sing
            удаляется удаляться VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Mid
            от от ADP _
            Земли Земля PROPN Animacy=Inan|Case=Gen|Gender=Fem|NameType=Geo|Number=Sing
            примерно примерно ADV Degree=Pos
            на на ADP _
            4 4 NUM NumForm=Digit|NumType=Card
            сантиметра сантиметр NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            в в ADP _
            год год NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            .
            Это это PRON Animacy=Inan|Case=Acc|Gender=Neut|Number=Sing|PronType=Dem
            измерили измерить VERB Aspect=Perf|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Act
            с с ADP ExtPos=ADP
            помощью помощь NOUN Animacy=Inan|Case=Ins|Gender=Fem|Number=Sing
            лазерных лазерный ADJ Case=Gen|Degree=Pos|Number=Plur
            отражателей отражатель NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            ,
            которые который DET Animacy=Inan|Case=Acc|Number=Plur|PronType=Rel
            оставили оставить VERB Aspect=Perf|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Act
            на на ADP _
            её её DET Poss=Yes|PronType=Prs
            поверхности поверхность NOUN Animacy=Inan|Case=Loc|Gender=Fem|Number=Sing
            экспедиции экспедиция NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Plur
            «
            Аполлон Аполлон PROPN Animacy=Inan|Case=Nom|Gender=Masc|NameType=Pro|Number=Sing
            »
            .
            Безусловно безусловно ADV Degree=Pos
            ,
            для для ADP _
            одной один NUM Case=Gen|Gender=Fem|Number=Sing|NumForm=Word|NumType=Card
            человеческой человеческий ADJ Case=Gen|Degree=Pos|Gender=Fem|Number=Sing
            жизни жизнь NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            такое такой DET Case=Nom|Gender=Neut|Number=Sing|PronType=Dem
            смещение смещение NOUN Animacy=Inan|Case=Nom|Gender=Neut|Number=Sing
            ничтожно ничтожный ADJ Degree=Pos|Gender=Neut|Number=Sing|Variant=Short
            .
            Однако однако CCONJ _
            за за ADP _
            сотни сотня NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Plur
            миллионов миллион NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            лет год NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            эффект эффект NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            накапливается накапливаться VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Mid
            :
            вместе вместе ADV Degree=Pos
            с с ADP _
            удалением удаление NOUN Animacy=Inan|Case=Ins|Gender=Neut|Number=Sing
            Луны Луна PROPN Animacy=Inan|Case=Gen|Gender=Fem|NameType=Geo|Number=Sing
            замедляется замедляться VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Mid
            вращение вращение NOUN Animacy=Inan|Case=Nom|Gender=Neut|Number=Sing
            Земли Земля PROPN Animacy=Inan|Case=Gen|Gender=Fem|NameType=Geo|Number=Sing
            ,
            и и CCONJ _
            ,
            по по ADP _
            оценкам оценка NOUN Animacy=Inan|Case=Dat|Gender=Fem|Number=Plur
            геофизиков геофизик NOUN Animacy=Anim|Case=Gen|Gender=Masc|Number=Plur
            ,
            600 600 NUM NumForm=Digit|NumType=Card
            миллионов миллион NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            лет год NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            назад назад ADV Degree=Pos
            сутки сутки NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Plur
            длились длиться VERB Aspect=Imp|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Mid
            около около ADP _
            22 22 NUM NumForm=Digit|NumType=Card
            часов час NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            .
        """,
        frames=[
            frame(
                "удаляется",
                THEME="Луна",
                PLACE="от Земли",
                MANNER="примерно на 4 сантиметра в год",
            ),
            frame("измерили", THEME="Это", INSTRUMENT="с помощью лазерных отражателей"),
            frame(
                "оставили",
                THEME="которые",
                PLACE="на её поверхности",
                AGENT="экспедиции «Аполлон»",
            ),
            frame(
                "ничтожно",
                TIME="для одной человеческой жизни",
                THEME="такое смещение",
            ),
            frame("накапливается", TIME="за сотни миллионов лет", THEME="эффект"),
            frame("замедляется", TIME="вместе с удалением Луны", PATIENT="вращение Земли"),
            frame(
                "длились",
                TIME="600 миллионов лет назад",
                THEME="сутки",
                ATTRIBUTE="около 22 часов",
            ),
        ],
        units=[
            Unit("p1", "PREMISE", "Луна удаляется от Земли примерно на 4 сантиметра в год"),
            Unit(
                "p2",
                "PREMISE",
                "Это измерили с помощью лазерных отражателей, которые оставили на её "
                "поверхности экспедиции «Аполлон»",
            ),
            Unit("c1", "CLAIM", "для одной человеческой жизни такое смещение ничтожно"),
            Unit("mc", "MAJOR_CLAIM", "за сотни миллионов лет эффект накапливается"),
            Unit("p3", "PREMISE", "вместе с удалением Луны замедляется вращение Земли"),
            Unit("p4", "PREMISE", "600 миллионов лет назад сутки длились около 22 часов"),
        ],
        discourse=[
            Discourse("SUPPORT", "p2", "p1"),
            Discourse("SUPPORT", "p1", "c1"),
            Discourse("CONCESSION", "c1", "mc", "однако"),
            Discourse("ELABORATION", "p3", "mc"),
            Discourse("SUPPORT", "p4", "p3", "и"),
        ],
        unfolding=[
            Unfolding(
                "c1",
                "EXAMPLE",
                "За 80 лет Луна отодвинется примерно на 3 метра — это меньше стомиллионной "
                "доли расстояния до неё.",
            ),
            Unfolding(
                "c1",
                "COUNTEREXAMPLE",
                "Для лазерной дальнометрии эти сантиметры вовсе не ничтожны: приборы измеряют "
                "расстояние до Луны с точностью до миллиметров и уверенно замечают смещение "
                "уже за несколько месяцев.",
            ),
            Unfolding(
                "mc",
                "ANALOGY",
                "Так капля, падающая в одно и то же место, за века протачивает камень, хотя "
                "каждая по отдельности ничего не меняет.",
            ),
        ],
        sources=[SourceMention("s1", "по оценкам геофизиков")],
        cues=[Cue("BOOSTER", "Безусловно")],
        facts=[
            Fact("f1", "FACT", "Луна удаляется от Земли примерно на 4 сантиметра в год"),
            Fact(
                "f2",
                "FACT",
                "Это измерили с помощью лазерных отражателей, которые оставили на её "
                "поверхности экспедиции «Аполлон»",
            ),
            Fact("f3", "FACT", "для одной человеческой жизни такое смещение ничтожно"),
            Fact("f4", "FACT", "за сотни миллионов лет эффект накапливается"),
            Fact("f5", "FACT", "вместе с удалением Луны замедляется вращение Земли"),
            Fact(
                "f6",
                "PROBABLE",
                "600 миллионов лет назад сутки длились около 22 часов",
                evidential="REPORTED",
                source="s1",
            ),
        ],
        acts=["ASSERT", "ASSERT", "ASSERT", "ASSERT"],
        intent="EXPLAIN",
        tone="NEUTRAL",
        register="ACADEMIC",
        implicature=(
            "Медленные процессы, незаметные за человеческую жизнь, в геологическом масштабе "
            "меняют облик планеты: малость величины не означает её неважности."
        ),
        presupposition=(
            "Читатель знает, что Луна обращается вокруг Земли, что сутки — это время оборота "
            "Земли вокруг оси, и слышал о программе «Аполлон»."
        ),
        audience="Любители астрономии, старшеклассники.",
        metacognitive=(
            "Автор сначала признаёт очевидное возражение («это ничтожно»), а затем переносит "
            "разговор в другой масштаб времени — так малая величина становится значимой."
        ),
    ),
]

NEWS = [
    Paragraph(
        key="news-rink",
        annotator="boris",
        text=(
            "В среду в Ольховске открылся первый в городе крытый каток. Его построили за "
            "8 месяцев на месте заброшенного рынка. Как сообщает городская администрация, по "
            "будням вход на каток будет бесплатным, а в выходные билет обойдётся в 150 рублей. "
            "Возможно, уже этой зимой здесь начнёт тренироваться детская хоккейная команда, "
            "которой до сих пор приходилось ездить на лёд в соседний район."
        ),
        morph="""
            В в ADP _
            среду среда NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Sing
            в в ADP _
            Ольховске Ольховск PROPN Animacy=Inan|Case=Loc|Gender=Masc|NameType=Geo|Number=Sing
            открылся открыться VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Mid
            первый первый ADJ Case=Nom|Gender=Masc|Number=Sing|NumForm=Word|NumType=Ord
            в в ADP _
            городе город NOUN Animacy=Inan|Case=Loc|Gender=Masc|Number=Sing
            крытый крытый ADJ Case=Nom|Degree=Pos|Gender=Masc|Number=Sing
            каток каток NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            .
            Его он PRON Case=Acc|Gender=Masc|Number=Sing|Person=3|PronType=Prs
            построили построить VERB Aspect=Perf|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Act
            за за ADP _
            8 8 NUM NumForm=Digit|NumType=Card
            месяцев месяц NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            на на ADP _
            месте место NOUN Animacy=Inan|Case=Loc|Gender=Neut|Number=Sing
            заброшенного забросить VERB Aspect=Perf|Case=Gen|Gender=Masc|Number=Sing|Tense=Past|VerbForm=Part|Voice=Pass
            рынка рынок NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            .
            Как как SCONJ _
            сообщает сообщать VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            городская городской ADJ Case=Nom|Degree=Pos|Gender=Fem|Number=Sing
            администрация администрация NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Sing
            ,
            по по ADP _
            будням будни NOUN Animacy=Inan|Case=Dat|Gender=Masc|Number=Plur
            вход вход NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            на на ADP _
            каток каток NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            будет быть AUX Mood=Ind|Number=Sing|Person=3|Tense=Fut|VerbForm=Fin|Voice=Act
            бесплатным бесплатный ADJ Case=Ins|Degree=Pos|Gender=Masc|Number=Sing
            ,
            а а CCONJ _
            в в ADP _
            выходные выходной NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Plur
            билет билет NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            обойдётся обойтись VERB Aspect=Perf|Mood=Ind|Number=Sing|Person=3|Tense=Fut|VerbForm=Fin|Voice=Mid
            в в ADP _
            150 150 NUM NumForm=Digit|NumType=Card
            рублей рубль NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            .
            Возможно возможно ADV Degree=Pos
            ,
            уже уже ADV Degree=Pos
            этой этот DET Case=Ins|Gender=Fem|Number=Sing|PronType=Dem
            зимой зима NOUN Animacy=Inan|Case=Ins|Gender=Fem|Number=Sing
            здесь здесь ADV Degree=Pos|PronType=Dem
            начнёт начать VERB Aspect=Perf|Mood=Ind|Number=Sing|Person=3|Tense=Fut|VerbForm=Fin|Voice=Act
            тренироваться тренироваться VERB Aspect=Imp|VerbForm=Inf|Voice=Mid
            детская детский ADJ Case=Nom|Degree=Pos|Gender=Fem|Number=Sing
            хоккейная хоккейный ADJ Case=Nom|Degree=Pos|Gender=Fem|Number=Sing
            команда команда NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Sing
            ,
            которой который DET Case=Dat|Gender=Fem|Number=Sing|PronType=Rel
            до до ADP _
            сих сей DET Case=Gen|Number=Plur|PronType=Dem
            пор пора NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Plur
            приходилось приходиться VERB Aspect=Imp|Gender=Neut|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Mid
            ездить ездить VERB Aspect=Imp|VerbForm=Inf|Voice=Act
            на на ADP _
            лёд лёд NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            в в ADP _
            соседний соседний ADJ Animacy=Inan|Case=Acc|Degree=Pos|Gender=Masc|Number=Sing
            район район NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            .
        """,
        frames=[
            frame(
                "открылся",
                TIME="В среду",
                PLACE="в Ольховске",
                THEME="первый в городе крытый каток",
            ),
            frame(
                "построили",
                PATIENT="Его",
                TIME="за 8 месяцев",
                PLACE="на месте заброшенного рынка",
            ),
            frame(
                "сообщает",
                AGENT="городская администрация",
                THEME="по будням вход на каток будет бесплатным, а в выходные билет обойдётся "
                "в 150 рублей",
            ),
            frame(
                "будет",
                TIME="по будням",
                THEME="вход на каток",
                ATTRIBUTE="бесплатным",
            ),
            frame(
                "обойдётся",
                TIME="в выходные",
                THEME="билет",
                ATTRIBUTE="в 150 рублей",
            ),
            frame(
                "начнёт тренироваться",
                TIME="уже этой зимой",
                PLACE="здесь",
                AGENT="детская хоккейная команда",
            ),
            frame(
                "приходилось ездить",
                AGENT="которой",
                TIME="до сих пор",
                PLACE="на лёд в соседний район",
            ),
        ],
        units=[
            Unit("mc", "MAJOR_CLAIM", "В среду в Ольховске открылся первый в городе крытый каток"),
            Unit("p1", "PREMISE", "Его построили за 8 месяцев на месте заброшенного рынка"),
            Unit("p2", "PREMISE", "по будням вход на каток будет бесплатным"),
            Unit("p3", "PREMISE", "в выходные билет обойдётся в 150 рублей"),
            Unit(
                "c1",
                "CLAIM",
                "уже этой зимой здесь начнёт тренироваться детская хоккейная команда",
            ),
            Unit(
                "p4",
                "PREMISE",
                "которой до сих пор приходилось ездить на лёд в соседний район",
            ),
        ],
        discourse=[
            Discourse("ELABORATION", "p1", "mc"),
            Discourse("ELABORATION", "p2", "mc"),
            Discourse("CONTRAST", "p2", "p3", "а"),
            Discourse("CAUSE", "mc", "c1"),
            Discourse("ELABORATION", "p4", "c1"),
        ],
        unfolding=[
            Unfolding(
                "p2",
                "APPLICATION",
                "Семья из четырёх человек, придя на каток в будний вечер, сэкономит 600 рублей "
                "по сравнению с походом в выходные.",
            ),
        ],
        sources=[SourceMention("s1", "Как сообщает городская администрация")],
        cues=[Cue("HEDGE", "Возможно")],
        facts=[
            Fact("f1", "FACT", "В среду в Ольховске открылся первый в городе крытый каток"),
            Fact("f2", "FACT", "Его построили за 8 месяцев на месте заброшенного рынка"),
            Fact(
                "f3",
                "FACT",
                "по будням вход на каток будет бесплатным",
                evidential="REPORTED",
                source="s1",
            ),
            Fact(
                "f4",
                "FACT",
                "в выходные билет обойдётся в 150 рублей",
                evidential="REPORTED",
                source="s1",
            ),
            Fact(
                "f5",
                "POSSIBLE",
                "уже этой зимой здесь начнёт тренироваться детская хоккейная команда",
                evidential="INFERRED",
            ),
            Fact("f6", "FACT", "которой до сих пор приходилось ездить на лёд в соседний район"),
        ],
        acts=["ASSERT", "ASSERT", "ASSERT", "ASSERT"],
        intent="INFORM",
        tone="NEUTRAL",
        register="NEWS",
        implicature=(
            "Город вложился в досуг жителей и детский спорт; новый каток решает давнюю "
            "проблему местной хоккейной команды."
        ),
        presupposition=(
            "Раньше в Ольховске не было крытого катка, а рынок на этом месте давно пустовал."
        ),
        audience="Жители Ольховска, в первую очередь семьи с детьми.",
        metacognitive=(
            "Журналист сначала сообщает главное событие, затем практические подробности со "
            "ссылкой на администрацию и лишь в конце даёт осторожный прогноз, помеченный "
            "словом «возможно»."
        ),
    ),
    Paragraph(
        key="news-mushrooms",
        annotator="boris",
        text=(
            "Вчера вечером спасатели вывели из леса под Ольховском двух грибников, которые "
            "заблудились накануне. По словам руководителя поисковой группы Дениса Орлова, "
            "мужчины прошли около 20 километров в противоположную от города сторону. Их "
            "обнаружили благодаря костру, дым которого заметили с вертолёта. Грибники не "
            "пострадали, однако, как отметил Орлов, они, очевидно, переоценили свои силы: у них "
            "не оказалось ни компаса, ни заряженного телефона."
        ),
        morph="""
            Вчера вчера ADV Degree=Pos
            вечером вечер NOUN Animacy=Inan|Case=Ins|Gender=Masc|Number=Sing
            спасатели спасатель NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Plur
            вывели вывести VERB Aspect=Perf|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Act
            из из ADP _
            леса лес NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            под под ADP _
            Ольховском Ольховск PROPN Animacy=Inan|Case=Ins|Gender=Masc|NameType=Geo|Number=Sing
            двух два NUM Animacy=Anim|Case=Acc|Gender=Masc|NumForm=Word|NumType=Card
            грибников грибник NOUN Animacy=Anim|Case=Acc|Gender=Masc|Number=Plur
            ,
            которые который DET Case=Nom|Number=Plur|PronType=Rel
            заблудились заблудиться VERB Aspect=Perf|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Mid
            накануне накануне ADV Degree=Pos
            .
            По по ADP _
            словам слово NOUN Animacy=Inan|Case=Dat|Gender=Neut|Number=Plur
            руководителя руководитель NOUN Animacy=Anim|Case=Gen|Gender=Masc|Number=Sing
            поисковой поисковый ADJ Case=Gen|Degree=Pos|Gender=Fem|Number=Sing
            группы группа NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            Дениса Денис PROPN Animacy=Anim|Case=Gen|Gender=Masc|NameType=Giv|Number=Sing
            Орлова Орлов PROPN Animacy=Anim|Case=Gen|Gender=Masc|NameType=Sur|Number=Sing
            ,
            мужчины мужчина NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Plur
            прошли пройти VERB Aspect=Perf|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Act
            около около ADP _
            20 20 NUM NumForm=Digit|NumType=Card
            километров километр NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            в в ADP _
            противоположную противоположный ADJ Case=Acc|Degree=Pos|Gender=Fem|Number=Sing
            от от ADP _
            города город NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            сторону сторона NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Sing
            .
            Их они PRON Case=Acc|Number=Plur|Person=3|PronType=Prs
            обнаружили обнаружить VERB Aspect=Perf|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Act
            благодаря благодаря ADP _
            костру костёр NOUN Animacy=Inan|Case=Dat|Gender=Masc|Number=Sing
            ,
            дым дым NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            которого который DET Case=Gen|Gender=Masc|Number=Sing|PronType=Rel
            заметили заметить VERB Aspect=Perf|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Act
            с с ADP _
            вертолёта вертолёт NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            .
            Грибники грибник NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Plur
            не не PART Polarity=Neg
            пострадали пострадать VERB Aspect=Perf|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Act
            ,
            однако однако CCONJ _
            ,
            как как SCONJ _
            отметил отметить VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            Орлов Орлов PROPN Animacy=Anim|Case=Nom|Gender=Masc|NameType=Sur|Number=Sing
            ,
            они они PRON Case=Nom|Number=Plur|Person=3|PronType=Prs
            ,
            очевидно очевидно ADV Degree=Pos
            ,
            переоценили переоценить VERB Aspect=Perf|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Act
            свои свой DET Animacy=Inan|Case=Acc|Number=Plur|Poss=Yes|PronType=Prs|Reflex=Yes
            силы сила NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Plur
            :
            у у ADP _
            них они PRON Case=Gen|Number=Plur|Person=3|PronType=Prs
            не не PART Polarity=Neg
            оказалось оказаться VERB Aspect=Perf|Gender=Neut|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Mid
            ни ни CCONJ Polarity=Neg
            компаса компас NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            ,
            ни ни CCONJ Polarity=Neg
            заряженного зарядить VERB Aspect=Perf|Case=Gen|Gender=Masc|Number=Sing|Tense=Past|VerbForm=Part|Voice=Pass
            телефона телефон NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            .
        """,
        frames=[
            frame(
                "вывели",
                TIME="Вчера вечером",
                AGENT="спасатели",
                PLACE="из леса под Ольховском",
                THEME="двух грибников",
            ),
            frame("заблудились", EXPERIENCER="которые", TIME="накануне"),
            frame(
                "прошли",
                AGENT="мужчины",
                MANNER="около 20 километров",
                PLACE="в противоположную от города сторону",
            ),
            frame("обнаружили", THEME="Их", CAUSE="благодаря костру"),
            frame("заметили", THEME="дым которого", PLACE="с вертолёта"),
            frame("пострадали", PATIENT="Грибники"),
            frame("отметил", AGENT="Орлов"),
            frame("переоценили", AGENT="они", THEME="свои силы"),
            frame("оказалось", PLACE="у них", THEME="ни компаса, ни заряженного телефона"),
        ],
        units=[
            Unit(
                "mc",
                "MAJOR_CLAIM",
                "Вчера вечером спасатели вывели из леса под Ольховском двух грибников, которые "
                "заблудились накануне",
            ),
            Unit(
                "p1",
                "PREMISE",
                "мужчины прошли около 20 километров в противоположную от города сторону",
            ),
            Unit(
                "p2", "PREMISE", "Их обнаружили благодаря костру, дым которого заметили с вертолёта"
            ),
            Unit("p3", "PREMISE", "Грибники не пострадали"),
            Unit("c1", "CLAIM", "они, очевидно, переоценили свои силы"),
            Unit("p4", "PREMISE", "у них не оказалось ни компаса, ни заряженного телефона"),
        ],
        discourse=[
            Discourse("ELABORATION", "p1", "mc"),
            Discourse("ELABORATION", "p2", "mc"),
            Discourse("CONTRAST", "p3", "c1", "однако"),
            Discourse("SUPPORT", "p4", "c1"),
        ],
        unfolding=[
            Unfolding(
                "c1",
                "EXAMPLE",
                "Так бывает, когда человек рассчитывает вернуться через пару часов, идёт в лес "
                "налегке, а к вечеру понимает, что не узнаёт ни одной тропинки.",
            ),
            Unfolding(
                "p4",
                "APPLICATION",
                "Собираясь в незнакомый лес, возьмите компас, заряженный телефон и запасной "
                "аккумулятор, а близким оставьте описание маршрута.",
            ),
        ],
        sources=[
            SourceMention("s1", "По словам руководителя поисковой группы Дениса Орлова"),
            SourceMention("s2", "как отметил Орлов"),
        ],
        cues=[Cue("BOOSTER", "очевидно")],
        facts=[
            Fact("f1", "FACT", "спасатели вывели из леса под Ольховском двух грибников"),
            Fact("f2", "FACT", "которые заблудились накануне"),
            Fact(
                "f3",
                "FACT",
                "мужчины прошли около 20 километров в противоположную от города сторону",
                evidential="REPORTED",
                source="s1",
            ),
            Fact("f4", "FACT", "Их обнаружили благодаря костру, дым которого заметили с вертолёта"),
            Fact("f5", "NON_FACT", "Грибники не пострадали", negated=True),
            Fact(
                "f6",
                "FACT",
                "они, очевидно, переоценили свои силы",
                evidential="REPORTED",
                source="s2",
            ),
            Fact(
                "f7",
                "NON_FACT",
                "у них не оказалось ни компаса, ни заряженного телефона",
                evidential="REPORTED",
                negated=True,
                source="s2",
            ),
        ],
        acts=["ASSERT", "ASSERT", "ASSERT", "ASSERT"],
        intent="INFORM",
        tone="NEUTRAL",
        register="NEWS",
        implicature=(
            "История закончилась благополучно, но могла кончиться иначе: идти в лес без "
            "компаса и заряженного телефона безответственно."
        ),
        presupposition=(
            "О пропаже грибников заранее сообщили, и их искали; в районе есть поисковая служба "
            "и вертолёт."
        ),
        audience="Жители области, в том числе любители собирать грибы.",
        metacognitive=(
            "Журналист передаёт оценку не от себя, а со ссылкой на руководителя поисков: "
            "назидательный вывод звучит весомее из уст профессионала."
        ),
    ),
    Paragraph(
        key="news-prices",
        annotator="boris",
        text=(
            "Цены на овощи в Ольховске за месяц выросли в среднем на 12 процентов. Сильнее "
            "всего подорожали огурцы и помидоры. Аналитики областного статистического "
            "управления связывают рост с холодной весной и сокращением поставок из южных "
            "регионов. По их прогнозу, цены, скорее всего, перестанут расти в июле, когда на "
            "рынки поступит урожай местных фермеров."
        ),
        morph="""
            Цены цена NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Plur
            на на ADP _
            овощи овощ NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Plur
            в в ADP _
            Ольховске Ольховск PROPN Animacy=Inan|Case=Loc|Gender=Masc|NameType=Geo|Number=Sing
            за за ADP _
            месяц месяц NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            выросли вырасти VERB Aspect=Perf|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Act
            в в ADP _
            среднем среднее NOUN Animacy=Inan|Case=Loc|Gender=Neut|Number=Sing
            на на ADP _
            12 12 NUM NumForm=Digit|NumType=Card
            процентов процент NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            .
            Сильнее сильно ADV Degree=Cmp
            всего всё PRON Animacy=Inan|Case=Gen|Gender=Neut|Number=Sing|PronType=Tot
            подорожали подорожать VERB Aspect=Perf|Mood=Ind|Number=Plur|Tense=Past|VerbForm=Fin|Voice=Act
            огурцы огурец NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Plur
            и и CCONJ _
            помидоры помидор NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Plur
            .
            Аналитики аналитик NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Plur
            областного областной ADJ Case=Gen|Degree=Pos|Gender=Neut|Number=Sing
            статистического статистический ADJ Case=Gen|Degree=Pos|Gender=Neut|Number=Sing
            управления управление NOUN Animacy=Inan|Case=Gen|Gender=Neut|Number=Sing
            связывают связывать VERB Aspect=Imp|Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            рост рост NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            с с ADP _
            холодной холодный ADJ Case=Ins|Degree=Pos|Gender=Fem|Number=Sing
            весной весна NOUN Animacy=Inan|Case=Ins|Gender=Fem|Number=Sing
            и и CCONJ _
            сокращением сокращение NOUN Animacy=Inan|Case=Ins|Gender=Neut|Number=Sing
            поставок поставка NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Plur
            из из ADP _
            южных южный ADJ Case=Gen|Degree=Pos|Number=Plur
            регионов регион NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            .
            По по ADP _
            их их DET Poss=Yes|PronType=Prs
            прогнозу прогноз NOUN Animacy=Inan|Case=Dat|Gender=Masc|Number=Sing
            ,
            цены цена NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Plur
            ,
            скорее скорее ADV Degree=Cmp
            всего всё PRON Animacy=Inan|Case=Gen|Gender=Neut|Number=Sing|PronType=Tot
            ,
            перестанут перестать VERB Aspect=Perf|Mood=Ind|Number=Plur|Person=3|Tense=Fut|VerbForm=Fin|Voice=Act
            расти расти VERB Aspect=Imp|VerbForm=Inf|Voice=Act
            в в ADP _
            июле июль NOUN Animacy=Inan|Case=Loc|Gender=Masc|Number=Sing
            ,
            когда когда SCONJ _
            на на ADP _
            рынки рынок NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Plur
            поступит поступить VERB Aspect=Perf|Mood=Ind|Number=Sing|Person=3|Tense=Fut|VerbForm=Fin|Voice=Act
            урожай урожай NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            местных местный ADJ Case=Gen|Degree=Pos|Number=Plur
            фермеров фермер NOUN Animacy=Anim|Case=Gen|Gender=Masc|Number=Plur
            .
        """,
        frames=[
            frame(
                "выросли",
                PATIENT="Цены на овощи",
                PLACE="в Ольховске",
                TIME="за месяц",
                MANNER="в среднем на 12 процентов",
            ),
            frame("подорожали", MANNER="Сильнее всего", PATIENT="огурцы и помидоры"),
            frame(
                "связывают",
                AGENT="Аналитики областного статистического управления",
                THEME="рост",
                CAUSE="с холодной весной и сокращением поставок из южных регионов",
            ),
            frame("перестанут расти", PATIENT="цены", TIME="в июле"),
            frame("поступит", PLACE="на рынки", THEME="урожай местных фермеров"),
        ],
        units=[
            Unit(
                "mc",
                "MAJOR_CLAIM",
                "Цены на овощи в Ольховске за месяц выросли в среднем на 12 процентов",
            ),
            Unit("p1", "PREMISE", "Сильнее всего подорожали огурцы и помидоры"),
            Unit(
                "c1",
                "CLAIM",
                "Аналитики областного статистического управления связывают рост с холодной "
                "весной и сокращением поставок из южных регионов",
            ),
            Unit("c2", "CLAIM", "цены, скорее всего, перестанут расти в июле"),
            Unit("p2", "PREMISE", "когда на рынки поступит урожай местных фермеров"),
        ],
        discourse=[
            Discourse("ELABORATION", "p1", "mc"),
            Discourse("CAUSE", "c1", "mc"),
            Discourse("CAUSE", "p2", "c2", "когда"),
        ],
        unfolding=[
            Unfolding(
                "c2",
                "EXAMPLE",
                "Так обычно бывает с кабачками: как только их начинают привозить с местных "
                "огородов, цена на рынке падает в несколько раз.",
            ),
            Unfolding(
                "c2",
                "COUNTEREXAMPLE",
                "Если лето выдастся дождливым и урожай погибнет, в июле цены не только не "
                "перестанут расти, но и подскочат ещё сильнее.",
            ),
        ],
        sources=[
            SourceMention("s1", "Аналитики областного статистического управления"),
            SourceMention("s2", "По их прогнозу"),
        ],
        cues=[Cue("HEDGE", "скорее всего")],
        facts=[
            Fact(
                "f1",
                "FACT",
                "Цены на овощи в Ольховске за месяц выросли в среднем на 12 процентов",
            ),
            Fact("f2", "FACT", "Сильнее всего подорожали огурцы и помидоры"),
            Fact(
                "f3",
                "PROBABLE",
                "рост с холодной весной и сокращением поставок из южных регионов",
                evidential="REPORTED",
                source="s1",
            ),
            Fact(
                "f4",
                "PROBABLE",
                "цены, скорее всего, перестанут расти в июле",
                evidential="REPORTED",
                source="s2",
            ),
            Fact(
                "f5",
                "FACT",
                "на рынки поступит урожай местных фермеров",
                evidential="REPORTED",
                source="s2",
            ),
        ],
        acts=["ASSERT", "ASSERT", "ASSERT", "ASSERT"],
        intent="INFORM",
        tone="NEUTRAL",
        register="NEWS",
        implicature=(
            "Подорожание, по всей видимости, временное: покупателям не стоит паниковать, "
            "летом овощи подешевеют."
        ),
        presupposition=(
            "Читатель сам покупает овощи и заметил рост цен; весна в этом году выдалась холодной."
        ),
        audience="Жители Ольховска, покупатели на рынках и в магазинах.",
        metacognitive=(
            "Автор разводит факты (рост цен) и их объяснение с прогнозом, приписывает "
            "последние аналитикам и смягчает прогноз словами «скорее всего»."
        ),
    ),
    Paragraph(
        key="news-hearings",
        annotator="boris",
        text=(
            "Администрация города Ольховска назначает публичные слушания по проекту "
            "благоустройства набережной. Слушания пройдут в следующий четверг в актовом зале "
            "Дома культуры. Жителям, желающим выступить, необходимо зарегистрироваться не "
            "позднее чем за 3 дня до начала слушаний. Все поступившие предложения будут "
            "рассмотрены и учтены при доработке проекта."
        ),
        morph="""
            Администрация администрация NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Sing
            города город NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            Ольховска Ольховск PROPN Animacy=Inan|Case=Gen|Gender=Masc|NameType=Geo|Number=Sing
            назначает назначать VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            публичные публичный ADJ Animacy=Inan|Case=Acc|Degree=Pos|Number=Plur
            слушания слушание NOUN Animacy=Inan|Case=Acc|Gender=Neut|Number=Plur
            по по ADP _
            проекту проект NOUN Animacy=Inan|Case=Dat|Gender=Masc|Number=Sing
            благоустройства благоустройство NOUN Animacy=Inan|Case=Gen|Gender=Neut|Number=Sing
            набережной набережная NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            .
            Слушания слушание NOUN Animacy=Inan|Case=Nom|Gender=Neut|Number=Plur
            пройдут пройти VERB Aspect=Perf|Mood=Ind|Number=Plur|Person=3|Tense=Fut|VerbForm=Fin|Voice=Act
            в в ADP _
            следующий следующий ADJ Animacy=Inan|Case=Acc|Degree=Pos|Gender=Masc|Number=Sing
            четверг четверг NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            в в ADP _
            актовом актовый ADJ Case=Loc|Degree=Pos|Gender=Masc|Number=Sing
            зале зал NOUN Animacy=Inan|Case=Loc|Gender=Masc|Number=Sing
            Дома дом NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            культуры культура NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            .
            Жителям житель NOUN Animacy=Anim|Case=Dat|Gender=Masc|Number=Plur
            ,
            желающим желать VERB Aspect=Imp|Case=Dat|Number=Plur|Tense=Pres|VerbForm=Part|Voice=Act
            выступить выступить VERB Aspect=Perf|VerbForm=Inf|Voice=Act
            ,
            необходимо необходимый ADJ Degree=Pos|Gender=Neut|Number=Sing|Variant=Short
            зарегистрироваться зарегистрироваться VERB Aspect=Perf|VerbForm=Inf|Voice=Mid
            не не PART Polarity=Neg
            позднее позднее ADV Degree=Cmp
            чем чем SCONJ _
            за за ADP _
            3 3 NUM NumForm=Digit|NumType=Card
            дня день NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            до до ADP _
            начала начало NOUN Animacy=Inan|Case=Gen|Gender=Neut|Number=Sing
            слушаний слушание NOUN Animacy=Inan|Case=Gen|Gender=Neut|Number=Plur
            .
            Все весь DET Case=Nom|Number=Plur|PronType=Tot
            поступившие поступить VERB Aspect=Perf|Case=Nom|Number=Plur|Tense=Past|VerbForm=Part|Voice=Act
            предложения предложение NOUN Animacy=Inan|Case=Nom|Gender=Neut|Number=Plur
            будут быть AUX Mood=Ind|Number=Plur|Person=3|Tense=Fut|VerbForm=Fin|Voice=Act
            рассмотрены рассмотреть VERB Aspect=Perf|Number=Plur|Tense=Past|Variant=Short|VerbForm=Part|Voice=Pass
            и и CCONJ _
            учтены учесть VERB Aspect=Perf|Number=Plur|Tense=Past|Variant=Short|VerbForm=Part|Voice=Pass
            при при ADP _
            доработке доработка NOUN Animacy=Inan|Case=Loc|Gender=Fem|Number=Sing
            проекта проект NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            .
        """,
        frames=[
            frame(
                "назначает",
                AGENT="Администрация города Ольховска",
                THEME="публичные слушания по проекту благоустройства набережной",
            ),
            frame(
                "пройдут",
                THEME="Слушания",
                TIME="в следующий четверг",
                PLACE="в актовом зале Дома культуры",
            ),
            frame(
                "зарегистрироваться",
                AGENT="Жителям, желающим выступить",
                TIME="не позднее чем за 3 дня до начала слушаний",
            ),
            frame("рассмотрены", THEME="Все поступившие предложения"),
            frame(
                "учтены",
                THEME="Все поступившие предложения",
                TIME="при доработке проекта",
            ),
        ],
        units=[
            Unit(
                "mc",
                "MAJOR_CLAIM",
                "Администрация города Ольховска назначает публичные слушания по проекту "
                "благоустройства набережной",
            ),
            Unit(
                "p1",
                "PREMISE",
                "Слушания пройдут в следующий четверг в актовом зале Дома культуры",
            ),
            Unit(
                "p2",
                "PREMISE",
                "Жителям, желающим выступить, необходимо зарегистрироваться не позднее чем за "
                "3 дня до начала слушаний",
            ),
            Unit(
                "c1",
                "CLAIM",
                "Все поступившие предложения будут рассмотрены и учтены при доработке проекта",
            ),
        ],
        discourse=[
            Discourse("ELABORATION", "p1", "mc"),
            Discourse("ELABORATION", "p2", "mc"),
            Discourse("PURPOSE", "mc", "c1"),
        ],
        unfolding=[
            Unfolding(
                "p2",
                "APPLICATION",
                "Если слушания пройдут в четверг, зарегистрироваться нужно не позже понедельника "
                "той же недели.",
            ),
        ],
        facts=[
            Fact(
                "f1",
                "FACT",
                "Администрация города Ольховска назначает публичные слушания по проекту "
                "благоустройства набережной",
            ),
            Fact(
                "f2",
                "FACT",
                "Слушания пройдут в следующий четверг в актовом зале Дома культуры",
            ),
            Fact(
                "f3",
                "FACT",
                "Все поступившие предложения будут рассмотрены и учтены при доработке проекта",
            ),
        ],
        acts=["DECLARE", "ASSERT", "DIRECT", "COMMIT"],
        intent="INFORM",
        tone="NEUTRAL",
        register="OFFICIAL",
        implicature=(
            "Жители могут повлиять на облик набережной, но только если проявят инициативу "
            "вовремя и заранее зарегистрируются."
        ),
        presupposition=(
            "Проект благоустройства набережной уже подготовлен; жители знают, где находится "
            "Дом культуры."
        ),
        audience="Жители Ольховска, которым небезразлично благоустройство города.",
        metacognitive=(
            "Текст построен по канону официального объявления: решение, время и место, "
            "требования к участникам, обязательство власти; безличные и пассивные конструкции "
            "подчёркивают институциональный характер сообщения."
        ),
    ),
]

ESSAY = [
    Paragraph(
        key="essay-homework",
        annotator="anna",
        text=(
            "Домашние задания в начальной школе стоит сократить вдвое. Младшеклассник, который "
            "проводит за уроками по три часа, устаёт не меньше взрослого после смены. При этом "
            "исследования не находят заметной связи между объёмом домашней работы и "
            "успеваемостью детей младше 10 лет. Освободившееся время лучше отдать прогулкам, "
            "чтению и сну."
        ),
        morph="""
            Домашние домашний ADJ Animacy=Inan|Case=Acc|Degree=Pos|Number=Plur
            задания задание NOUN Animacy=Inan|Case=Acc|Gender=Neut|Number=Plur
            в в ADP _
            начальной начальный ADJ Case=Loc|Degree=Pos|Gender=Fem|Number=Sing
            школе школа NOUN Animacy=Inan|Case=Loc|Gender=Fem|Number=Sing
            стоит стоить VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            сократить сократить VERB Aspect=Perf|VerbForm=Inf|Voice=Act
            вдвое вдвое ADV Degree=Pos
            .
            Младшеклассник младшеклассник NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Sing
            ,
            который который DET Case=Nom|Gender=Masc|Number=Sing|PronType=Rel
            проводит проводить VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            за за ADP _
            уроками урок NOUN Animacy=Inan|Case=Ins|Gender=Masc|Number=Plur
            по по ADP _
            три три NUM Animacy=Inan|Case=Acc|NumForm=Word|NumType=Card
            часа час NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            ,
            устаёт уставать VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            не не PART Polarity=Neg
            меньше меньше ADV Degree=Cmp|PronType=Tot
            взрослого взрослый NOUN Animacy=Anim|Case=Gen|Gender=Masc|Number=Sing
            после после ADP _
            смены смена NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            .
            При при ADP _
            этом это PRON Animacy=Inan|Case=Loc|Gender=Neut|Number=Sing|PronType=Dem
            исследования исследование NOUN Animacy=Inan|Case=Nom|Gender=Neut|Number=Plur
            не не PART Polarity=Neg
            находят находить VERB Aspect=Imp|Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            заметной заметный ADJ Case=Gen|Degree=Pos|Gender=Fem|Number=Sing
            связи связь NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            между между ADP _
            объёмом объём NOUN Animacy=Inan|Case=Ins|Gender=Masc|Number=Sing
            домашней домашний ADJ Case=Gen|Degree=Pos|Gender=Fem|Number=Sing
            работы работа NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            и и CCONJ _
            успеваемостью успеваемость NOUN Animacy=Inan|Case=Ins|Gender=Fem|Number=Sing
            детей ребёнок NOUN Animacy=Anim|Case=Gen|Gender=Masc|Number=Plur
            младше младший ADJ Degree=Cmp
            10 10 NUM NumForm=Digit|NumType=Card
            лет год NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            .
            Освободившееся освободиться VERB Aspect=Perf|Case=Acc|Gender=Neut|Number=Sing|Tense=Past|VerbForm=Part|Voice=Mid
            время время NOUN Animacy=Inan|Case=Acc|Gender=Neut|Number=Sing
            лучше хороший ADJ Degree=Cmp
            отдать отдать VERB Aspect=Perf|VerbForm=Inf|Voice=Act
            прогулкам прогулка NOUN Animacy=Inan|Case=Dat|Gender=Fem|Number=Plur
            ,
            чтению чтение NOUN Animacy=Inan|Case=Dat|Gender=Neut|Number=Sing
            и и CCONJ _
            сну сон NOUN Animacy=Inan|Case=Dat|Gender=Masc|Number=Sing
            .
        """,
        frames=[
            frame(
                "сократить",
                PATIENT="Домашние задания в начальной школе",
                MANNER="вдвое",
            ),
            frame("проводит", AGENT="который", THEME="за уроками", TIME="по три часа"),
            frame(
                "устаёт",
                EXPERIENCER="Младшеклассник",
                MANNER="не меньше взрослого после смены",
            ),
            frame(
                "находят",
                AGENT="исследования",
                THEME="заметной связи между объёмом домашней работы и успеваемостью детей "
                "младше 10 лет",
            ),
            frame("отдать", THEME="Освободившееся время", RECIPIENT="прогулкам, чтению и сну"),
        ],
        units=[
            Unit("mc", "MAJOR_CLAIM", "Домашние задания в начальной школе стоит сократить вдвое"),
            Unit(
                "p1",
                "PREMISE",
                "Младшеклассник, который проводит за уроками по три часа, устаёт не меньше "
                "взрослого после смены",
            ),
            Unit(
                "p2",
                "PREMISE",
                "исследования не находят заметной связи между объёмом домашней работы и "
                "успеваемостью детей младше 10 лет",
            ),
            Unit("c1", "CLAIM", "Освободившееся время лучше отдать прогулкам, чтению и сну"),
        ],
        discourse=[
            Discourse("SUPPORT", "p1", "mc"),
            Discourse("SUPPORT", "p2", "mc", "при этом"),
            Discourse("ELABORATION", "c1", "mc"),
        ],
        unfolding=[
            Unfolding(
                "mc",
                "EXAMPLE",
                "В школе, где третьеклассникам ограничили домашнюю работу получасом в день, за "
                "год успеваемость не снизилась, а дети стали больше читать и гулять.",
            ),
            Unfolding(
                "mc",
                "COUNTEREXAMPLE",
                "Ребёнку, который отстал от класса после долгой болезни, дополнительные "
                "упражнения дома помогают догнать остальных, и урезать их ему вредно.",
            ),
            Unfolding(
                "c1",
                "APPLICATION",
                "Вместо второго упражнения по математике семья может выйти вечером на часовую "
                "прогулку, а перед сном полчаса почитать вслух.",
            ),
        ],
        sources=[SourceMention("s1", "исследования")],
        facts=[
            Fact(
                "f1",
                "FACT",
                "Младшеклассник, который проводит за уроками по три часа, устаёт не меньше "
                "взрослого после смены",
                evidential="INFERRED",
            ),
            Fact(
                "f2",
                "NON_FACT",
                "исследования не находят заметной связи между объёмом домашней работы и "
                "успеваемостью детей младше 10 лет",
                evidential="REPORTED",
                negated=True,
                source="s1",
            ),
        ],
        acts=["DIRECT", "ASSERT", "ASSERT", "DIRECT"],
        intent="PERSUADE",
        tone="NEUTRAL",
        register="NEWS",
        implicature=(
            "Нынешняя нагрузка младших школьников чрезмерна, и взрослые задают много "
            "домашней работы по инерции, а не ради результата."
        ),
        presupposition=(
            "В начальной школе сейчас задают много домашних заданий, и дети тратят на них "
            "по несколько часов в день."
        ),
        audience="Родители младших школьников, учителя, авторы школьных программ.",
        metacognitive=(
            "Автор начинает с тезиса, подкрепляет его доводом от здравого смысла и ссылкой на "
            "исследования, а заканчивает положительной программой, чтобы предложение не "
            "выглядело простым запретом."
        ),
    ),
    Paragraph(
        key="essay-objection",
        annotator="anna",
        text=(
            "Противники этой идеи, безусловно, правы в одном: навык самостоятельной работы сам "
            "собой не появится. Ребёнок должен научиться садиться за задание без напоминаний и "
            "доводить его до конца. Но для этого хватит 20 минут в день, если задание "
            "интересное. Длинные однообразные упражнения, напротив, учат скорее тому, как "
            "растягивать скучную работу на весь вечер."
        ),
        morph="""
            Противники противник NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Plur
            этой этот DET Case=Gen|Gender=Fem|Number=Sing|PronType=Dem
            идеи идея NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            ,
            безусловно безусловно ADV Degree=Pos
            ,
            правы правый ADJ Degree=Pos|Number=Plur|Variant=Short
            в в ADP _
            одном один DET Case=Loc|Gender=Neut|Number=Sing|PronType=Ind
            :
            навык навык NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            самостоятельной самостоятельный ADJ Case=Gen|Degree=Pos|Gender=Fem|Number=Sing
            работы работа NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            сам сам DET Case=Nom|Gender=Masc|Number=Sing|PronType=Emp
            собой себя PRON Case=Ins|PronType=Prs|Reflex=Yes
            не не PART Polarity=Neg
            появится появиться VERB Aspect=Perf|Mood=Ind|Number=Sing|Person=3|Tense=Fut|VerbForm=Fin|Voice=Mid
            .
            Ребёнок ребёнок NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Sing
            должен должен ADJ Degree=Pos|Gender=Masc|Number=Sing|Variant=Short
            научиться научиться VERB Aspect=Perf|VerbForm=Inf|Voice=Mid
            садиться садиться VERB Aspect=Imp|VerbForm=Inf|Voice=Mid
            за за ADP _
            задание задание NOUN Animacy=Inan|Case=Acc|Gender=Neut|Number=Sing
            без без ADP _
            напоминаний напоминание NOUN Animacy=Inan|Case=Gen|Gender=Neut|Number=Plur
            и и CCONJ _
            доводить доводить VERB Aspect=Imp|VerbForm=Inf|Voice=Act
            его оно PRON Case=Acc|Gender=Neut|Number=Sing|Person=3|PronType=Prs
            до до ADP _
            конца конец NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            .
            Но но CCONJ _
            для для ADP _
            этого это PRON Animacy=Inan|Case=Gen|Gender=Neut|Number=Sing|PronType=Dem
            хватит хватить VERB Aspect=Perf|Mood=Ind|Number=Sing|Person=3|Tense=Fut|VerbForm=Fin|Voice=Act
            20 20 NUM NumForm=Digit|NumType=Card
            минут минута NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Plur
            в в ADP _
            день день NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            ,
            если если SCONJ _
            задание задание NOUN Animacy=Inan|Case=Nom|Gender=Neut|Number=Sing
            интересное интересный ADJ Case=Nom|Degree=Pos|Gender=Neut|Number=Sing
            .
            Длинные длинный ADJ Case=Nom|Degree=Pos|Number=Plur
            однообразные однообразный ADJ Case=Nom|Degree=Pos|Number=Plur
            упражнения упражнение NOUN Animacy=Inan|Case=Nom|Gender=Neut|Number=Plur
            ,
            напротив напротив ADV Degree=Pos
            ,
            учат учить VERB Aspect=Imp|Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            скорее скорее ADV Degree=Cmp
            тому то PRON Animacy=Inan|Case=Dat|Gender=Neut|Number=Sing|PronType=Dem
            ,
            как как ADV Degree=Pos|PronType=Rel
            растягивать растягивать VERB Aspect=Imp|VerbForm=Inf|Voice=Act
            скучную скучный ADJ Case=Acc|Degree=Pos|Gender=Fem|Number=Sing
            работу работа NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Sing
            на на ADP _
            весь весь DET Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing|PronType=Tot
            вечер вечер NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            .
        """,
        frames=[
            frame("правы", THEME="Противники этой идеи"),
            frame(
                "появится",
                THEME="навык самостоятельной работы",
                MANNER="сам собой",
            ),
            frame(
                "научиться",
                AGENT="Ребёнок",
                THEME="садиться за задание без напоминаний и доводить его до конца",
            ),
            frame("хватит", THEME="20 минут", TIME="в день"),
            frame(
                "учат",
                CAUSE="Длинные однообразные упражнения",
                THEME="тому, как растягивать скучную работу на весь вечер",
            ),
            frame("растягивать", PATIENT="скучную работу", TIME="на весь вечер"),
        ],
        units=[
            Unit("c0", "CLAIM", "Противники этой идеи, безусловно, правы в одном"),
            Unit("p1", "PREMISE", "навык самостоятельной работы сам собой не появится"),
            Unit(
                "p2",
                "PREMISE",
                "Ребёнок должен научиться садиться за задание без напоминаний и доводить его до "
                "конца",
            ),
            Unit("c1", "CLAIM", "для этого хватит 20 минут в день"),
            Unit("p3", "PREMISE", "если задание интересное"),
            Unit(
                "p4",
                "PREMISE",
                "Длинные однообразные упражнения, напротив, учат скорее тому, как растягивать "
                "скучную работу на весь вечер",
            ),
        ],
        discourse=[
            Discourse("ELABORATION", "p1", "c0"),
            Discourse("ELABORATION", "p2", "p1"),
            Discourse("CONCESSION", "c0", "c1", "но"),
            Discourse("CONDITION", "p3", "c1", "если"),
            Discourse("SUPPORT", "p4", "c1", "напротив"),
        ],
        unfolding=[
            Unfolding(
                "c1",
                "EXAMPLE",
                "Четвероклассница каждый вечер четверть часа решает одну занимательную задачу "
                "и через пару месяцев уже садится за неё сама, без напоминаний.",
            ),
            Unfolding(
                "c1",
                "COUNTEREXAMPLE",
                "Чтобы научиться писать сочинения, 20 минут в день часто мало: черновик, правка "
                "и переписывание набело требуют куда больше времени.",
            ),
        ],
        cues=[Cue("BOOSTER", "безусловно"), Cue("HEDGE", "скорее")],
        facts=[
            Fact("f1", "FACT", "Противники этой идеи, безусловно, правы в одном"),
            Fact(
                "f2",
                "NON_FACT",
                "навык самостоятельной работы сам собой не появится",
                evidential="INFERRED",
                negated=True,
            ),
            Fact(
                "f3",
                "FACT",
                "для этого хватит 20 минут в день, если задание интересное",
                evidential="INFERRED",
            ),
            Fact(
                "f4",
                "PROBABLE",
                "Длинные однообразные упражнения, напротив, учат скорее тому, как растягивать "
                "скучную работу на весь вечер",
                evidential="INFERRED",
            ),
        ],
        acts=["ASSERT", "ASSERT", "ASSERT", "ASSERT"],
        intent="PERSUADE",
        tone="NEUTRAL",
        register="NEWS",
        implicature=(
            "Цель домашних заданий — воспитать самостоятельность, а не занять вечер; длинные "
            "задания подрывают ту самую цель, ради которой их задают."
        ),
        presupposition=(
            "«Эта идея» — предложение сократить домашние задания, высказанное раньше; читатель "
            "знаком с доводами её противников."
        ),
        audience="Учителя и родители, которые сомневаются, стоит ли сокращать домашнюю работу.",
        metacognitive=(
            "Автор делает уступку оппонентам, чтобы выглядеть честным, а затем показывает, что "
            "из их же довода следует его собственный вывод."
        ),
    ),
    Paragraph(
        key="essay-ebooks",
        annotator="anna",
        text=(
            "Разве текст становится хуже оттого, что его читают с экрана? Мне кажется, спор о "
            "бумажных и электронных книгах давно потерял смысл. Бумага приятнее на ощупь, зато "
            "в читалку помещается целая библиотека, а шрифт в ней легко увеличить. Важно не то, "
            "на чём мы читаем роман, а то, дочитаем ли мы его до последней страницы."
        ),
        morph="""
            Разве разве PART _
            текст текст NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            становится становиться VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Mid
            хуже плохой ADJ Degree=Cmp
            оттого оттого ADV Degree=Pos|PronType=Dem
            ,
            что что SCONJ _
            его он PRON Case=Acc|Gender=Masc|Number=Sing|Person=3|PronType=Prs
            читают читать VERB Aspect=Imp|Mood=Ind|Number=Plur|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            с с ADP _
            экрана экран NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            ?
            Мне я PRON Case=Dat|Number=Sing|Person=1|PronType=Prs
            кажется казаться VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Mid
            ,
            спор спор NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            о о ADP _
            бумажных бумажный ADJ Case=Loc|Degree=Pos|Number=Plur
            и и CCONJ _
            электронных электронный ADJ Case=Loc|Degree=Pos|Number=Plur
            книгах книга NOUN Animacy=Inan|Case=Loc|Gender=Fem|Number=Plur
            давно давно ADV Degree=Pos
            потерял потерять VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            смысл смысл NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            .
            Бумага бумага NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Sing
            приятнее приятный ADJ Degree=Cmp
            на на ADP _
            ощупь ощупь NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Sing
            ,
            зато зато CCONJ _
            в в ADP _
            читалку читалка NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Sing
            помещается помещаться VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Mid
            целая целый ADJ Case=Nom|Degree=Pos|Gender=Fem|Number=Sing
            библиотека библиотека NOUN Animacy=Inan|Case=Nom|Gender=Fem|Number=Sing
            ,
            а а CCONJ _
            шрифт шрифт NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            в в ADP _
            ней она PRON Case=Loc|Gender=Fem|Number=Sing|Person=3|PronType=Prs
            легко лёгкий ADJ Degree=Pos|Gender=Neut|Number=Sing|Variant=Short
            увеличить увеличить VERB Aspect=Perf|VerbForm=Inf|Voice=Act
            .
            Важно важный ADJ Degree=Pos|Gender=Neut|Number=Sing|Variant=Short
            не не PART Polarity=Neg
            то то PRON Animacy=Inan|Case=Nom|Gender=Neut|Number=Sing|PronType=Dem
            ,
            на на ADP _
            чём что PRON Animacy=Inan|Case=Loc|Gender=Neut|Number=Sing|PronType=Rel
            мы мы PRON Case=Nom|Number=Plur|Person=1|PronType=Prs
            читаем читать VERB Aspect=Imp|Mood=Ind|Number=Plur|Person=1|Tense=Pres|VerbForm=Fin|Voice=Act
            роман роман NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            ,
            а а CCONJ _
            то то PRON Animacy=Inan|Case=Nom|Gender=Neut|Number=Sing|PronType=Dem
            ,
            дочитаем дочитать VERB Aspect=Perf|Mood=Ind|Number=Plur|Person=1|Tense=Fut|VerbForm=Fin|Voice=Act
            ли ли PART _
            мы мы PRON Case=Nom|Number=Plur|Person=1|PronType=Prs
            его он PRON Case=Acc|Gender=Masc|Number=Sing|Person=3|PronType=Prs
            до до ADP _
            последней последний ADJ Case=Gen|Degree=Pos|Gender=Fem|Number=Sing
            страницы страница NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            .
        """,
        frames=[
            frame(
                "становится",
                THEME="текст",
                ATTRIBUTE="хуже",
                CAUSE="оттого, что его читают с экрана",
            ),
            frame("читают", THEME=("его", 1), INSTRUMENT="с экрана"),
            frame(
                "кажется",
                EXPERIENCER="Мне",
                THEME="спор о бумажных и электронных книгах давно потерял смысл",
            ),
            frame(
                "потерял",
                PATIENT="спор о бумажных и электронных книгах",
                TIME="давно",
                THEME="смысл",
            ),
            frame("приятнее", THEME="Бумага", MANNER="на ощупь"),
            frame("помещается", PLACE="в читалку", THEME="целая библиотека"),
            frame("увеличить", PATIENT="шрифт", PLACE="в ней", MANNER="легко"),
            frame("Важно", THEME="то, дочитаем ли мы его до последней страницы"),
            frame("читаем", INSTRUMENT="на чём", AGENT=("мы", 1), THEME="роман"),
            frame("дочитаем", AGENT=("мы", 2), THEME=("его", 2)),
        ],
        units=[
            Unit("c1", "CLAIM", "Разве текст становится хуже оттого, что его читают с экрана"),
            Unit(
                "mc",
                "MAJOR_CLAIM",
                "спор о бумажных и электронных книгах давно потерял смысл",
            ),
            Unit("p1", "PREMISE", "Бумага приятнее на ощупь"),
            Unit(
                "p2",
                "PREMISE",
                "в читалку помещается целая библиотека, а шрифт в ней легко увеличить",
            ),
            Unit(
                "c2",
                "CLAIM",
                "Важно не то, на чём мы читаем роман, а то, дочитаем ли мы его до последней "
                "страницы",
            ),
        ],
        discourse=[
            Discourse("SUPPORT", "c1", "mc"),
            Discourse("CONTRAST", "p1", "p2", "зато"),
            Discourse("SUPPORT", "p2", "mc"),
            Discourse("SUPPORT", "c2", "mc"),
        ],
        unfolding=[
            Unfolding(
                "c2",
                "EXAMPLE",
                "Студентка прочитала «Войну и мир» в телефоне по дороге в университет и помнит "
                "роман не хуже однокурсников, читавших бумажные тома.",
            ),
            Unfolding(
                "c2",
                "COUNTEREXAMPLE",
                "Учебник с формулами и схемами на маленьком экране читать неудобно: приходится "
                "то и дело листать назад, и понимание страдает, даже если книга дочитана.",
            ),
            Unfolding(
                "mc",
                "ANALOGY",
                "Спорить о бумаге и экране — всё равно что спорить, из какой чашки вкуснее чай: "
                "важнее, какой чай заварен.",
            ),
        ],
        cues=[Cue("HEDGE", "Мне кажется")],
        facts=[
            Fact(
                "f1",
                "NON_FACT",
                "текст становится хуже оттого, что его читают с экрана",
                evidential="INFERRED",
            ),
            Fact(
                "f2",
                "PROBABLE",
                "спор о бумажных и электронных книгах давно потерял смысл",
                evidential="INFERRED",
            ),
            Fact("f3", "FACT", "Бумага приятнее на ощупь"),
            Fact("f4", "FACT", "в читалку помещается целая библиотека"),
            Fact("f5", "FACT", "шрифт в ней легко увеличить"),
        ],
        acts=["QUESTION", "ASSERT", "ASSERT", "ASSERT"],
        intent="PERSUADE",
        tone="NEUTRAL",
        register="NEWS",
        implicature=(
            "Вопрос в начале риторический: автор считает, что текст от экрана не портится, а "
            "противники электронных книг путают любовь к бумаге с любовью к чтению."
        ),
        presupposition=(
            "Существует спор о том, можно ли считать чтение с экрана настоящим чтением; "
            "читатель знает, что такое электронная читалка."
        ),
        audience="Читатели, которые спорят о бумажных и электронных книгах, в том числе "
        "сторонники бумаги.",
        metacognitive=(
            "Автор открывает абзац риторическим вопросом, смягчает позицию («мне кажется»), "
            "честно признаёт довод в пользу бумаги и переносит спор с носителя на сам "
            "результат чтения."
        ),
    ),
    Paragraph(
        key="essay-kettle",
        annotator="anna",
        text=(
            "Новый умный чайник, конечно, настоящий прорыв: чтобы вскипятить воду, теперь "
            "достаточно скачать приложение, создать учётную запись и дождаться обновления "
            "прошивки. Вчера обновление шло сорок минут. Обычный чайник за это время вскипел бы "
            "раз десять. Производитель обещает исправить ошибки в следующей версии, но я, "
            "пожалуй, вернусь к старому."
        ),
        morph="""
            Новый новый ADJ Case=Nom|Degree=Pos|Gender=Masc|Number=Sing
            умный умный ADJ Case=Nom|Degree=Pos|Gender=Masc|Number=Sing
            чайник чайник NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            ,
            конечно конечно ADV Degree=Pos
            ,
            настоящий настоящий ADJ Case=Nom|Degree=Pos|Gender=Masc|Number=Sing
            прорыв прорыв NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            :
            чтобы чтобы SCONJ Mood=Cnd
            вскипятить вскипятить VERB Aspect=Perf|VerbForm=Inf|Voice=Act
            воду вода NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Sing
            ,
            теперь теперь ADV Degree=Pos|PronType=Dem
            достаточно достаточный ADJ Degree=Pos|Gender=Neut|Number=Sing|Variant=Short
            скачать скачать VERB Aspect=Perf|VerbForm=Inf|Voice=Act
            приложение приложение NOUN Animacy=Inan|Case=Acc|Gender=Neut|Number=Sing
            ,
            создать создать VERB Aspect=Perf|VerbForm=Inf|Voice=Act
            учётную учётный ADJ Case=Acc|Degree=Pos|Gender=Fem|Number=Sing
            запись запись NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Sing
            и и CCONJ _
            дождаться дождаться VERB Aspect=Perf|VerbForm=Inf|Voice=Mid
            обновления обновление NOUN Animacy=Inan|Case=Gen|Gender=Neut|Number=Sing
            прошивки прошивка NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Sing
            .
            Вчера вчера ADV Degree=Pos
            обновление обновление NOUN Animacy=Inan|Case=Nom|Gender=Neut|Number=Sing
            шло идти VERB Aspect=Imp|Gender=Neut|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            сорок сорок NUM Case=Acc|NumForm=Word|NumType=Card
            минут минута NOUN Animacy=Inan|Case=Gen|Gender=Fem|Number=Plur
            .
            Обычный обычный ADJ Case=Nom|Degree=Pos|Gender=Masc|Number=Sing
            чайник чайник NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            за за ADP _
            это этот DET Case=Acc|Gender=Neut|Number=Sing|PronType=Dem
            время время NOUN Animacy=Inan|Case=Acc|Gender=Neut|Number=Sing
            вскипел вскипеть VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            бы бы AUX Mood=Cnd
            раз раз NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Plur
            десять десять NUM Case=Acc|NumForm=Word|NumType=Card
            .
            Производитель производитель NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Sing
            обещает обещать VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Act
            исправить исправить VERB Aspect=Perf|VerbForm=Inf|Voice=Act
            ошибки ошибка NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Plur
            в в ADP _
            следующей следующий ADJ Case=Loc|Degree=Pos|Gender=Fem|Number=Sing
            версии версия NOUN Animacy=Inan|Case=Loc|Gender=Fem|Number=Sing
            ,
            но но CCONJ _
            я я PRON Case=Nom|Number=Sing|Person=1|PronType=Prs
            ,
            пожалуй пожалуй ADV Degree=Pos
            ,
            вернусь вернуться VERB Aspect=Perf|Mood=Ind|Number=Sing|Person=1|Tense=Fut|VerbForm=Fin|Voice=Mid
            к к ADP _
            старому старый ADJ Case=Dat|Degree=Pos|Gender=Masc|Number=Sing
            .
        """,
        frames=[
            frame("настоящий прорыв", THEME="Новый умный чайник"),
            frame("вскипятить", PATIENT="воду"),
            frame(
                "достаточно",
                TIME="теперь",
                THEME="скачать приложение, создать учётную запись и дождаться обновления прошивки",
            ),
            frame("скачать", THEME="приложение"),
            frame("создать", PATIENT="учётную запись"),
            frame("дождаться", THEME="обновления прошивки"),
            frame("шло", TIME=["Вчера", "сорок минут"], THEME="обновление"),
            frame(
                "вскипел",
                THEME="Обычный чайник",
                TIME="за это время",
                MANNER="раз десять",
            ),
            frame(
                "обещает",
                AGENT="Производитель",
                THEME="исправить ошибки в следующей версии",
            ),
            frame("исправить", PATIENT="ошибки", TIME="в следующей версии"),
            frame("вернусь", AGENT="я", THEME="к старому"),
        ],
        units=[
            Unit("c0", "CLAIM", "Новый умный чайник, конечно, настоящий прорыв"),
            Unit(
                "p1",
                "PREMISE",
                "чтобы вскипятить воду, теперь достаточно скачать приложение, создать учётную "
                "запись и дождаться обновления прошивки",
            ),
            Unit("p2", "PREMISE", "Вчера обновление шло сорок минут"),
            Unit("p3", "PREMISE", "Обычный чайник за это время вскипел бы раз десять"),
            Unit(
                "c1",
                "CLAIM",
                "Производитель обещает исправить ошибки в следующей версии",
            ),
            Unit("mc", "MAJOR_CLAIM", "я, пожалуй, вернусь к старому"),
        ],
        discourse=[
            # the colon reads as an elaboration, but the "details" refute the praise: irony
            Discourse("ATTACK", "p1", "c0"),
            Discourse("SUPPORT", "p1", "mc"),
            Discourse("SUPPORT", "p2", "mc"),
            Discourse("ELABORATION", "p3", "p2"),
            Discourse("CONCESSION", "c1", "mc", "но"),
        ],
        unfolding=[
            Unfolding(
                "c0",
                "COUNTEREXAMPLE",
                "Настоящим прорывом был электрический чайник с автоматическим отключением: он "
                "избавил от необходимости караулить воду на плите и не требовал ни приложений, "
                "ни учётных записей.",
            ),
            Unfolding(
                "mc",
                "APPLICATION",
                "Прежде чем покупать «умную» бытовую технику, стоит проверить, работает ли она "
                "без приложения и без интернета.",
            ),
        ],
        sources=[SourceMention("s1", "Производитель")],
        cues=[Cue("BOOSTER", "конечно"), Cue("HEDGE", "пожалуй")],
        facts=[
            Fact(
                "f1",
                "NON_FACT",
                "Новый умный чайник, конечно, настоящий прорыв",
                evidential="INFERRED",
            ),
            Fact(
                "f2",
                "FACT",
                "чтобы вскипятить воду, теперь достаточно скачать приложение, создать учётную "
                "запись и дождаться обновления прошивки",
            ),
            Fact("f3", "FACT", "Вчера обновление шло сорок минут"),
            Fact(
                "f4",
                "NON_FACT",
                "Обычный чайник за это время вскипел бы раз десять",
                evidential="INFERRED",
            ),
            Fact("f5", "FACT", "Производитель обещает исправить ошибки в следующей версии"),
            Fact(
                "f6",
                "UNCOMMITTED",
                "исправить ошибки в следующей версии",
                evidential="REPORTED",
                source="s1",
            ),
            Fact("f7", "PROBABLE", "я, пожалуй, вернусь к старому"),
        ],
        acts=["EXPRESS", "ASSERT", "ASSERT", "ASSERT"],
        intent="EVALUATE",
        tone="IRONIC",
        register="NEWS",
        implicature=(
            "«Умный» чайник на деле хуже обычного: усложнение ради моды сделало простую вещь "
            "неудобной, а похвала в первой фразе означает её противоположность."
        ),
        presupposition=(
            "Обычный чайник закипает за несколько минут; читатель знает, что такое приложение, "
            "учётная запись и прошивка."
        ),
        audience="Покупатели бытовой техники, читатели обзоров гаджетов.",
        metacognitive=(
            "Автор хвалит чайник с преувеличением, а затем спокойно перечисляет факты, которые "
            "эту похвалу опровергают: ирония убеждает сильнее прямой критики и оставляет вывод "
            "читателю."
        ),
    ),
]

FICTION = [
    Paragraph(
        key="fiction-fog",
        annotator="boris",
        text=(
            "К вечеру ветер стих, и над озером повис густой туман. Дед Фёдор вытащил лодку на "
            "песок, перевернул её вверх дном и долго стоял на берегу, прислушиваясь к тишине. "
            "В тумане одиноко кричала чайка — единственный звук на всём озере. Старик подумал, "
            "что завтра, наверное, распогодится, и медленно побрёл к дому, где в окне уже горел "
            "свет."
        ),
        morph="""
            К к ADP _
            вечеру вечер NOUN Animacy=Inan|Case=Dat|Gender=Masc|Number=Sing
            ветер ветер NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            стих стихнуть VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            ,
            и и CCONJ _
            над над ADP _
            озером озеро NOUN Animacy=Inan|Case=Ins|Gender=Neut|Number=Sing
            повис повиснуть VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            густой густой ADJ Case=Nom|Degree=Pos|Gender=Masc|Number=Sing
            туман туман NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            .
            Дед дед NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Sing
            Фёдор Фёдор PROPN Animacy=Anim|Case=Nom|Gender=Masc|NameType=Giv|Number=Sing
            вытащил вытащить VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            лодку лодка NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Sing
            на на ADP _
            песок песок NOUN Animacy=Inan|Case=Acc|Gender=Masc|Number=Sing
            ,
            перевернул перевернуть VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            её она PRON Case=Acc|Gender=Fem|Number=Sing|Person=3|PronType=Prs
            вверх вверх ADV Degree=Pos
            дном дно NOUN Animacy=Inan|Case=Ins|Gender=Neut|Number=Sing
            и и CCONJ _
            долго долго ADV Degree=Pos
            стоял стоять VERB Aspect=Imp|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            на на ADP _
            берегу берег NOUN Animacy=Inan|Case=Loc|Gender=Masc|Number=Sing
            ,
            прислушиваясь прислушиваться VERB Aspect=Imp|Tense=Pres|VerbForm=Conv|Voice=Mid
            к к ADP _
            тишине тишина NOUN Animacy=Inan|Case=Dat|Gender=Fem|Number=Sing
            .
            В в ADP _
            тумане туман NOUN Animacy=Inan|Case=Loc|Gender=Masc|Number=Sing
            одиноко одиноко ADV Degree=Pos
            кричала кричать VERB Aspect=Imp|Gender=Fem|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            чайка чайка NOUN Animacy=Anim|Case=Nom|Gender=Fem|Number=Sing
            —
            единственный единственный ADJ Case=Nom|Degree=Pos|Gender=Masc|Number=Sing
            звук звук NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            на на ADP _
            всём весь DET Case=Loc|Gender=Neut|Number=Sing|PronType=Tot
            озере озеро NOUN Animacy=Inan|Case=Loc|Gender=Neut|Number=Sing
            .
            Старик старик NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Sing
            подумал подумать VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            ,
            что что SCONJ _
            завтра завтра ADV Degree=Pos
            ,
            наверное наверное ADV Degree=Pos
            ,
            распогодится распогодиться VERB Aspect=Perf|Mood=Ind|Number=Sing|Person=3|Tense=Fut|VerbForm=Fin|Voice=Mid
            ,
            и и CCONJ _
            медленно медленно ADV Degree=Pos
            побрёл побрести VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            к к ADP _
            дому дом NOUN Animacy=Inan|Case=Dat|Gender=Masc|Number=Sing
            ,
            где где ADV Degree=Pos|PronType=Rel
            в в ADP _
            окне окно NOUN Animacy=Inan|Case=Loc|Gender=Neut|Number=Sing
            уже уже ADV Degree=Pos
            горел гореть VERB Aspect=Imp|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            свет свет NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            .
        """,
        frames=[
            frame("стих", TIME="К вечеру", THEME="ветер"),
            frame("повис", PLACE="над озером", THEME="густой туман"),
            frame("вытащил", AGENT="Дед Фёдор", THEME="лодку", PLACE="на песок"),
            frame("перевернул", AGENT="Дед Фёдор", PATIENT="её", MANNER="вверх дном"),
            frame("стоял", AGENT="Дед Фёдор", TIME="долго", PLACE="на берегу"),
            frame("прислушиваясь", AGENT="Дед Фёдор", THEME="к тишине"),
            frame("кричала", PLACE="В тумане", MANNER="одиноко", AGENT="чайка"),
            frame(
                "подумал",
                EXPERIENCER="Старик",
                THEME="что завтра, наверное, распогодится",
            ),
            frame("распогодится", TIME="завтра"),
            frame("побрёл", AGENT="Старик", MANNER="медленно", PLACE="к дому"),
            frame("горел", PLACE="в окне", TIME="уже", THEME="свет"),
        ],
        units=[
            Unit("p1", "PREMISE", "К вечеру ветер стих"),
            Unit("p2", "PREMISE", "над озером повис густой туман"),
            Unit(
                "p3",
                "PREMISE",
                "Дед Фёдор вытащил лодку на песок, перевернул её вверх дном и долго стоял на "
                "берегу, прислушиваясь к тишине",
            ),
            Unit("c1", "CLAIM", "завтра, наверное, распогодится"),
        ],
        discourse=[
            Discourse("SEQUENCE", "p1", "p2", "и"),
            Discourse("SEQUENCE", "p2", "p3"),
            Discourse("SUPPORT", "p1", "c1"),
            Discourse("SUPPORT", "p2", "c1"),
        ],
        unfolding=[
            Unfolding(
                "c1",
                "EXAMPLE",
                "Вечерний туман над тихой водой в народе считают приметой ясного дня: рыбаки, "
                "увидев его, с вечера готовят снасти на утро.",
            ),
            Unfolding(
                "c1",
                "COUNTEREXAMPLE",
                "Примета подводит, если ночью с моря приходит циклон: тогда к утру туман "
                "сменяется моросью, и рыбалку приходится отложить.",
            ),
        ],
        sources=[SourceMention("s1", "Старик")],
        cues=[Cue("HEDGE", "наверное")],
        facts=[
            Fact("f1", "FACT", "К вечеру ветер стих"),
            Fact("f2", "FACT", "над озером повис густой туман"),
            Fact(
                "f3",
                "FACT",
                "Дед Фёдор вытащил лодку на песок, перевернул её вверх дном и долго стоял на "
                "берегу",
            ),
            Fact("f4", "FACT", "В тумане одиноко кричала чайка"),
            Fact(
                "f5",
                "PROBABLE",
                "завтра, наверное, распогодится",
                evidential="REPORTED",
                source="s1",
            ),
            Fact("f6", "FACT", "в окне уже горел свет"),
        ],
        acts=["ASSERT", "ASSERT", "ASSERT", "ASSERT"],
        intent="ENTERTAIN",
        tone="POSITIVE",
        register="LITERARY",
        implicature=(
            "После долгого дня на озере старика ждут дома: одиночество у воды уравновешено "
            "светом в окне, а тишина и туман передают умиротворение."
        ),
        presupposition=(
            "Фёдор — рыбак, который живёт у озера; у него есть лодка и дом, где кто-то зажёг свет."
        ),
        audience="Читатели художественной прозы.",
        metacognitive=(
            "Автор передаёт состояние героя через пейзаж и его неторопливые действия, не "
            "называя чувств; прогноз погоды дан как мысль персонажа, а не как утверждение "
            "рассказчика."
        ),
    ),
    Paragraph(
        key="fiction-letter",
        annotator="boris",
        text=(
            "Дедушка, здравствуй! Доехал я хорошо, хотя поезд опоздал почти на два часа. "
            "Общежитие старое, но в комнате тепло, и соседи, кажется, нормальные ребята. Ты не "
            "видел, куда я положил зарядку от телефона? Наверное, она осталась на подоконнике. "
            "Пришли её, пожалуйста, вместе с моим шарфом. Обещаю звонить тебе каждое "
            "воскресенье!"
        ),
        morph="""
            Дедушка дедушка NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Sing
            ,
            здравствуй здравствовать VERB Aspect=Imp|Mood=Imp|Number=Sing|Person=2|VerbForm=Fin|Voice=Act
            !
            Доехал доехать VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            я я PRON Case=Nom|Number=Sing|Person=1|PronType=Prs
            хорошо хорошо ADV Degree=Pos
            ,
            хотя хотя SCONJ _
            поезд поезд NOUN Animacy=Inan|Case=Nom|Gender=Masc|Number=Sing
            опоздал опоздать VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            почти почти ADV Degree=Pos
            на на ADP _
            два два NUM Animacy=Inan|Case=Acc|Gender=Masc|NumForm=Word|NumType=Card
            часа час NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            .
            Общежитие общежитие NOUN Animacy=Inan|Case=Nom|Gender=Neut|Number=Sing
            старое старый ADJ Case=Nom|Degree=Pos|Gender=Neut|Number=Sing
            ,
            но но CCONJ _
            в в ADP _
            комнате комната NOUN Animacy=Inan|Case=Loc|Gender=Fem|Number=Sing
            тепло тёплый ADJ Degree=Pos|Gender=Neut|Number=Sing|Variant=Short
            ,
            и и CCONJ _
            соседи сосед NOUN Animacy=Anim|Case=Nom|Gender=Masc|Number=Plur
            ,
            кажется казаться VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin|Voice=Mid
            ,
            нормальные нормальный ADJ Case=Nom|Degree=Pos|Number=Plur
            ребята ребята NOUN Animacy=Anim|Case=Nom|Gender=Neut|Number=Plur
            .
            Ты ты PRON Case=Nom|Number=Sing|Person=2|PronType=Prs
            не не PART Polarity=Neg
            видел видеть VERB Aspect=Imp|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            ,
            куда куда ADV Degree=Pos|PronType=Rel
            я я PRON Case=Nom|Number=Sing|Person=1|PronType=Prs
            положил положить VERB Aspect=Perf|Gender=Masc|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Act
            зарядку зарядка NOUN Animacy=Inan|Case=Acc|Gender=Fem|Number=Sing
            от от ADP _
            телефона телефон NOUN Animacy=Inan|Case=Gen|Gender=Masc|Number=Sing
            ?
            Наверное наверное ADV Degree=Pos
            ,
            она она PRON Case=Nom|Gender=Fem|Number=Sing|Person=3|PronType=Prs
            осталась остаться VERB Aspect=Perf|Gender=Fem|Mood=Ind|Number=Sing|Tense=Past|VerbForm=Fin|Voice=Mid
            на на ADP _
            подоконнике подоконник NOUN Animacy=Inan|Case=Loc|Gender=Masc|Number=Sing
            .
            Пришли прислать VERB Aspect=Perf|Mood=Imp|Number=Sing|Person=2|VerbForm=Fin|Voice=Act
            её она PRON Case=Acc|Gender=Fem|Number=Sing|Person=3|PronType=Prs
            ,
            пожалуйста пожалуйста PART _
            ,
            вместе вместе ADV Degree=Pos
            с с ADP _
            моим мой DET Case=Ins|Gender=Masc|Number=Sing|Poss=Yes|PronType=Prs
            шарфом шарф NOUN Animacy=Inan|Case=Ins|Gender=Masc|Number=Sing
            .
            Обещаю обещать VERB Aspect=Imp|Mood=Ind|Number=Sing|Person=1|Tense=Pres|VerbForm=Fin|Voice=Act
            звонить звонить VERB Aspect=Imp|VerbForm=Inf|Voice=Act
            тебе ты PRON Case=Dat|Number=Sing|Person=2|PronType=Prs
            каждое каждый DET Case=Acc|Gender=Neut|Number=Sing|PronType=Tot
            воскресенье воскресенье NOUN Animacy=Inan|Case=Acc|Gender=Neut|Number=Sing
            !
        """,
        frames=[
            frame("Доехал", AGENT=("я", 1), MANNER="хорошо"),
            frame("опоздал", THEME="поезд", MANNER="почти на два часа"),
            frame("старое", THEME="Общежитие"),
            frame("тепло", PLACE="в комнате"),
            frame("нормальные ребята", THEME="соседи"),
            frame("видел", EXPERIENCER="Ты", THEME="куда я положил зарядку от телефона"),
            frame("положил", PLACE="куда", AGENT=("я", 2), THEME="зарядку от телефона"),
            frame("осталась", THEME="она", PLACE="на подоконнике"),
            frame("Пришли", THEME=["её", "вместе с моим шарфом"]),
            frame("Обещаю", THEME="звонить тебе каждое воскресенье"),
            frame("звонить", RECIPIENT="тебе", TIME="каждое воскресенье"),
        ],
        units=[
            Unit("mc", "MAJOR_CLAIM", "Доехал я хорошо"),
            Unit("p1", "PREMISE", "поезд опоздал почти на два часа"),
            Unit("p2", "PREMISE", "Общежитие старое"),
            Unit("p3", "PREMISE", "в комнате тепло"),
            Unit("p4", "PREMISE", "соседи, кажется, нормальные ребята"),
            Unit("c1", "CLAIM", "она осталась на подоконнике"),
        ],
        discourse=[
            Discourse("CONCESSION", "p1", "mc", "хотя"),
            Discourse("CONCESSION", "p2", "p3", "но"),
            Discourse("SUPPORT", "p3", "mc"),
            Discourse("SUPPORT", "p4", "mc", "и"),
        ],
        unfolding=[
            Unfolding(
                "mc",
                "EXAMPLE",
                "Первую ночь в общежитии он проспал спокойно: батареи грели, а соседи помогли "
                "донести чемодан до пятого этажа.",
            ),
            Unfolding(
                "c1",
                "APPLICATION",
                "Раз зарядка, скорее всего, на подоконнике, деду стоит сначала поискать там, "
                "а уже потом переворачивать весь дом.",
            ),
        ],
        cues=[Cue("HEDGE", "кажется"), Cue("HEDGE", "Наверное")],
        facts=[
            Fact("f1", "FACT", "Доехал я хорошо"),
            Fact("f2", "FACT", "поезд опоздал почти на два часа"),
            Fact("f3", "FACT", "Общежитие старое"),
            Fact("f4", "FACT", "в комнате тепло"),
            Fact(
                "f5",
                "PROBABLE",
                "соседи, кажется, нормальные ребята",
                evidential="INFERRED",
            ),
            Fact("f6", "UNCOMMITTED", "куда я положил зарядку от телефона"),
            Fact("f7", "PROBABLE", "она осталась на подоконнике", evidential="INFERRED"),
        ],
        acts=["EXPRESS", "ASSERT", "ASSERT", "QUESTION", "ASSERT", "DIRECT", "COMMIT"],
        intent="INFORM",
        tone="POSITIVE",
        register="CONVERSATIONAL",
        implicature=(
            "Внук хочет успокоить деда: у него всё в порядке, беспокоиться не о чем; обещание "
            "звонить каждую неделю говорит о том, что он скучает."
        ),
        presupposition=(
            "Внук недавно уехал учиться в другой город и живёт в общежитии; дед остался дома, "
            "где лежат забытые вещи внука."
        ),
        audience="Дед автора письма: текст написан для одного близкого человека.",
        metacognitive=(
            "Автор письма начинает с хороших новостей, смягчает плохие («хотя поезд опоздал») "
            "и обрамляет просьбу вежливостью и обещанием, чтобы она не выглядела только "
            "поручением."
        ),
    ),
]

DOCUMENTS = [
    Document("d1", "annotated-science", "science", SCIENCE),
    Document("d2", "annotated-news", "news", NEWS),
    Document("d3", "annotated-essay", "essay", ESSAY),
    Document("d4", "annotated-fiction", "fiction", FICTION),
]


# --- building -----------------------------------------------------------------------------------


class BuildError(Exception):
    pass


def locate(text: str, tokens: list[tuple[int, int]], ref: Ref, where: str) -> tuple[int, int]:
    """Offsets of a substring that starts and ends on token boundaries."""
    needle, nth = (ref, None) if isinstance(ref, str) else ref
    starts = {s for s, _ in tokens}
    ends = {e for _, e in tokens}
    found = []
    i = text.find(needle)
    if i < 0:
        raise BuildError(f"{where}: {needle!r} not found in the text")
    while i >= 0:
        if i in starts and i + len(needle) in ends:
            found.append((i, i + len(needle)))
        i = text.find(needle, i + 1)
    if not found:
        raise BuildError(f"{where}: {needle!r} does not start and end on token boundaries")
    if nth is None:
        if len(found) > 1:
            raise BuildError(f"{where}: {needle!r} occurs {len(found)} times; give an index")
        return found[0]
    if not 1 <= nth <= len(found):
        raise BuildError(f"{where}: {needle!r} has no occurrence {nth} (found {len(found)})")
    return found[nth - 1]


def parse_morph(table: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for line in table.strip().splitlines():
        parts = line.split()
        if len(parts) == 1:
            rows.append((parts[0], parts[0], "PUNCT", "_"))
        elif len(parts) == 4:
            rows.append((parts[0], parts[1], parts[2], parts[3]))
        else:
            raise BuildError(f"bad morph line: {line.strip()!r}")
    return rows


class Builder:
    """Collects one paragraph's annotations in order, with ids local to the paragraph."""

    def __init__(self, para: Paragraph, tokens: list[tuple[int, int]]):
        self.para = para
        self.tokens = tokens
        self.items: list[dict[str, Any]] = []
        self._spans: dict[tuple[str, str, int, int, str], int] = {}

    def add(self, layer: str, kind: str, field_name: str, **keys: Any) -> int:
        ann: dict[str, Any] = {"id": len(self.items) + 1, "layer": layer, "kind": kind}
        ann["field"] = field_name
        for key in ("start", "end", "label", "value", "source", "target", "attrs"):
            if keys.get(key) is not None:
                ann[key] = keys[key]
        ann["annotator"] = self.para.annotator
        ann["origin"] = "human"
        self.items.append(ann)
        return ann["id"]

    def span(
        self, layer: str, field_name: str, label: str, ref: Ref, attrs: dict | None = None
    ) -> int:
        """A span annotation; the same (field, label, offsets) is created once and reused."""
        start, end = locate(self.para.text, self.tokens, ref, f"{self.para.key} {label}")
        key = (layer, field_name, start, end, label)
        if key not in self._spans or attrs is not None:
            self._spans[key] = self.add(
                layer, "span", field_name, start=start, end=end, label=label, attrs=attrs
            )
        return self._spans[key]


def build_paragraph(para: Paragraph) -> dict[str, Any]:
    if unicodedata.normalize("NFC", para.text) != para.text:
        raise BuildError(f"{para.key}: text is not NFC")
    seg = segment(para.text)
    tokens = [tuple(t) for t in seg.tokens]
    sentences = [tuple(s) for s in seg.sentences]
    b = Builder(para, tokens)

    rows = parse_morph(para.morph)
    forms = [para.text[s:e] for s, e in tokens]
    if [r[0] for r in rows] != forms:
        for i, (row, form) in enumerate(zip(rows, forms, strict=False)):
            if row[0] != form:
                raise BuildError(f"{para.key}: morph row {i + 1} is {row[0]!r}, token is {form!r}")
        raise BuildError(f"{para.key}: {len(rows)} morph rows for {len(forms)} tokens")
    for (start, end), (_, lemma, upos, feats) in zip(tokens, rows, strict=True):
        b.add(
            "lexical",
            "token",
            "morph",
            start=start,
            end=end,
            label=upos,
            # UD lemma spelling (ещё → еще, but всё stays всё), shared with the pre-annotator.
            attrs={"lemma": normalize_lemma(lemma, upos), "feats": feats},
        )

    relations = []
    for fr in para.frames:
        pred = b.span("semantic", "frame", "PREDICATE", fr.predicate)
        for role, refs in fr.roles.items():
            for ref in refs:
                relations.append((b.span("semantic", "frame", role, ref), pred, role))
    for source, target, role in relations:
        b.add("semantic", "relation", "role", label=role, source=source, target=target)

    units = {}
    for u in para.units:
        if u.key in units:
            raise BuildError(f"{para.key}: unit {u.key} defined twice")
        units[u.key] = b.span("logical", "unit", u.label, u.ref)
    for d in para.discourse:
        b.add(
            "logical",
            "relation",
            "discourse",
            label=d.label,
            source=units[d.source],
            target=units[d.target],
            attrs={"connective": d.connective},
        )
    for uf in para.unfolding:
        b.add("logical", "text", "unfolding", label=uf.label, value=uf.value, source=units[uf.unit])

    facts = {}
    for f in para.facts:
        if (f.source is not None) != (f.evidential == "REPORTED"):
            raise BuildError(f"{para.key} {f.key}: REPORTED if and only if it has a source")
        attrs = {"negated": f.negated, "evidential": f.evidential}
        facts[f.key] = b.span("epistemic", "factuality", f.label, f.ref, attrs)
    for c in para.cues:
        b.span("epistemic", "cue", c.label, c.ref)
    mentions = {s.key: b.span("epistemic", "source_mention", "SOURCE", s.ref) for s in para.sources}
    for f in para.facts:
        if f.source is not None:
            b.add(
                "epistemic",
                "relation",
                "source",
                label="SOURCE",
                source=facts[f.key],
                target=mentions[f.source],
            )

    if len(para.acts) != len(sentences):
        raise BuildError(
            f"{para.key}: {len(para.acts)} speech acts for {len(sentences)} sentences: "
            + " | ".join(para.text[s:e] for s, e in sentences)
        )
    for (start, end), act in zip(sentences, para.acts, strict=True):
        b.add("pragmatic", "label", "speech_act", start=start, end=end, label=act)
    for name in ("intent", "tone", "register"):
        b.add("pragmatic", "label", name, label=getattr(para, name))
    for name in ("implicature", "presupposition", "audience", "metacognitive"):
        if getattr(para, name) is not None:
            b.add("pragmatic", "text", name, value=getattr(para, name))

    return {
        "text": para.text,
        "meta": {},
        "flags": [],
        "sentences": [list(s) for s in sentences],
        "tokens": [list(t) for t in tokens],
        "annotations": b.items,
        "status": {layer: {"state": "done", "annotator": para.annotator} for layer in LAYERS},
    }


# --- validation against schemas/*.toml ------------------------------------------------------


def load_schemas() -> dict[str, dict[str, Any]]:
    schemas = {}
    for path in sorted(SCHEMAS.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        schemas[data["layer"]] = data
    if set(schemas) != set(LAYERS):
        raise BuildError(f"expected schemas for {LAYERS}, found {sorted(schemas)}")
    return schemas


def check_attrs(where: str, spec: dict[str, Any], attrs: dict[str, Any]) -> None:
    declared = {a["name"]: a for a in spec.get("attributes", [])}
    for name, value in attrs.items():
        if name not in declared:
            raise BuildError(f"{where}: attribute {name!r} not declared in the schema")
        kind = declared[name]["type"]
        ok = {
            "bool": isinstance(value, bool),
            "str": isinstance(value, str),
            "choice": value in declared[name].get("choices", []),
        }[kind]
        if not ok:
            raise BuildError(f"{where}: attribute {name}={value!r} is not a valid {kind}")
    for name, a in declared.items():
        if a.get("required") and name not in attrs:
            raise BuildError(f"{where}: required attribute {name!r} missing")


def validate(key: str, record: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> None:
    text = record["text"]
    tokens = {tuple(t) for t in record["tokens"]}
    sentences = [tuple(s) for s in record["sentences"]]
    fields = {(layer, f["name"]): f for layer, schema in schemas.items() for f in schema["fields"]}
    by_id = {a["id"]: a for a in record["annotations"]}
    if len(by_id) != len(record["annotations"]):
        raise BuildError(f"{key}: annotation ids are not unique")

    seen_fields = set()
    morph_tokens: list[tuple[int, int]] = []
    acts: list[tuple[int, int]] = []
    for a in record["annotations"]:
        where = f"{key} #{a['id']} {a['layer']}.{a['field']}"
        spec = fields.get((a["layer"], a["field"]))
        if spec is None:
            raise BuildError(f"{where}: no such field in schemas/{a['layer']}.toml")
        if a["kind"] != spec["kind"]:
            raise BuildError(f"{where}: kind {a['kind']!r}, schema says {spec['kind']!r}")
        labels = {lab["name"] for lab in spec.get("labels", [])}
        if labels and a.get("label") not in labels:
            raise BuildError(f"{where}: label {a.get('label')!r} not in the schema")
        if not labels and "label" in a:
            raise BuildError(f"{where}: field has no labels, got {a['label']!r}")
        check_attrs(where, spec, a.get("attrs", {}))
        seen_fields.add((a["layer"], a["field"]))
        has_offsets = "start" in a or "end" in a
        scope = spec.get("scope")

        if a["kind"] in ("token", "span"):
            if not (0 <= a["start"] < a["end"] <= len(text)):
                raise BuildError(f"{where}: offsets out of range")
            starts = {s for s, _ in tokens}
            ends = {e for _, e in tokens}
            if a["start"] not in starts or a["end"] not in ends:
                raise BuildError(f"{where}: span does not align to token boundaries")
        if a["kind"] == "token":
            if (a["start"], a["end"]) not in tokens:
                raise BuildError(f"{where}: not a token")
            morph_tokens.append((a["start"], a["end"]))
            check_morph(where, text[a["start"] : a["end"]], a)
        elif a["kind"] == "relation":
            src, tgt = by_id.get(a["source"]), by_id.get(a["target"])
            if src is None or tgt is None:
                raise BuildError(f"{where}: relation endpoint missing")
            for end_name, end, allowed in (
                ("source", src, spec.get("source_labels")),
                ("target", tgt, spec.get("target_labels")),
            ):
                if end["layer"] != a["layer"] or end["kind"] != "span":
                    raise BuildError(f"{where}: {end_name} is not a span of the same layer")
                if allowed and end["label"] not in allowed:
                    raise BuildError(f"{where}: {end_name} label {end['label']} not allowed")
        elif a["kind"] == "label":
            if scope == "sentence":
                if (a.get("start"), a.get("end")) not in set(sentences):
                    raise BuildError(f"{where}: offsets are not a sentence")
                acts.append((a["start"], a["end"]))
            elif has_offsets:
                raise BuildError(f"{where}: paragraph label with offsets")
        elif a["kind"] == "text":
            if has_offsets or not a.get("value"):
                raise BuildError(f"{where}: text needs a value and no offsets")
            if scope == "span":
                anchor = by_id.get(a.get("source"))
                if anchor is None or anchor["field"] != spec["anchor_field"]:
                    raise BuildError(f"{where}: must anchor on a {spec['anchor_field']} span")
            elif "source" in a:
                raise BuildError(f"{where}: paragraph text must not have a source")

    if sorted(morph_tokens) != sorted(tokens) or len(morph_tokens) != len(tokens):
        raise BuildError(f"{key}: every token needs exactly one morph annotation")
    if sorted(acts) != sorted(sentences):
        raise BuildError(f"{key}: every sentence needs exactly one speech act")
    for (layer, name), spec in fields.items():
        if spec.get("required") and (layer, name) not in seen_fields:
            raise BuildError(f"{key}: required field {layer}.{name} has no annotation")
    for name in ("intent", "tone", "register"):
        n = sum(1 for a in record["annotations"] if a["field"] == name)
        if n != 1:
            raise BuildError(f"{key}: {n} {name} labels, expected one")


#: the only analyses of a token written in digits: a cardinal, or an ordinal adjective ("2019 год")
DIGIT_ANALYSES = {("NUM", "NumForm=Digit|NumType=Card"), ("ADJ", "NumForm=Digit|NumType=Ord")}
#: features the house convention puts on every token of a part of speech (abbreviations aside)
REQUIRED_FEATS = {
    "PRON": ("PronType",),
    "DET": ("PronType",),
    "NUM": ("NumForm", "NumType"),
    "PROPN": ("NameType",),
    "NOUN": ("Gender",),
}


def check_morph(where: str, form: str, a: dict[str, Any]) -> None:
    """Per-token checks of the lexical layer: well-formed feats, the rules of the house convention
    that hold on every token of ru_taiga-ud-dev, and the sample's rule that every ADV has Degree."""
    lemma, feats, upos = a["attrs"]["lemma"], a["attrs"]["feats"], a["label"]
    if "\u0301" in lemma or "\u00ad" in lemma:
        raise BuildError(f"{where}: lemma {lemma!r} keeps a stress mark or soft hyphen")
    is_punct = all(unicodedata.category(c).startswith("P") for c in form)
    if is_punct != (upos == "PUNCT"):
        raise BuildError(f"{where}: {form!r} tagged {upos}")
    if upos == "AUX" and lemma not in ("быть", "бы"):
        raise BuildError(f"{where}: only быть and conditional бы are AUX")
    if feats != "_" and any("=" not in pair for pair in feats.split("|")):
        raise BuildError(f"{where}: malformed feats {feats!r}")
    pairs = [] if feats == "_" else [pair.split("=", 1) for pair in feats.split("|")]
    names = [name for name, _ in pairs]
    if names != sorted(names, key=str.lower) or len(set(names)) != len(names):
        raise BuildError(f"{where}: feats {feats!r} not in UD (alphabetical) order")
    f = dict(pairs)
    if form.isdigit() and (upos, feats) not in DIGIT_ANALYSES:
        raise BuildError(
            f"{where}: digits {form!r} must be NUM NumForm=Digit|NumType=Card (no Case)"
            " or an ordinal ADJ NumForm=Digit|NumType=Ord"
        )
    for tag, required in REQUIRED_FEATS.items():
        if upos == tag and not all(name in f for name in required) and "Abbr" not in f:
            raise BuildError(f"{where}: {upos} needs {'/'.join(required)}, got {feats!r}")
    if upos == "ADV" and "Degree" not in f:
        raise BuildError(f"{where}: ADV without Degree")
    if lemma == "который" and (upos != "DET" or f.get("PronType") != "Rel"):
        raise BuildError(f"{where}: который is DET with PronType=Rel")
    if (
        upos == "AUX"
        and lemma == "быть"
        and (f.get("Voice") != "Act" or (f.get("Tense") == "Fut" and "Aspect" in f))
    ):
        raise BuildError(f"{where}: AUX быть has Voice=Act, and no Aspect in the future")
    if "Animacy" in f and upos not in ("NOUN", "PROPN", "PRON") and f.get("Case") != "Acc":
        raise BuildError(f"{where}: Animacy on {upos} outside the accusative")
    if f.get("VerbForm") == "Part" and f.get("Variant") == "Short" and "Case" in f:
        raise BuildError(f"{where}: short participles have no Case")
    if upos == "ADJ" and f.get("NumType") == "Ord" and "Degree" in f:
        raise BuildError(f"{where}: ordinal adjectives have NumType=Ord, not Degree")


# --- output -------------------------------------------------------------------------------------


def build() -> list[str]:
    schemas = load_schemas()
    header = {
        "type": "header",
        "format": "layerkit-jsonl",
        "version": 1,
        "layerkit": layerkit.__version__,
        "schemas": {layer: schemas[layer]["version"] for layer in LAYERS},
    }
    lines = [header]
    keys = set()
    for doc in DOCUMENTS:
        lines.append(
            {
                "type": "document",
                "key": doc.key,
                "name": doc.name,
                "source": SOURCE,
                "meta": {"genre": doc.genre},
            }
        )
        for index, para in enumerate(doc.paragraphs):
            if para.key in keys:
                raise BuildError(f"paragraph key {para.key} used twice")
            keys.add(para.key)
            record = build_paragraph(para)
            validate(para.key, record, schemas)
            lines.append({"type": "paragraph", "document": doc.key, "index": index, **record})
    return [json.dumps(line, ensure_ascii=False) for line in lines]


def main() -> int:
    try:
        lines = build()
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    OUTPUT.write_text("".join(line + "\n" for line in lines), encoding="utf-8", newline="\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(lines)} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
