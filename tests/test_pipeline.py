"""The spaCy component: lemma, UPOS and FEATS on every token, through nlp and nlp.pipe."""

from __future__ import annotations

import spacy

from layerkit.nlp.pipeline import build_pipeline


def test_component_sets_lemma_pos_morph() -> None:
    nlp = build_pipeline(tagger="rules")
    doc = nlp("Мама мыла раму. Он был бы рад сло\u0301ву!")
    by_text = {t.text: t for t in doc}
    assert by_text["Мама"].pos_ == "NOUN" and by_text["Мама"].lemma_ == "мама"
    assert by_text["был"].pos_ == "AUX" and by_text["бы"].pos_ == "AUX"  # UD: conditional бы
    assert by_text["сло\u0301ву"].lemma_ == "слово"
    assert "Case=Acc" in str(by_text["раму"].morph)
    assert all(t.pos_ for t in doc)
    assert all(0.0 <= t._.morph_confidence <= 1.0 for t in doc)


def test_pipe_batches_many_docs_consistently() -> None:
    nlp = build_pipeline(tagger="rules")
    texts = [f"Это предложение номер {i}. Второе предложение." for i in range(50)]
    piped = list(nlp.pipe(texts, batch_size=16))
    single = nlp(texts[7])
    assert [t.pos_ for t in piped[7]] == [t.pos_ for t in single]
    assert [t.lemma_ for t in piped[7]] == [t.lemma_ for t in single]
    assert sum(len(d) for d in piped) == 50 * len(single)


def test_factory_is_registered_for_any_spacy_user() -> None:
    nlp = spacy.blank("ru")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("layerkit_morph", config={"tagger": "rules", "convention": "gsd"})
    doc = nlp("Этот дом стоит в Москве.")
    assert [t.pos_ for t in doc][-2:] == ["PROPN", "PUNCT"]
