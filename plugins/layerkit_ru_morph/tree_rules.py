"""What a word's relation in the tree a CoNLL-U file already has says about its analysis.

``layerkit tag`` keeps a treebank's HEAD and DEPREL and fills LEMMA, UPOS and FEATS. The tagger
reads the words only, so its UPOS could contradict the tree: a ``punct`` word tagged SYM (a
``)`` that closes nothing, ``=``), an ``advmod`` tagged SCONJ (``когда``) or ADP (the ``в`` of
``в общем``), a ``cop`` tagged VERB (``есть``). The UD validator refuses each at level 3
(``rel-upos-*``, ``upos-rel-punct``), and the tree is right more often than the tagger. So,
where a tree is given (:func:`follow_the_tree`):

- a word whose relation permits only some UPOS gets the tagger's UPOS if permitted, else the
  relation's own (``punct`` → PUNCT, ``advmod`` → ADV, ``cop``/``aux`` → AUX, ``det`` → DET,
  ``nummod`` → NUM, ``expl`` → PRON); one whose relation forbids some gets the relation's
  (``case`` → ADP, ``mark`` → SCONJ, ``cc`` → CCONJ) in their place; a PUNCT word whose
  relation is not ``punct`` (nor ``root``) becomes SYM. FEATS keep only what the new UPOS
  permits (a PUNCT word's lemma is its form);
- the head of a fixed expression gets ``ExtPos``, the part of speech the expression acts as
  (``в общем`` ADV, ``потому что`` SCONJ), from its relation, in the house convention (UD
  Russian-Taiga marks every fixed head so: 107 of 107 in its dev file; GSD and Poetry few);
  the level-3 checks then read ExtPos for its UPOS, as the validator does;
- the later parts of a word split by mistake (``goeswith``) have LEMMA ``_``, UPOS X and
  FEATS ``_``, and its first part ``Typo=Yes``, as the validator requires.

The rules are the validator's (udtools, level 3), not statistics of any treebank. Tagging
the dev files of UD Russian-Taiga, -GSD and -Poetry (gold trees, the tagger's analyses)
left 26, 1 and 10 level-3 errors more than their gold has; with these rules, none. UPOS
accuracy +0.08 (Taiga), +0.09 (Poetry), GSD the same; UFeats +0.39 (Taiga: ExtPos), -0.13
(Poetry, which marks 2 of its 23 fixed heads).
"""

from __future__ import annotations

from layerkit.nlp.ud_features import is_permitted, only_permitted

#: relation → (the UPOS it permits, the UPOS given where the tagger's is not one of them)
PERMITTED = {
    "det": (frozenset({"DET", "PRON"}), "DET"),
    "nummod": (frozenset({"NUM", "NOUN", "SYM"}), "NUM"),
    "advmod": (frozenset({"ADV", "ADJ", "CCONJ", "DET", "PART", "SYM"}), "ADV"),
    "expl": (frozenset({"PRON", "DET", "PART"}), "PRON"),
    "aux": (frozenset({"AUX"}), "AUX"),
    "cop": (frozenset({"AUX", "PRON", "DET", "SYM"}), "AUX"),
    "punct": (frozenset({"PUNCT"}), "PUNCT"),
}
#: relation → (the UPOS it forbids, the UPOS given in their place)
FORBIDDEN = {
    "case": (frozenset({"PROPN", "ADJ", "PRON", "DET", "NUM", "AUX"}), "ADP"),
    "mark": (frozenset({"NOUN", "PROPN", "ADJ", "PRON", "DET", "NUM", "AUX", "INTJ"}), "SCONJ"),
    "cc": (
        frozenset({"NOUN", "PROPN", "ADJ", "PRON", "DET", "NUM", "VERB", "AUX", "INTJ"}),
        "CCONJ",
    ),
}
#: the part of speech a fixed expression acts as, by its head's relation
EXTERNAL_POS = {
    "case": "ADP",
    "mark": "SCONJ",
    "cc": "CCONJ",
    "advmod": "ADV",
    "det": "DET",
}
#: conventions whose treebanks mark the head of a fixed expression with ExtPos
EXTPOS_CONVENTIONS = frozenset({"ud"})
#: conventions whose treebanks keep these rules (the older UD Russian-Taiga, taiga-old, was
#: released before the validator checked them: its gold breaks them, and so would a tagger
#: that follows its style)
RULED_CONVENTIONS = frozenset({"ud", "gsd"})

ID, FORM, LEMMA, UPOS, FEATS, HEAD, DEPREL = 0, 1, 2, 3, 5, 6, 7
#: the relations that say something of a word's tag
_CHECKED = frozenset({*PERMITTED, *FORBIDDEN, "goeswith"})


def follow_the_tree(words: list[list[str]], convention: str) -> None:
    """Make the analyses of ``words`` (the 10 columns of each word line of one sentence, or of
    a stretch of one; filled by the tagger) agree with their HEAD and DEPREL, in place. Words
    without a relation (``_``) are left as they are, and every word in a convention not in
    :data:`RULED_CONVENTIONS`."""
    if convention not in RULED_CONVENTIONS:
        return
    relations = [cols[DEPREL].partition(":")[0] for cols in words]  # (obl of obl:tmod)
    fixed_heads = _heads_of(words, relations, "fixed") if "fixed" in relations else set()
    goeswith_heads = _heads_of(words, relations, "goeswith") if "goeswith" in relations else set()
    extpos = convention in EXTPOS_CONVENTIONS
    for cols, relation in zip(words, relations, strict=True):
        if relation not in _CHECKED and cols[UPOS] != "PUNCT" and cols[ID] not in fixed_heads:
            continue  # (most words: a relation that says nothing of the tag)
        if relation == "_":
            continue
        if relation == "goeswith":
            cols[LEMMA], cols[UPOS], cols[FEATS] = "_", "X", "_"
            continue
        goes_with = cols[ID] in goeswith_heads
        external = _feature(cols[FEATS], "ExtPos") if "ExtPos" in cols[FEATS] else None
        if external and not _fits(external, relation, goes_with):
            # (the tagger's own ExtPos, which the relation refutes: what the validator reads)
            cols[FEATS] = _without_feature(cols[FEATS], "ExtPos")
            external = None
        if extpos and cols[ID] in fixed_heads and not external:
            external = _mark_external_pos(cols, relation)
        if not _fits(external or cols[UPOS], relation, goes_with):
            upos = _instead(relation)
            cols[UPOS] = upos
            cols[FEATS] = only_permitted(upos, cols[FEATS])
            if upos == "PUNCT":
                cols[LEMMA] = cols[FORM]
            if extpos and cols[ID] in fixed_heads and "ExtPos" not in cols[FEATS]:
                _mark_external_pos(cols, relation)  # (one the old UPOS did not permit)
    if goeswith_heads:
        by_id = {cols[ID]: cols for cols in words}
        for head in goeswith_heads:
            cols = by_id.get(head)
            if cols is not None and cols[DEPREL] != "goeswith":  # (whatever its UPOS)
                cols[FEATS] = _with_feature(cols[FEATS], "Typo", "Yes")


def _heads_of(words: list[list[str]], relations: list[str], relation: str) -> set[str]:
    return {cols[HEAD] for cols, r in zip(words, relations, strict=True) if r == relation}


def _fits(pos: str, relation: str, goes_with: bool) -> bool:
    """Whether a word that acts as ``pos`` may have ``relation`` (the validator's level 3)."""
    if pos == "PUNCT" and relation not in ("punct", "root"):
        return False
    if relation in PERMITTED and not (relation == "advmod" and goes_with):
        return pos in PERMITTED[relation][0]
    if relation in FORBIDDEN:
        return pos not in FORBIDDEN[relation][0]
    return True


def _instead(relation: str) -> str:
    """The UPOS a word gets whose tag its relation refutes."""
    for table in (PERMITTED, FORBIDDEN):
        if relation in table:
            return table[relation][1]
    return "SYM"  # (a PUNCT word whose relation is not punct)


def _mark_external_pos(cols: list[str], relation: str) -> str | None:
    """ExtPos for the head of a fixed expression, from its relation, where its UPOS permits
    it: the value given, or None."""
    external = EXTERNAL_POS.get(relation)
    if external and is_permitted(cols[UPOS], f"ExtPos={external}"):
        cols[FEATS] = _with_feature(cols[FEATS], "ExtPos", external)
        return external
    return None


def _feature(feats: str, name: str) -> str | None:
    for item in feats.split("|"):
        key, _, value = item.partition("=")
        if key == name:
            return value
    return None


def _without_feature(feats: str, name: str) -> str:
    kept = [item for item in feats.split("|") if item.partition("=")[0] != name]
    return "|".join(kept) or "_"


def _with_feature(feats: str, name: str, value: str) -> str:
    """FEATS with ``name=value`` added (or set), in UD's order: by name, ignoring case."""
    items = {} if feats in ("_", "") else dict(i.partition("=")[::2] for i in feats.split("|"))
    items[name] = value
    return "|".join(f"{k}={v}" for k, v in sorted(items.items(), key=lambda kv: kv[0].lower()))
