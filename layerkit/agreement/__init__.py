"""Agreement between independent annotators (issue 16): the measures first; assignments,
copies and the ``layerkit agreement`` command build on them."""

from layerkit.agreement.measures import (
    Relation,
    Span,
    SpanAgreement,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    matched_spans,
    relation_agreement,
    span_agreement,
)

__all__ = [
    "Relation",
    "Span",
    "SpanAgreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "matched_spans",
    "relation_agreement",
    "span_agreement",
]
