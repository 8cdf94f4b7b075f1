"""``NeuralTagger``: the trained contextual model behind the ``MorphTagger`` protocol.

No torch at import or when tagging with the default numpy runtime (``numpy_model``); the torch
network (``model.MorphNet``) is used only when asked for (``runtime="torch"`` or
``LAYERKIT_MORPH_RUNTIME=torch``), by training and by the tests that compare the two."""

from __future__ import annotations

import importlib.util
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from layerkit.gc_pause import paused_gc
from layerkit.heap import keep_freed_memory
from layerkit.nlp.analyzer import clean
from layerkit.nlp.neural.config import SLOVNET_PADDING, ModelConfig
from layerkit.nlp.neural.decoding import BatchReadings, choose
from layerkit.nlp.neural.features import (
    UPOS,
    Analyze,
    EncodedSentence,
    FeatureSpace,
    ReadingSet,
    TokenStatic,
    apply_script,
    clean_form,
)
from layerkit.nlp.neural.navec_vectors import NavecVectors, load_navec
from layerkit.nlp.neural.numpy_model import NumpyMorphNet, log_softmax
from layerkit.nlp.neural.processes import (
    MIN_PARALLEL_TOKENS,
    ProcessPool,
    fork_is_safe,
    in_one_process,
    requested_processes,
    split_by_tokens,
)
from layerkit.nlp.neural.slovnet_weights import load_slovnet_weights
from layerkit.nlp.neural.threads import set_blas_threads, thread_count, worker_processes
from layerkit.nlp.types import TokenAnalysis
from layerkit.nlp.ud_features import PERMITTED_FEATURES_ONLY, only_permitted

if TYPE_CHECKING:
    from layerkit.nlp.neural.model import MorphNet

NAME = "ru-morph"
WEIGHTS = "model.safetensors"
CONFIG = "config.json"

Runtime = Literal["numpy", "torch"]
RUNTIMES = ("numpy", "torch")
#: the environment variable that picks the runtime when ``load_neural_tagger`` is not told
RUNTIME_ENV = "LAYERKIT_MORPH_RUNTIME"


def default_runtime() -> Runtime:
    """``LAYERKIT_MORPH_RUNTIME`` when it names a runtime, else numpy."""
    env = os.environ.get(RUNTIME_ENV, "").strip().lower()
    if env and env not in RUNTIMES:
        raise ValueError(f"{RUNTIME_ENV}={env!r}: choose one of {', '.join(RUNTIMES)}")
    return "torch" if env == "torch" else "numpy"


def default_analyze() -> Analyze:
    from layerkit.nlp.analyzer import analyze

    return analyze


def default_model_dir() -> Path:
    spec = importlib.util.find_spec("layerkit_ru_morph")
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "model"
        if path.is_dir():
            return path
    return Path(__file__).resolve().parents[3] / "plugins" / "layerkit_ru_morph" / "model"


def set_threads(threads: int | None = None, runtime: Runtime = "torch") -> None:
    """Size the runtime's thread pool. torch: ``threads`` intra-op threads, or as many as
    there are free cores, at most two (small batches gain nothing from more; see
    ``layerkit.nlp.neural.threads`` for why a thread on a busy core costs far more than it
    brings). numpy: ``threads`` BLAS threads, else one: the numpy runtime on one thread is
    already faster than torch's, and two OpenBLAS threads on a 2-core machine with one core
    busy took 13x the CPU of one (they spin at every LSTM step)."""
    if runtime == "numpy":
        set_blas_threads(threads or 1)
        return
    import torch

    n = thread_count(threads)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


@lru_cache(maxsize=100_000)
def _slovnet_shape(form: str) -> str:
    from slovnet.shape import word_shape

    return str(word_shape(form))


def slovnet_shape_ids(forms: Iterable[str], shapes: dict[str, int]) -> list[int]:
    """The ids of the forms' slovnet shapes in ``shapes`` (slovnet's own index; a shape it
    does not know is OTHER)."""
    other = shapes.get("OTHER", 0)
    return [shapes.get(_slovnet_shape(form), other) for form in forms]


def collate(
    sents: Sequence[EncodedSentence],
    navec: NavecVectors | None,
    *,
    shapes: dict[str, int] | None = None,
    targets: bool = False,
) -> dict[str, np.ndarray]:
    """Pad encoded sentences into one batch of arrays (with the gold labels if ``targets``);
    ``model.to_tensors`` makes torch tensors of them."""
    b = len(sents)
    t = max(len(s) for s in sents)
    first = sents[0]
    dense = np.zeros((b, t, first.dense.shape[1]), np.float32)
    cand = np.zeros((b, t, first.cand.shape[1]), np.float32)
    word_ids = np.zeros((b, t), np.int64)
    navec_ids = np.zeros((b, t), np.int64)
    shape_ids = np.zeros((b, t), np.int64)
    suffix_ids = np.zeros((b, t, first.suffix_ids.shape[1]), np.int64)
    chars = np.zeros((b, t, first.chars.shape[1]), np.int64)
    lengths = np.zeros(b, np.int64)
    conv = np.zeros(b, np.int64)
    for i, s in enumerate(sents):
        n = len(s)
        lengths[i] = n
        conv[i] = s.conv
        dense[i, :n] = s.dense
        cand[i, :n] = s.cand
        word_ids[i, :n] = s.word_ids
        suffix_ids[i, :n] = s.suffix_ids
        chars[i, :n] = s.chars
        if navec is not None:
            navec_ids[i, :n] = [navec.lookup(f) for f in s.forms]
        if shapes is not None:
            shape_ids[i, :n] = slovnet_shape_ids(s.forms, shapes)
    batch: dict[str, np.ndarray] = {
        "dense": dense,
        "cand": cand,
        "word_ids": word_ids,
        "navec_ids": navec_ids,
        "shape_ids": shape_ids,
        "suffix_ids": suffix_ids,
        "chars": chars,
        "lengths": lengths,
        "conv": conv,
    }
    if targets:
        for key in ("upos", "case", "script"):
            arr = np.zeros((b, t), np.int64)
            for i, s in enumerate(sents):
                assert s.targets is not None
                arr[i, : len(s)] = s.targets[key]
            batch[key] = arr
        nc = first.targets["feats"].shape[1] if first.targets else 0
        feats = np.zeros((b, t, nc), np.int64)
        for i, s in enumerate(sents):
            assert s.targets is not None
            feats[i, : len(s)] = s.targets["feats"]
        batch["feats"] = feats
    return batch


def length_batches(lengths: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Indices grouped into batches of similar length with at most ``max_tokens`` padded
    tokens each (a longer sentence gets a batch of its own)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        if cur and lengths[cur[0]] * (len(cur) + 1) > max_tokens:
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    return batches


#: how many forms' input rows a tagger keeps (1,088 floats each with the shipped model: 320 of
#: the input layer, 768 of slovnet's first convolution; about 435 MB at most)
STATIC_CACHE_FORMS = 100_000

#: how often (seconds) a tagger without a fixed thread count looks again at the free cores
RESIZE_SECONDS = 2.0

#: how much more likely than the free prediction (log-probability margin) an analyzer reading
#: may be and still be preferred, per convention (tuned by cross-validation, bench/lexical.py)
SNAP_BONUS = {"ud": 3.0, "gsd": 1.0, "taiga-old": 3.0}


class NeuralTagger:
    """Tags pre-tokenized sentences with UD lemma, UPOS, FEATS and a confidence per token.

    Decoding: the network gives a distribution over UPOS and over each FEATS category. Every
    analyzer reading of the token (converted to the tagger's convention) is scored under them;
    the best reading wins unless the free per-category choice beats it by more than
    ``snap_bonus``. The lemma is that reading's (the best reading of the chosen UPOS when the
    free choice won), so dictionary lemmas are used whenever the dictionary fits; the learned
    edit-script classifier lemmatizes the rest and guessed proper nouns. The confidence is the
    smallest probability among the chosen UPOS, FEATS values and (for a script lemma) script.
    """

    name = NAME

    def __init__(
        self,
        net: NumpyMorphNet | MorphNet,
        space: FeatureSpace,
        allowed: np.ndarray,
        *,
        navec: NavecVectors | None,
        convention: str = "ud",
        version: str = "0",
        analyze: Analyze | None = None,
        max_batch_tokens: int = 1500,
        snap_bonus: dict[str, float] | None = None,
        threads: int | None = None,
        processes: int | None = None,
    ) -> None:
        #: "numpy" (``NumpyMorphNet``, the default) or "torch" (``MorphNet``, used in eval mode)
        self.runtime: Runtime = "numpy" if isinstance(net, NumpyMorphNet) else "torch"
        self.net = net if isinstance(net, NumpyMorphNet) else net.eval()
        #: threads as asked for; None: as many as cores are free, re-checked as the
        #: machine's load changes (at most every RESIZE_SECONDS)
        self.threads = threads
        self._sized_at = -RESIZE_SECONDS
        #: processes for a big call (``processes``): as asked for (or LAYERKIT_TAG_PROCESSES);
        #: None: ``threads.worker_processes`` (one per free core, one more while another
        #: program keeps a core busy), looked at again with the threads
        self.processes = requested_processes(processes)
        self._worker_processes = 1
        self._pool: ProcessPool | None = None
        self._pool_settings: tuple[Any, ...] = ()
        self.space = space
        self.allowed = allowed.astype(bool)
        self.navec = navec
        self.convention = convention
        self.version = version
        self.analyze: Analyze = analyze or default_analyze()
        self.max_batch_tokens = max_batch_tokens
        self.snap_bonus = dict(SNAP_BONUS if snap_bonus is None else snap_bonus)
        #: ablation switches (bench): choose among readings at all; lemma from readings
        self.snap = True
        self.lemma_from_reading = True
        self.script_weight = 1.0
        cats = space.cats
        self._max_values = max((len(space.feat_cats[c]) for c in cats), default=1)
        #: each category's number of values, where its logits start among all categories',
        #: and each of those logits' category and value (see _feats_log_softmax)
        self._feat_sizes = [len(space.feat_cats[c]) for c in cats]
        self._feat_starts = np.cumsum([0, *self._feat_sizes[:-1]])
        self._feat_cat_of = np.repeat(np.arange(len(cats)), self._feat_sizes)
        self._feat_value_of = np.concatenate(
            [np.arange(n, dtype=np.int64) for n in self._feat_sizes] or [np.zeros(0, np.int64)]
        )
        self._feat_strings = [[f"{c}={v}" for v in space.feat_cats[c]] for c in cats]
        #: UD orders features alphabetically, ignoring case (Number before NumType)
        self._feat_order = sorted(range(len(cats)), key=lambda c: cats[c].lower())
        #: FEATS strings by their value ids (a few hundred distinct ones in a corpus)
        # (UPOS, the chosen value of each category) -> FEATS string
        self._feats_cache: dict[tuple[str, tuple[int, ...]], str] = {}
        self._propn = space.upos.index("PROPN")
        #: per form, the input layer's share of its context-free inputs and slovnet's first
        #: convolution's products (numpy runtime)
        self._static_cache: dict[str, np.ndarray] = {}
        self._slovnet_padding = (
            net.slovnet_padding_row if isinstance(net, NumpyMorphNet) else np.zeros(0, np.float32)
        )

    def clear_caches(self) -> None:
        """Forget per-form features (for benchmarks; the analyzer has its own cache)."""
        self.space.clear_caches()
        self._static_cache.clear()
        if self.navec is not None:
            self.navec.clear_cache()

    def encode(
        self,
        forms: Sequence[str],
        *,
        context_free: bool = True,
        statics: Sequence[TokenStatic] | None = None,
        readings: Sequence[ReadingSet] | None = None,
    ) -> EncodedSentence:
        """A sentence's arrays for ``collate`` and ``logits`` (``context_free``, ``statics``,
        ``readings``: see ``FeatureSpace.encode_sentence``; tagging with numpy leaves the
        context-free ones out)."""
        return self.space.encode_sentence(
            forms,
            self.analyze,
            self.convention,
            context_free=context_free,
            statics=statics,
            readings=readings,
        )

    def _size_threads(self) -> None:
        now = time.monotonic()
        if now - self._sized_at >= RESIZE_SECONDS:
            self._sized_at = now
            set_threads(self.threads, self.runtime)
            if self.processes is None and self.runtime == "numpy":
                ours = self._pool.worker_pids() if self._pool is not None else []
                self._worker_processes = worker_processes(ours=ours)

    def _process_count(self, tokens: int) -> int:
        """How many processes tag a call of ``tokens`` tokens (see ``processes``)."""
        if (
            self.runtime != "numpy"
            or tokens < MIN_PARALLEL_TOKENS
            or in_one_process()
            or not fork_is_safe()
        ):
            return 1
        return self.processes or self._worker_processes

    def processes_for(self, tokens: int) -> int:
        """How many processes a call of ``tokens`` tokens would be tagged with now: for callers
        that split bigger work over processes themselves (``processes.ForkedJob``)."""
        self._size_threads()
        return self._process_count(tokens)

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[TokenAnalysis]]:
        """Lemma, UPOS, FEATS and confidence of every token of ``sentences``. A big call is
        split over worker processes (``processes``, see ``worker_processes``); the results are the
        same as in one process."""
        with paused_gc():
            return self._tag(sentences)

    def _tag(self, sentences: Sequence[Sequence[str]]) -> list[list[TokenAnalysis]]:
        shards = self._shards(sentences)
        if shards is None:
            return self._tag_serial(sentences)
        tagged = self._worker_pool().map_shards(shards)
        return [row for shard in tagged for row in shard]

    def tag_later(
        self, sentences: Sequence[Sequence[str]]
    ) -> Callable[[], list[list[TokenAnalysis]]]:
        """``tag``, started now on the worker processes (every shard: this process is left
        free, e.g. to store the previous batch meanwhile), collected by calling what it
        returns. A call too small to split over processes is tagged here and now."""
        with paused_gc():
            shards = self._shards(sentences)
            if shards is None:
                done = self._tag_serial(sentences)
                return lambda: done
            results = self._worker_pool().submit_shards(shards)

        def collect() -> list[list[TokenAnalysis]]:
            with paused_gc():
                return [row for shard in results() for row in shard]

        return collect

    def _shards(self, sentences: Sequence[Sequence[str]]) -> list[list[list[str]]] | None:
        """``sentences`` split for the worker processes, or None when tagged in this one."""
        self._size_threads()
        lengths = [len(s) for s in sentences]
        parts = self._process_count(sum(lengths))
        if parts < 2:
            return None
        ranges = split_by_tokens(lengths, parts)
        if len(ranges) < 2:
            return None
        return [[list(sentences[i]) for i in r] for r in ranges]

    def warm_up(self) -> None:
        """Load now what the first tagged word loads (pymorphy3's dictionary, slovnet's shape
        rules): called before worker processes are forked, so that they share it instead of
        each loading its own copy (0.07 s of CPU and a few MB each)."""
        self.analyze("и")
        _slovnet_shape("и")

    def _worker_pool(self) -> ProcessPool:
        if self._pool is not None and self._pool_settings != self._settings():
            self.close()  # the workers hold a copy of the tagger as it was forked
        if self._pool is None:
            self.warm_up()
            self._pool = ProcessPool(self._tag_serial)
            self._pool_settings = self._settings()
        return self._pool

    def _settings(self) -> tuple[Any, ...]:
        """What a caller may change on a loaded tagger (benches switch these)."""
        return (
            self.convention,
            self.max_batch_tokens,
            tuple(sorted(self.snap_bonus.items())),
            self.snap,
            self.lemma_from_reading,
            self.script_weight,
        )

    def close(self) -> None:
        """Stop the worker processes, if any were started (they stop at exit anyway)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _tag_serial(self, sentences: Sequence[Sequence[str]]) -> list[list[TokenAnalysis]]:
        # The forms as the analyzer reads them (``analyzer.clean``): a soft hyphen or a
        # zero-width character, which only says where a line may break, changed the network's
        # input and the edit script's letters («Мо\xadскву» → lemma «Мо\xadсквя», «Па\xadпа»
        # a PROPN); stress marks were already read past.
        sents = [[clean(form) if not form.isalnum() else form for form in s] for s in sentences]
        if sum(map(len, sents)) >= MIN_PARALLEL_TOKENS:
            keep_freed_memory()  # a big call's batches reuse memory (see layerkit.heap)
        out: list[list[TokenAnalysis]] = [[] for _ in sents]
        todo = [i for i, s in enumerate(sents) if s]
        # the numpy network reads context-free inputs from its per-form cache (_static_rows)
        full = not isinstance(self.net, NumpyMorphNet)
        # encode batch by batch: features of a whole corpus at once would not fit in memory
        for batch_ix in length_batches([len(sents[i]) for i in todo], self.max_batch_tokens):
            batch = [sents[todo[j]] for j in batch_ix]
            # the batch's new forms computed together (see FeatureSpace.token_statics)
            forms = [f for s in batch for f in s]
            statics = self.space.token_statics(forms, self.analyze)
            sets = self.space.readings_of(forms, self.analyze, self.convention)
            ends = list(accumulate(map(len, batch)))
            results = self._run(
                [
                    self.encode(
                        s,
                        context_free=full,
                        statics=statics[end - len(s) : end],
                        readings=sets[end - len(s) : end],
                    )
                    for s, end in zip(batch, ends, strict=True)
                ]
            )
            for j, res in zip(batch_ix, results, strict=True):
                out[todo[j]] = res
        if self.convention in UNPAIRED_BRACKET_IS_SYM:
            for i in todo:
                mark_unpaired_brackets(sents[i], out[i])
        return out

    def _run(self, sents: list[EncodedSentence]) -> list[list[TokenAnalysis]]:
        sp = self.space
        lengths = np.fromiter((len(s) for s in sents), np.int64, len(sents))
        # every token of the batch in order, as (sentence, position) index arrays
        tok_b = np.repeat(np.arange(len(sents)), lengths)
        tok_i = np.arange(len(tok_b)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        statics = [st for s in sents for st in s.statics]
        sets = [rs for s in sents for rs in s.readings] if self.snap else []
        readings = BatchReadings.of(sets or [_NO_READINGS] * len(tok_b), len(sp.cats))
        rb, ri = tok_b[readings.token], tok_i[readings.token]
        net = self.net if isinstance(self.net, NumpyMorphNet) else None
        # the numpy network reads navec and slovnet shape ids per form (_static_rows), so the
        # batch goes without them
        batch = (
            collate(sents, None)
            if net is not None
            else collate(sents, self.navec, shapes=self.net.shape_index)
        )
        if net is not None:
            width = net.inp_weight.shape[1]
            rows, inverse = self._static_rows([f for s in sents for f in s.forms], statics)
            static = np.zeros((*batch["word_ids"].shape, width), np.float32)
            static[tok_b, tok_i] = rows[inverse, :width]
            slovnet_rows = None
            if rows.shape[1] > width:
                b, t = batch["word_ids"].shape
                slovnet_rows = np.empty((b, t + SLOVNET_PADDING, rows.shape[1] - width), np.float32)
                slovnet_rows[:] = self._slovnet_padding
                slovnet_rows[tok_b, tok_i] = rows[inverse, width:]
            # script scores are asked for below, where they are needed (see NumpyMorphNet)
            out = net.forward(batch, static, scripts=False, slovnet_rows=slovnet_rows)
        else:
            out = self.logits(batch)
        lp_upos = log_softmax(out["upos"])
        upos_ids = lp_upos.argmax(axis=-1)
        allowed = self.allowed[upos_ids]  # (B, T, C)
        # every category's log-probabilities side by side, padded with -inf: (B, T, C, values)
        lp_feats = self._feats_log_softmax(out["feats"])
        n_cat = lp_feats.shape[2]
        lp_feats_list = [lp_feats[:, :, c, :n] for c, n in enumerate(self._feat_sizes)]
        # the free choice: each allowed category's most likely value (the first of equal ones)
        free = np.where(allowed, lp_feats.argmax(axis=-1), 0)
        free_lp = np.take_along_axis(lp_feats, free[..., None], axis=-1)[..., 0]
        free_score = lp_upos.max(axis=-1)
        for c in range(n_cat):  # summed in the categories' order, as scores are below
            free_score = free_score + free_lp[..., c]
        scores = _reading_scores(readings, rb, ri, lp_upos, lp_feats_list)
        case_ids = out["case"].argmax(axis=-1)
        reading_scripts: np.ndarray | None = None
        script_scores: Callable[[np.ndarray], np.ndarray] | None = None
        if net is not None:
            h, conv, cand = out["head_input"], batch["conv"], batch["cand"]

            def script_scores(ix: np.ndarray) -> np.ndarray:
                # the readings' script logits, unnormalised: choosing among a token's
                # readings compares them within the token, where the normaliser is the same
                assert net is not None
                b, i, sid = rb[ix], ri[ix], readings.scripts[ix]
                return net.script_logits_at(h[b, i], conv[b], sid, cand[b, i, sid])

        else:
            lp_scripts = log_softmax(out["script"])
            reading_scripts = lp_scripts[rb, ri, readings.scripts]
        choice = choose(
            readings,
            scores,
            reading_scripts,
            upos_ids[tok_b, tok_i],
            free[tok_b, tok_i],
            free_score[tok_b, tok_i],
            self.snap_bonus.get(self.convention, 0.0),
            self.script_weight,
            script_scores,
        )
        # the smallest log-probability among the chosen UPOS and FEATS values
        chosen_feats = lp_feats[tok_b[:, None], tok_i[:, None], np.arange(n_cat), choice.vals]
        conf0 = np.minimum(
            lp_upos[tok_b, tok_i, choice.upos], chosen_feats.min(axis=1, initial=0.0)
        ).tolist()
        # the lemma-script classifier's choice, for the tokens lemmatized by it (see the loop)
        known = np.fromiter((st.known for st in statics), bool, len(statics))
        by_script = (choice.lemma_reading < 0) | (not self.lemma_from_reading)
        by_script |= (choice.upos == self._propn) & ~known
        need = np.flatnonzero(by_script)
        script_ids = np.zeros(len(tok_b), np.int64)
        lp_script = np.zeros(len(tok_b), np.float32)
        if len(need):
            nb, ni = tok_b[need], tok_i[need]
            if net is not None:
                lp_need = log_softmax(net.script_logits(h[nb, ni], conv[nb], cand[nb, ni]))
            else:
                lp_need = lp_scripts[nb, ni]
            script_ids[need] = lp_need.argmax(axis=-1)
            lp_script[need] = lp_need[np.arange(len(need)), script_ids[need]]
        lp_script_of = lp_script.tolist()
        script_of = script_ids.tolist()
        by_script_of = by_script.tolist()
        case_of = case_ids[tok_b, tok_i].tolist()
        upos_of = choice.upos.tolist()
        vals_of = choice.vals.tolist()
        lemma_reading = choice.lemma_reading.tolist()
        reading_start = readings.start.tolist()
        forms = [f for s in sents for f in s.forms]
        feats_cache = self._feats_cache
        labels: list[tuple[str, str, str]] = []
        confs: list[float] = []
        for t, form in enumerate(forms):
            upos = sp.upos[upos_of[t]]
            key = tuple(vals_of[t])
            feats = feats_cache.get((upos, key))
            if feats is None:
                feats = "|".join(self._feat_strings[c][key[c]] for c in self._feat_order if key[c])
                feats = feats or "_"
                if self.convention in PERMITTED_FEATURES_ONLY:
                    # (the categories are chosen apart from the UPOS: the readings of another
                    # word class, the adjective a surname was made from, can leave Degree on a
                    # PROPN)
                    feats = only_permitted(upos, feats)
                feats_cache[upos, key] = feats
            case = sp.case_modes[case_of[t]]
            st = statics[t]
            r = lemma_reading[t]
            conf = conf0[t]
            if not by_script_of[t]:
                lemma = sets[t].lemmas[r - reading_start[t]]
            else:
                lemma = self._script_lemma(form, st.lemmas, case, script_of[t])
                conf = min(conf, lp_script_of[t])
            lemma = _name_case(lemma, form) if upos == "PROPN" else _recase(lemma, case)
            labels.append((lemma, upos, feats))
            confs.append(conf)
        probs = np.exp(np.asarray(confs, np.float64)).tolist()
        analyses = [
            TokenAnalysis(lemma, upos, feats, round(p, 4))
            for (lemma, upos, feats), p in zip(labels, probs, strict=True)
        ]
        ends = np.cumsum(lengths).tolist()
        return [analyses[e - n : e] for e, n in zip(ends, lengths.tolist(), strict=True)]

    def _feats_log_softmax(self, logits: Sequence[np.ndarray]) -> np.ndarray:
        """Each FEATS category's log-softmax, (B, T, categories, values) padded with -inf,
        from its logits (one (B, T, values) array per category): a dozen array operations
        over all categories at once instead of a dozen per category, on arrays of a few
        values each."""
        block = np.concatenate(logits, axis=-1)
        sizes, starts = self._feat_sizes, self._feat_starts
        shifted = block - np.repeat(np.maximum.reduceat(block, starts, axis=-1), sizes, axis=-1)
        sums = np.add.reduceat(np.exp(shifted), starts, axis=-1)
        shifted -= np.repeat(np.log(sums), sizes, axis=-1)
        out = np.full((*block.shape[:2], len(sizes), self._max_values), -np.inf, np.float32)
        out[:, :, self._feat_cat_of, self._feat_value_of] = shifted
        return out

    def _static_rows(
        self, forms: list[str], statics: list[TokenStatic]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each distinct form's ``NumpyMorphNet.static_inputs`` row followed by its
        ``slovnet_rows`` row, computed once per form (cached like the form's features, up to
        ``STATIC_CACHE_FORMS`` forms), and each token's index among them: the rows are copied
        once more, straight to where the network reads them, instead of once per token
        first."""
        assert isinstance(self.net, NumpyMorphNet)
        cache = self._static_cache
        index: dict[str, int] = {}
        inverse = np.fromiter(
            (index.setdefault(form, len(index)) for form in forms), np.int64, len(forms)
        )
        new: dict[str, TokenStatic] = {}
        for form, st in zip(forms, statics, strict=True):
            if form not in cache and form not in new:
                new[form] = st
        local: dict[str, np.ndarray] = {}
        if new:
            sts = list(new.values())
            navec = self.navec
            navec_ids = np.asarray(
                [navec.lookup(f) for f in new] if navec is not None else [0] * len(sts), np.int64
            )
            rows = self.net.static_inputs(
                np.stack([st.dense for st in sts]),
                np.fromiter((st.word_id for st in sts), np.int64, len(sts)),
                navec_ids,
                np.stack([st.chars for st in sts]),
                np.stack([st.suffix_ids for st in sts]),
            )
            shapes = self.net.shape_index
            if shapes is not None:
                shape_ids = np.asarray(slovnet_shape_ids(new, shapes), np.int64)
                rows = np.concatenate(
                    [rows, self.net.slovnet_rows(navec_ids, shape_ids)], axis=1, dtype=np.float32
                )
            room = STATIC_CACHE_FORMS - len(cache)
            target = cache if room >= len(new) else local
            target.update(zip(new, rows, strict=True))
        return np.stack([cache[f] if f in cache else local[f] for f in index]), inverse

    def logits(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        """The network's output for a ``collate``d batch, as float32 numpy arrays: ``upos``,
        ``feats`` (a list, one per category), ``case`` and ``script``, each (B, T, values)."""
        if isinstance(self.net, NumpyMorphNet):
            return self.net.forward(batch)
        from layerkit.nlp.neural.model import forward_numpy

        return forward_numpy(self.net, batch)

    def _script_lemma(self, form: str, candidates: list[str], case: str, script_id: int) -> str:
        lemma = apply_script(form, case, self.space.scripts[script_id]) if script_id else None
        if lemma is None:
            lemma = candidates[0] if candidates else clean_form(form).lower()
        return lemma


_NO_READINGS = ReadingSet(
    upos=np.zeros(0, np.int64),
    vals=np.zeros((0, 0), np.int64),
    lemmas=[],
    scripts=np.zeros(0, np.int64),
)


def _reading_scores(
    readings: BatchReadings,
    rb: np.ndarray,
    ri: np.ndarray,
    lp_upos: np.ndarray,
    lp_feats: list[np.ndarray],
) -> np.ndarray:
    """The log-probability of every reading of every token (in order), factored over UPOS
    and the FEATS categories."""
    if not len(readings.upos):
        return np.zeros(0, np.float32)
    score = lp_upos[rb, ri, readings.upos]
    for c, lp in enumerate(lp_feats):
        score = score + lp[rb, ri, readings.vals[:, c]]
    return score


#: conventions in which a closing bracket that closes nothing is a smiley (SYM): in
#: ru_taiga-ud-dev 12 of 13 such ")" are SYM, while 52 of 52 that close a "(" are PUNCT; the
#: network alone gets this wrong often (it sees few brackets and no bracket counts).
UNPAIRED_BRACKET_IS_SYM = frozenset({"ud"})


def mark_unpaired_brackets(forms: Sequence[str], row: list[TokenAnalysis]) -> None:
    """Set UPOS of brackets by balance within the sentence: ")" closing an open "(" is PUNCT,
    one that closes nothing is SYM. Changes ``row`` in place; other tokens are untouched."""
    depth = 0
    for i, form in enumerate(forms):
        if form == "(":
            depth += 1
        elif form == ")":
            upos = "PUNCT" if depth > 0 else "SYM"
            depth = max(0, depth - 1)
            a = row[i]
            if a.upos != upos:
                row[i] = TokenAnalysis(form, upos, "_", a.confidence)


def _name_case(lemma: str, form: str) -> str:
    """A proper noun's lemma is written as the form is: КПРФ, Москва, @user; a name set in
    capitals that the dictionary knows as a word (a headline's МОСКВА, ВОЛГЕ, ПЕТРОВ) is
    written as a name (Москва, Волга, Петров: as UD writes it), an abbreviation it knows
    (МГУ, КПРФ, ЖКХ) is its own lemma (МГУ was lemmatized «МГА»)."""
    if len(form) > 1 and form.isupper():
        known = _capitals_known_as(form)
        if known == "abbreviation":
            return form
        if known == "word" and len(form) >= 5:  # (ГАЗ, ГДР, АСО: short ones are acronyms)
            return lemma[:1].upper() + lemma[1:].lower()
        return lemma.upper()
    if form[:1].isupper():
        return lemma[:1].upper() + lemma[1:]
    return lemma


@lru_cache(maxsize=4096)
def _capitals_known_as(form: str) -> str | None:
    """What pymorphy3's dictionary knows a word in capitals as: ``abbreviation`` (any reading
    is an abbreviation), ``word`` (a word it has), or None (not a Russian word it has)."""
    from layerkit.nlp.analyzer import morph

    low = form.lower()
    if not any("а" <= c <= "я" or c == "ё" for c in low):
        return None
    analyzer = morph()
    if not analyzer.word_is_known(low):
        return None
    parses = analyzer.parse(low)
    return "abbreviation" if any("Abbr" in p.tag for p in parses) else "word"


def _recase(lemma: str, case: str) -> str:
    if case == "l":
        return lemma.lower()
    if case == "t":
        return lemma[:1].upper() + lemma[1:]
    if case == "u":
        return lemma.upper()
    return lemma


def load_neural_tagger(
    model_dir: str | Path | None = None,
    convention: str = "ud",
    *,
    analyze: Callable[[str], Any] | None = None,
    threads: int | None = None,
    runtime: Runtime | None = None,
    processes: int | None = None,
) -> NeuralTagger:
    """The tagger saved in ``model_dir`` (default: the weights shipped with layerkit_ru_morph),
    producing annotations in ``convention``'s style.

    ``runtime``: "numpy" (no torch needed; the default) or "torch" (the training network, for
    comparisons); when not given, ``LAYERKIT_MORPH_RUNTIME`` decides, else numpy.
    ``processes``: how many processes tag a big call (``LAYERKIT_TAG_PROCESSES``; default one
    per free core, see ``layerkit.nlp.neural.processes``)."""
    runtime = runtime or default_runtime()
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
    set_threads(threads, runtime)
    path = Path(model_dir) if model_dir is not None else default_model_dir()
    config = json.loads((path / CONFIG).read_text(encoding="utf-8"))
    space = FeatureSpace.from_json(config["space"])
    if convention not in space.conventions:
        raise ValueError(f"unknown convention {convention!r}; the model knows {space.conventions}")
    cfg = ModelConfig(**config["model"])
    navec = load_navec() if cfg.use_navec or cfg.use_slovnet else None
    net: NumpyMorphNet | MorphNet
    if runtime == "numpy":
        from safetensors.numpy import load_file

        net = NumpyMorphNet.from_state(
            cfg,
            load_file(str(path / WEIGHTS)),
            navec=navec,
            slovnet_weights=load_slovnet_weights() if cfg.use_slovnet else None,
            upos=list(UPOS),
        )
    else:
        from layerkit.nlp.neural.model import load_net

        net = load_net(cfg, navec, path / WEIGHTS)
    return NeuralTagger(
        net,
        space,
        np.asarray(config["allowed"], dtype=bool),
        navec=navec,
        convention=convention,
        version=str(config["version"]),
        analyze=analyze,
        threads=threads,
        processes=processes,
    )
