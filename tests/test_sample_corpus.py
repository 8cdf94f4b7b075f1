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
"""

from __future__ import annotations

import json
import tomllib
import unicodedata
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


def test_the_sample_has_thirteen_gold_paragraphs_every_layer_done() -> None:
    assert len(PARAGRAPHS) == 13
    for p in PARAGRAPHS:
        assert {layer: s["state"] for layer, s in p["status"].items()} == dict.fromkeys(
            LAYERS, "done"
        )


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
    text = record["text"]
    tokens = {tuple(t) for t in record["tokens"]}
    sentences = [tuple(s) for s in record["sentences"]]
    fields = {(layer, f["name"]): f for layer, schema in schemas.items() for f in schema["fields"]}
    by_id = {a["id"]: a for a in record["annotations"]}
    if len(by_id) != len(record["annotations"]):
        raise SampleError(f"{key}: annotation ids are not unique")

    seen_fields = set()
    morph_tokens: list[tuple[int, int]] = []
    acts: list[tuple[int, int]] = []
    for a in record["annotations"]:
        where = f"{key} #{a['id']} {a['layer']}.{a['field']}"
        spec = fields.get((a["layer"], a["field"]))
        if spec is None:
            raise SampleError(f"{where}: no such field in schemas/{a['layer']}.toml")
        if a["kind"] != spec["kind"]:
            raise SampleError(f"{where}: kind {a['kind']!r}, schema says {spec['kind']!r}")
        labels = {lab["name"] for lab in spec.get("labels", [])}
        if labels and a.get("label") not in labels:
            raise SampleError(f"{where}: label {a.get('label')!r} not in the schema")
        if not labels and "label" in a:
            raise SampleError(f"{where}: field has no labels, got {a['label']!r}")
        check_attrs(where, spec, a.get("attrs", {}))
        seen_fields.add((a["layer"], a["field"]))
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
            check_morph(where, text[a["start"] : a["end"]], a)
        elif a["kind"] == "relation":
            src, tgt = by_id.get(a["source"]), by_id.get(a["target"])
            if src is None or tgt is None:
                raise SampleError(f"{where}: relation endpoint missing")
            for end_name, end, allowed in (
                ("source", src, spec.get("source_labels")),
                ("target", tgt, spec.get("target_labels")),
            ):
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
                if anchor is None or anchor["field"] != spec["anchor_field"]:
                    raise SampleError(f"{where}: must anchor on a {spec['anchor_field']} span")
            elif "source" in a:
                raise SampleError(f"{where}: paragraph text must not have a source")

    if sorted(morph_tokens) != sorted(tokens) or len(morph_tokens) != len(tokens):
        raise SampleError(f"{key}: every token needs exactly one morph annotation")
    if sorted(acts) != sorted(sentences):
        raise SampleError(f"{key}: every sentence needs exactly one speech act")
    for (layer, name), spec in fields.items():
        if spec.get("required") and (layer, name) not in seen_fields:
            raise SampleError(f"{key}: required field {layer}.{name} has no annotation")
    for name in ("intent", "tone", "register"):
        n = sum(1 for a in record["annotations"] if a["field"] == name)
        if n != 1:
            raise SampleError(f"{key}: {n} {name} labels, expected one")


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
        raise SampleError(f"{where}: lemma {lemma!r} keeps a stress mark or soft hyphen")
    is_punct = all(unicodedata.category(c).startswith("P") for c in form)
    if is_punct != (upos == "PUNCT"):
        raise SampleError(f"{where}: {form!r} tagged {upos}")
    if upos == "AUX" and lemma not in ("быть", "бы"):
        raise SampleError(f"{where}: only быть and conditional бы are AUX")
    if feats != "_" and any("=" not in pair for pair in feats.split("|")):
        raise SampleError(f"{where}: malformed feats {feats!r}")
    pairs = [] if feats == "_" else [pair.split("=", 1) for pair in feats.split("|")]
    names = [name for name, _ in pairs]
    if names != sorted(names, key=str.lower) or len(set(names)) != len(names):
        raise SampleError(f"{where}: feats {feats!r} not in UD (alphabetical) order")
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
