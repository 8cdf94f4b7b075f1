"""The bundled gold sample (``sample_corpus/annotated.jsonl``) is data, checked here.

It was written by the team and is edited as data (in the annotator, then ``layerkit export
jsonl``, or by hand). These tests hold it to what a gold file must be: every annotation valid
against ``schemas/*.toml`` (fields, kinds, labels, attributes, relation endpoints, sentence and
paragraph scopes), offsets on token boundaries, the tokens and sentences the segmenter gives,
one morph analysis per token, one speech act per sentence, every required field present, and
the lexical layer in the house convention.

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
plural. Lemmas write е for ё, as UD does. ``check_morph`` below enforces the rules of the convention that
hold on every token of ru_taiga-ud-dev (PronType on PRON/DET, NumForm and NumType on NUM, NameType on
PROPN, Gender on NOUN, digits without Case, который as DET, AUX быть, Animacy only in the
accusative, no Case on short participles, no Degree on ordinals) and the sample's own rule that
every ADV has Degree.

Double annotation: some paragraphs were annotated independently by anna and boris (their
``assignments``), each on a private copy of every layer (``lexical@anna`` ... ``pragmatic@boris``),
and then adjudicated by vera into the shared layers (the gold). The copies are held to the same
schema and structure checks as the gold (valid labels, fields and attributes, token-aligned
offsets, one morph analysis per token, one speech act per sentence, relations and anchored texts
within the same copy, well-formed FEATS), but not to the house conventions: they keep the
annotators' own decisions, errors included, which the adjudication corrected. At every place
where anna and boris disagree one of them has what the gold has, and where they agree the gold
has it too.
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from collections.abc import Sequence
from typing import Any

import pytest
from conftest import REPO

from layerkit.nlp.segment import segment

SAMPLE = REPO / "sample_corpus" / "annotated.jsonl"
LAYERS = ("lexical", "semantic", "logical", "epistemic", "pragmatic")


class SampleError(AssertionError):
    pass


def _lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def _schemas() -> dict[str, dict[str, Any]]:
    schemas = {}
    for path in sorted((REPO / "schemas").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        schemas[data["layer"]] = data
    assert set(schemas) == set(LAYERS)
    return schemas


PARAGRAPHS = [line for line in _lines() if line["type"] == "paragraph"]
ANNOTATORS = ("anna", "boris")
ADJUDICATOR = "vera"


def split_layer(key: str) -> tuple[str, str | None]:
    """``(layer, annotator)`` of a private copy's layer key (``semantic@anna``); ``(layer,
    None)`` for a shared layer."""
    layer, separator, annotator = key.partition("@")
    return (layer, annotator) if separator else (key, None)


def assigned(record: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (layer, who) for layer, people in record.get("assignments", {}).items() for who in people
    }


def test_the_sample_has_thirteen_gold_paragraphs_every_layer_done() -> None:
    assert len(PARAGRAPHS) == 13
    for p in PARAGRAPHS:
        shared = {layer: s["state"] for layer, s in p["status"].items() if "@" not in layer}
        assert shared == dict.fromkeys(LAYERS, "done")
        copies = {split_layer(layer) for layer in p["status"] if "@" in layer}
        assert copies == assigned(p), f"{p['document']}/{p['index']}"
        for layer, people in p.get("assignments", {}).items():
            assert layer in LAYERS and len(set(people)) == len(people) >= 2


@pytest.mark.parametrize("index", range(13))
def test_every_annotation_is_valid_and_complete(index: int) -> None:
    record = PARAGRAPHS[index]
    key = f"{record['document']}/{record['index']}"
    text = record["text"]
    segmented = segment(text)
    assert [list(t) for t in segmented.tokens] == record["tokens"], key
    assert [list(s) for s in segmented.sentences] == record["sentences"], key
    validate(key, record, _schemas())


def test_the_checks_catch_a_broken_annotation() -> None:
    """The validators are not vacuous: a label outside the schema and a feats out of UD order
    are refused."""
    record = json.loads(json.dumps(PARAGRAPHS[0]))
    frame = next(a for a in record["annotations"] if a["field"] == "frame")
    frame["label"] = "NOT_A_ROLE"
    with pytest.raises(SampleError, match="not in the schema"):
        validate("broken", record, _schemas())
    record = json.loads(json.dumps(PARAGRAPHS[0]))
    noun = next(a for a in record["annotations"] if a.get("label") == "NOUN")
    noun["attrs"]["feats"] = "Number=Sing|Case=Nom|Gender=Fem"
    with pytest.raises(SampleError, match="alphabetical"):
        validate("broken", record, _schemas())


DOUBLE = [p for p in PARAGRAPHS if p.get("assignments")]


def _copy_of(record: dict[str, Any], layer: str) -> list[dict[str, Any]]:
    return [a for a in record["annotations"] if a["layer"] == layer]


@pytest.mark.parametrize(
    "breakage",
    [
        "copy label",
        "copy feats",
        "copy token missing",
        "copy token twice",
        "copy token twice, not done",
        "copy relation into the gold",
        "copy text anchored in the gold",
        "copy speech act missing",
        "copy by someone else",
        "copy of an unassigned annotator",
    ],
)
def test_the_checks_catch_a_broken_private_copy(breakage: str) -> None:
    """The private copies are checked like the gold: each breakage below is refused."""
    record = json.loads(json.dumps(DOUBLE[0]))
    rows = record["annotations"]
    gold_frame = next(a for a in rows if a["layer"] == "semantic" and a["label"] == "AGENT")
    lexical = _copy_of(record, "lexical@boris")
    expected = {
        "copy label": "not in the schema",
        "copy feats": "malformed feats",
        "copy token missing": "exactly one morph",
        "copy token twice": "exactly one morph",
        "copy token twice, not done": "two morph",
        "copy relation into the gold": "not a span of the same layer",
        "copy text anchored in the gold": "must anchor",
        "copy speech act missing": "one speech act",
        "copy by someone else": "holds an annotation by",
        "copy of an unassigned annotator": "not assigned",
    }[breakage]
    if breakage == "copy label":
        _copy_of(record, "semantic@anna")[0]["label"] = "NOT_A_ROLE"
    elif breakage == "copy feats":
        noun = next(a for a in lexical if a["label"] == "NOUN")
        noun["attrs"]["feats"] = "Animacy=Inan|Case=Nom|Gender"
    elif breakage == "copy token missing":
        rows.remove(lexical[3])
    elif breakage.startswith("copy token twice"):
        rows.append({**lexical[3], "id": 10**6})
        if breakage.endswith("not done"):  # an unfinished copy need not be complete
            record["status"]["lexical@boris"]["state"] = "in_progress"
    elif breakage == "copy relation into the gold":
        role = next(a for a in _copy_of(record, "semantic@anna") if a["kind"] == "relation")
        role["source"] = gold_frame["id"]
    elif breakage == "copy text anchored in the gold":
        unfolding = next(a for a in _copy_of(record, "logical@boris") if a["field"] == "unfolding")
        gold_unit = next(a for a in rows if a["layer"] == "logical" and a["kind"] == "span")
        unfolding["source"] = gold_unit["id"]
    elif breakage == "copy speech act missing":
        act = next(a for a in _copy_of(record, "pragmatic@anna") if a["field"] == "speech_act")
        rows.remove(act)
    elif breakage == "copy by someone else":
        _copy_of(record, "epistemic@boris")[0]["annotator"] = "anna"
    else:
        _copy_of(record, "pragmatic@anna")[0]["layer"] = "pragmatic@gleb"
    with pytest.raises(SampleError, match=expected):
        validate("broken", record, _schemas())


Content = tuple[tuple[str, str, str], ...]


def units(record: dict[str, Any], layer: str) -> dict[tuple[Any, ...], Content]:
    """What one version of a layer (``semantic`` or ``semantic@anna``) has at each place: tokens
    and spans by field and offsets, sentence labels by their sentence, paragraph labels and texts
    by field (texts also by label and anchor), relations by field and the places they join; the
    content is every (label, value, attrs) there. Two versions agree at a place when their
    contents there are equal (what layerkit's adjudication calls a unit)."""
    version = _copy_of(record, layer)
    by_id = {a["id"]: a for a in version}

    def place(a: dict[str, Any]) -> tuple[Any, ...]:
        if a["kind"] == "relation":
            return ("relation", a["field"], place(by_id[a["source"]]), place(by_id[a["target"]]))
        if a["kind"] == "text":
            anchor = by_id[a["source"]] if "source" in a else None
            return ("text", a["field"], a.get("label"), anchor and place(anchor))
        return (a["kind"], a["field"], a.get("start"), a.get("end"))

    out: dict[tuple[Any, ...], list[tuple[str, str, str]]] = {}
    for a in version:
        attrs = json.dumps(a.get("attrs", {}), sort_keys=True, ensure_ascii=False)
        out.setdefault(place(a), []).append((a.get("label") or "", a.get("value") or "", attrs))
    return {key: tuple(sorted(content)) for key, content in out.items()}


def adjudication(record: dict[str, Any], layer: str) -> tuple[int, list[str]]:
    """``(places where anna and boris disagree, problems)``: a problem is a disagreement where
    the gold has neither annotator's version, or an agreement the gold does not have."""
    gold, anna, boris = (units(record, key) for key in (layer, f"{layer}@anna", f"{layer}@boris"))
    disagreements, problems = 0, []
    for place in sorted(set(gold) | set(anna) | set(boris), key=repr):
        g, a, b = gold.get(place, ()), anna.get(place, ()), boris.get(place, ())
        if a != b:
            disagreements += 1
            if g not in (a, b):
                problems.append(
                    f"{layer} {place}: the gold {g} is neither anna's {a} nor boris's {b}"
                )
        elif g != a:
            problems.append(f"{layer} {place}: anna and boris agree on {a}, the gold differs: {g}")
    return disagreements, problems


def test_double_annotation_adjudicated_into_the_gold() -> None:
    """At least 5 paragraphs, of at least two documents, were annotated by anna and boris on
    every layer, both copies done, and adjudicated by vera: the gold is, at every place, what
    they agreed on or one of their two versions; they disagree on every layer, each of them
    deviates from the gold on every layer, and each copy is mostly the gold."""
    assert len(DOUBLE) >= 5 and len({p["document"] for p in DOUBLE}) >= 2
    per_layer = dict.fromkeys(LAYERS, 0)
    wrong = {(who, layer): 0 for who in ANNOTATORS for layer in LAYERS}
    for record in DOUBLE:
        key = f"{record['document']}/{record['index']}"
        assert record["assignments"] == {layer: list(ANNOTATORS) for layer in LAYERS}, key
        for layer in LAYERS:
            assert record["status"][layer] == {"state": "done", "annotator": ADJUDICATOR}, key
            for who in ANNOTATORS:
                status = record["status"][f"{layer}@{who}"]
                assert status == {"state": "done", "annotator": who}, (key, layer, who)
            gold = _copy_of(record, layer)
            assert gold and all(
                (a["annotator"], a["origin"]) == (ADJUDICATOR, "adjudicated") for a in gold
            ), (key, layer)
            disagreements, problems = adjudication(record, layer)
            assert problems == [], key
            per_layer[layer] += disagreements
            reference = units(record, layer)
            for who in ANNOTATORS:
                mine = units(record, f"{layer}@{who}")
                differ = {p for p in set(reference) | set(mine) if reference.get(p) != mine.get(p)}
                wrong[who, layer] += len(differ)
                kept = sum(1 for p, content in reference.items() if mine.get(p) == content)
                assert kept >= 2 * len(reference) / 3, (key, layer, who, sorted(differ))
                if layer == "lexical":  # a few tokens, never the whole paragraph
                    assert len(differ) <= 3, (key, who, sorted(differ))
    assert all(n > 0 for n in per_layer.values()), per_layer
    assert all(n > 0 for n in wrong.values()), wrong
    for record in PARAGRAPHS:  # the others: single annotation, nothing adjudicated
        if record not in DOUBLE:
            assert all("@" not in a["layer"] for a in record["annotations"])
            assert all(a["origin"] != "adjudicated" for a in record["annotations"])


def test_the_adjudication_check_catches_a_wrong_gold() -> None:
    """Where anna and boris disagree and the gold has a third version, or where they agree and
    the gold differs, the check says so."""
    record = json.loads(json.dumps(DOUBLE[0]))
    assert adjudication(record, "lexical")[1] == []
    anna, boris = units(record, "lexical@anna"), units(record, "lexical@boris")
    place = next(p for p in anna if anna[p] == boris.get(p))
    token = {
        who: next(
            a for a in _copy_of(record, f"lexical@{who}") if (a["start"], a["end"]) == place[2:]
        )
        for who in ANNOTATORS
    }
    token["anna"]["label"] = "X"
    disagreements, problems = adjudication(record, "lexical")
    assert disagreements == 1 + adjudication(DOUBLE[0], "lexical")[0] and problems == []
    token["boris"]["label"] = "INTJ"  # neither is the gold's
    assert [p for p in adjudication(record, "lexical")[1] if "neither" in p]
    token["boris"]["label"] = "X"  # both agree, the gold differs
    assert [p for p in adjudication(record, "lexical")[1] if "agree on" in p]


def check_attrs(where: str, spec: dict[str, Any], attrs: dict[str, Any]) -> None:
    declared = {a["name"]: a for a in spec.get("attributes", [])}
    for name, value in attrs.items():
        if name not in declared:
            raise SampleError(f"{where}: attribute {name!r} not declared in the schema")
        kind = declared[name]["type"]
        ok = {
            "bool": isinstance(value, bool),
            "str": isinstance(value, str),
            "choice": value in declared[name].get("choices", []),
        }[kind]
        if not ok:
            raise SampleError(f"{where}: attribute {name}={value!r} is not a valid {kind}")
    for name, a in declared.items():
        if a.get("required") and name not in attrs:
            raise SampleError(f"{where}: required attribute {name!r} missing")


def validate(key: str, record: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> None:
    """Every annotation of the record, the shared layers and each private copy alike, valid
    and complete; the house conventions of the lexical layer on the shared layer only."""
    by_id = {a["id"]: a for a in record["annotations"]}
    if len(by_id) != len(record["annotations"]):
        raise SampleError(f"{key}: annotation ids are not unique")
    assignments = assigned(record)
    versions: dict[str | None, list[dict[str, Any]]] = {None: []}
    for a in record["annotations"]:
        layer, who = split_layer(a["layer"])
        if layer not in schemas or who == "":
            raise SampleError(f"{key} #{a['id']}: unknown layer {a['layer']!r}")
        if who is not None and (layer, who) not in assignments:
            raise SampleError(f"{key} #{a['id']}: {a['layer']} but {who} is not assigned {layer}")
        versions.setdefault(who, []).append(a)
    for who, version in versions.items():
        if who is None:
            validate_version(key, record, version, by_id, schemas, LAYERS, None)
            continue
        # a copy is complete once its annotator marked it done
        done = [
            layer
            for layer in LAYERS
            if record["status"].get(f"{layer}@{who}", {}).get("state") == "done"
        ]
        validate_version(f"{key} ({who}'s copy)", record, version, by_id, schemas, done, who)


def validate_version(
    key: str,
    record: dict[str, Any],
    version: list[dict[str, Any]],
    by_id: dict[int, dict[str, Any]],
    schemas: dict[str, dict[str, Any]],
    complete: Sequence[str],
    who: str | None,
) -> None:
    """One version of the paragraph: the shared layers (``who`` None) or one annotator's copies.
    ``complete``: the layers that must have every required annotation."""
    text = record["text"]
    tokens = {tuple(t) for t in record["tokens"]}
    sentences = [tuple(s) for s in record["sentences"]]
    fields = {(layer, f["name"]): f for layer, schema in schemas.items() for f in schema["fields"]}

    seen_fields = set()
    morph_tokens: list[tuple[int, int]] = []
    acts: list[tuple[int, int]] = []
    for a in version:
        layer = split_layer(a["layer"])[0]
        where = f"{key} #{a['id']} {a['layer']}.{a['field']}"
        spec = fields.get((layer, a["field"]))
        if spec is None:
            raise SampleError(f"{where}: no such field in schemas/{layer}.toml")
        if a["kind"] != spec["kind"]:
            raise SampleError(f"{where}: kind {a['kind']!r}, schema says {spec['kind']!r}")
        labels = {lab["name"] for lab in spec.get("labels", [])}
        if labels and a.get("label") not in labels:
            raise SampleError(f"{where}: label {a.get('label')!r} not in the schema")
        if not labels and "label" in a:
            raise SampleError(f"{where}: field has no labels, got {a['label']!r}")
        check_attrs(where, spec, a.get("attrs", {}))
        if who is not None and a.get("annotator") != who:
            raise SampleError(f"{where}: {who}'s copy holds an annotation by {a.get('annotator')}")
        seen_fields.add((layer, a["field"]))
        has_offsets = "start" in a or "end" in a
        scope = spec.get("scope")

        if a["kind"] in ("token", "span"):
            if not (0 <= a["start"] < a["end"] <= len(text)):
                raise SampleError(f"{where}: offsets out of range")
            starts = {s for s, _ in tokens}
            ends = {e for _, e in tokens}
            if a["start"] not in starts or a["end"] not in ends:
                raise SampleError(f"{where}: span does not align to token boundaries")
        if a["kind"] == "token":
            if (a["start"], a["end"]) not in tokens:
                raise SampleError(f"{where}: not a token")
            morph_tokens.append((a["start"], a["end"]))
            check_morph(where, text[a["start"] : a["end"]], a, conventions=who is None)
        elif a["kind"] == "relation":
            src, tgt = by_id.get(a["source"]), by_id.get(a["target"])
            if src is None or tgt is None:
                raise SampleError(f"{where}: relation endpoint missing")
            for end_name, end, allowed in (
                ("source", src, spec.get("source_labels")),
                ("target", tgt, spec.get("target_labels")),
            ):
                # a copy's relations join spans of the same copy, never the gold's
                if end["layer"] != a["layer"] or end["kind"] != "span":
                    raise SampleError(f"{where}: {end_name} is not a span of the same layer")
                if allowed and end["label"] not in allowed:
                    raise SampleError(f"{where}: {end_name} label {end['label']} not allowed")
        elif a["kind"] == "label":
            if scope == "sentence":
                if (a.get("start"), a.get("end")) not in set(sentences):
                    raise SampleError(f"{where}: offsets are not a sentence")
                acts.append((a["start"], a["end"]))
            elif has_offsets:
                raise SampleError(f"{where}: paragraph label with offsets")
        elif a["kind"] == "text":
            if has_offsets or not a.get("value"):
                raise SampleError(f"{where}: text needs a value and no offsets")
            if scope == "span":
                anchor = by_id.get(a.get("source"))
                if (
                    anchor is None
                    or anchor["field"] != spec["anchor_field"]
                    or anchor["layer"] != a["layer"]
                ):
                    raise SampleError(
                        f"{where}: must anchor on a {spec['anchor_field']} span of the same layer"
                    )
            elif "source" in a:
                raise SampleError(f"{where}: paragraph text must not have a source")

    if "lexical" in complete and (
        sorted(morph_tokens) != sorted(tokens) or len(morph_tokens) != len(tokens)
    ):
        raise SampleError(f"{key}: every token needs exactly one morph annotation")
    if morph_tokens and len(set(morph_tokens)) != len(morph_tokens):
        raise SampleError(f"{key}: a token has two morph annotations")
    if "pragmatic" in complete and sorted(acts) != sorted(sentences):
        raise SampleError(f"{key}: every sentence needs exactly one speech act")
    if len(set(acts)) != len(acts):
        raise SampleError(f"{key}: a sentence has two speech acts")
    for (layer, name), spec in fields.items():
        if layer in complete and spec.get("required") and (layer, name) not in seen_fields:
            raise SampleError(f"{key}: required field {layer}.{name} has no annotation")
    for name in ("intent", "tone", "register"):
        n = sum(1 for a in version if a["field"] == name)
        if n > 1 or (n == 0 and "pragmatic" in complete):
            raise SampleError(f"{key}: {n} {name} labels, expected one")


#: one UD feature: ``Name=Value`` (``Name[layer]=Value1,Value2`` allowed)
FEAT = re.compile(r"[A-Z][A-Za-z0-9]*(\[[a-z0-9]+\])?=[A-Z0-9][A-Za-z0-9]*(,[A-Z0-9][A-Za-z0-9]*)*")
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


def check_morph(where: str, form: str, a: dict[str, Any], *, conventions: bool = True) -> None:
    """Per-token checks of the lexical layer: a lemma and well-formed feats (always); with
    ``conventions``, the rules of the house convention that hold on every token of
    ru_taiga-ud-dev, and the sample's rule that every ADV has Degree."""
    lemma, feats, upos = a["attrs"]["lemma"], a["attrs"]["feats"], a["label"]
    if not lemma or lemma != lemma.strip():
        raise SampleError(f"{where}: empty or padded lemma {lemma!r}")
    if "\u0301" in lemma or "\u00ad" in lemma:
        raise SampleError(f"{where}: lemma {lemma!r} keeps a stress mark or soft hyphen")
    is_punct = all(unicodedata.category(c).startswith("P") for c in form)
    if is_punct != (upos == "PUNCT"):
        raise SampleError(f"{where}: {form!r} tagged {upos}")
    if feats != "_" and any(not FEAT.fullmatch(pair) for pair in feats.split("|")):
        raise SampleError(f"{where}: malformed feats {feats!r}")
    pairs = [] if feats == "_" else [pair.split("=", 1) for pair in feats.split("|")]
    names = [name for name, _ in pairs]
    if names != sorted(names, key=str.lower) or len(set(names)) != len(names):
        raise SampleError(f"{where}: feats {feats!r} not in UD (alphabetical) order")
    if not conventions:
        return
    if upos == "AUX" and lemma not in ("быть", "бы"):
        raise SampleError(f"{where}: only быть and conditional бы are AUX")
    f = dict(pairs)
    if form.isdigit() and (upos, feats) not in DIGIT_ANALYSES:
        raise SampleError(
            f"{where}: digits {form!r} must be NUM NumForm=Digit|NumType=Card (no Case)"
            " or an ordinal ADJ NumForm=Digit|NumType=Ord"
        )
    for tag, required in REQUIRED_FEATS.items():
        if upos == tag and not all(name in f for name in required) and "Abbr" not in f:
            raise SampleError(f"{where}: {upos} needs {'/'.join(required)}, got {feats!r}")
    if upos == "ADV" and "Degree" not in f:
        raise SampleError(f"{where}: ADV without Degree")
    if lemma == "который" and (upos != "DET" or f.get("PronType") != "Rel"):
        raise SampleError(f"{where}: который is DET with PronType=Rel")
    if (
        upos == "AUX"
        and lemma == "быть"
        and (f.get("Voice") != "Act" or (f.get("Tense") == "Fut" and "Aspect" in f))
    ):
        raise SampleError(f"{where}: AUX быть has Voice=Act, and no Aspect in the future")
    if "Animacy" in f and upos not in ("NOUN", "PROPN", "PRON") and f.get("Case") != "Acc":
        raise SampleError(f"{where}: Animacy on {upos} outside the accusative")
    if f.get("VerbForm") == "Part" and f.get("Variant") == "Short" and "Case" in f:
        raise SampleError(f"{where}: short participles have no Case")
    if upos == "ADJ" and f.get("NumType") == "Ord" and "Degree" in f:
        raise SampleError(f"{where}: ordinal adjectives have NumType=Ord, not Degree")
