"""Lexical layer: the trained NeuralTagger against pymorphy3's first reading and the RuleTagger.

Prints

1. accuracy (UPOS, lemma, UFeats = whole FEATS string, AllTags = UPOS and FEATS) per gold file
   under 3-fold cross-validation. Each file is cut into three contiguous thirds (neighbouring
   sentences share documents, so contiguous blocks keep one document out of both sides); fold k
   trains on everything but the k-th third of every file (the other files included, each with
   its own convention) and tests on the k-th thirds. Summed over the folds, every token of every
   file is tested once, by a model that never saw it. Leave-one-file-out is not used: each file
   is the only source of its convention, so a held-out file would test an untrained convention.
   The naive baseline (bench/lexical_rules.py: pymorphy3's first parse through a minimal table)
   and the RuleTagger need no training and are scored on the same tokens, converted to the
   file's convention as bench/lexical_rules.py does.
2. throughput on the same text (all gold sentences, pre-tokenized) of the shipped NeuralTagger,
   of spacy.blank("ru") + the pymorphy3 lemmatizer, and of natasha (slovnet's news morphology
   tagger + natasha's pymorphy2 lemmatizer, the peer with full lemma/UPOS/FEATS), with the
   ratios; cold (analyzer caches empty) and warm (second pass), each in a fresh process, and
   each process's whole CPU time (start-up included). Here the NeuralTagger runs in one
   process with one BLAS thread; natasha as it comes (numpy's BLAS with its own threads).
3. whole processes, as users run them: ``layerkit tag`` on one CoNLL-U file of all the gold
   sentences (LEMMA, UPOS and FEATS blanked; ``--convention ud``, as the file mixes three
   treebanks), once as it comes (one process per free core)
   and once with ``--jobs 1``, and ``layerkit preannotate`` on a store holding the same
   sentences (imported before, untimed; a fresh copy per run: it reads, tags and stores
   55.6k token annotations), against a natasha script that reads the same file, tags and
   lemmatizes every token and exits: wall time, CPU of the whole process tree, and the ratios.
   Run it while something else keeps a core busy (e.g. ``python -c "while 1: pass" &``) for
   the busy-machine figures.
4. peak memory (max RSS) of those tagging processes and of the training here.

Run: ``.venv/bin/python bench/lexical.py`` (full: 3 folds x 30 epochs, about an hour on two
cores) or ``--quick`` (fold 0 only, 8 epochs, a few minutes). ``--curve`` prints only the
learning curve: fold 0 trained on half of its training sentences (every other one) and on all,
scored on the same tokens, with what one doubling of the gold data is worth (about 9 minutes).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ud"
METRICS = ("upos", "lemma", "feats", "alltags")


def folds_of(n: int, k: int, folds: int = 3) -> tuple[int, int]:
    return n * k // folds, n * (k + 1) // folds


def count(
    gold: Sequence[tuple[str, str, str]], pred: Sequence[tuple[str, str, str]]
) -> dict[str, int]:
    c = dict.fromkeys(("n", *METRICS), 0)
    for (gl, gu, gf), (pl, pu, pf) in zip(gold, pred, strict=True):
        c["n"] += 1
        c["upos"] += gu == pu
        c["lemma"] += gl == pl
        c["feats"] += gf == pf
        c["alltags"] += gu == pu and gf == pf
    return c


def add(total: dict[str, int], c: dict[str, int]) -> None:
    for key, value in c.items():
        total[key] = total.get(key, 0) + value


def cross_validate(
    folds: Sequence[int],
    epochs: int,
    seed: int,
    every: int = 1,
    baselines: bool = True,
    train_without: Sequence[str] = (),
    model: dict[str, Any] | None = None,
) -> dict[str, dict[str, dict[str, int]]]:
    """Scores per file and system; ``every``: train on every n-th training sentence only
    (the learning curve), ``baselines``: score the untrained baselines too, ``train_without``:
    files (by name) scored but never trained on (what adding a file to the training buys),
    ``model``: ``ModelConfig`` fields to override (a smaller network, say)."""
    from lexical_rules import naive_system, rules_system

    from layerkit.nlp.conventions import convert, treebank_convention
    from layerkit.nlp.neural.features import read_conllu
    from layerkit.nlp.neural.training import TrainConfig, fit, tagger_from

    files = sorted(DATA.glob("*.conllu"))
    if not files:
        raise SystemExit(f"no .conllu files in {DATA}")
    data = {f: read_conllu(str(f), treebank_convention(f)) for f in files}
    results: dict[str, dict[str, dict[str, int]]] = {}
    for k in folds:
        train_sents = []
        test = {}
        for f, sents in data.items():
            lo, hi = folds_of(len(sents), k)
            test[f] = sents[lo:hi]
            if f.name not in train_without:
                train_sents += (sents[:lo] + sents[hi:])[::every]
        t0 = time.time()
        net, space, allowed = fit(
            train_sents, TrainConfig(epochs=epochs, seed=seed, model=dict(model or {}))
        )
        print(
            f"  fold {k}: trained on {sum(len(s.tokens) for s in train_sents)} tokens in "
            f"{time.time() - t0:.0f}s",
            file=sys.stderr,
            flush=True,
        )
        for f, sents in test.items():
            conv = treebank_convention(f)
            words = [s.forms for s in sents]
            gold = [(t.lemma, t.upos, t.feats) for s in sents for t in s.tokens]
            forms = [w for s in words for w in s]
            per = results.setdefault(f.name, {})
            tagger = tagger_from(net, space, allowed, conv)
            neural = [(a.lemma, a.upos, a.feats) for s in tagger.tag(words) for a in s]
            add(per.setdefault("neural", {}), count(gold, neural))
            if not baselines:
                continue
            for name, system in (("naive", naive_system), ("rules", rules_system)):
                tags = [t for s in system(words) for t in s]
                converted = [convert(*t, form, conv) for t, form in zip(tags, forms, strict=True)]
                add(per.setdefault(name, {}), count(gold, converted))
    return results


GOALS = {"upos": 97.0, "lemma": 97.5}


def learning_curve(epochs: int, seed: int) -> None:
    """Fold 0 trained on half of its training sentences (every other one, so the same genres)
    and on all of them, tested on the same tokens: what doubling the gold data is worth, and
    how many doublings the goals would take at that rate."""
    print(f"learning curve: fold 0, {epochs} epochs, seed {seed}")
    print(f"{'training sentences':<28} {'tokens':>7} {'UPOS':>7} {'lemma':>7} {'UFeats':>7}")
    from layerkit.nlp.conventions import treebank_convention
    from layerkit.nlp.neural.features import read_conllu

    data = [read_conllu(str(f), treebank_convention(f)) for f in sorted(DATA.glob("*.conllu"))]
    scores = []
    for every in (2, 1):
        tokens = 0
        for sents in data:
            lo, hi = folds_of(len(sents), 0)
            tokens += sum(len(s.tokens) for s in (sents[:lo] + sents[hi:])[::every])
        totals: dict[str, int] = {}
        for systems in cross_validate([0], epochs, seed, every, baselines=False).values():
            add(totals, systems["neural"])
        scores.append({m: 100 * totals[m] / totals["n"] for m in ("upos", "lemma", "feats")})
        name = "every other one" if every == 2 else "all"
        print(
            f"{name:<28} {tokens:>7} "
            + " ".join(f"{scores[-1][m]:7.2f}" for m in ("upos", "lemma", "feats")),
            flush=True,
        )
    for metric, goal in GOALS.items():
        gain = scores[1][metric] - scores[0][metric]
        need = (goal - scores[1][metric]) / gain if gain > 0 else float("inf")
        print(
            f"{metric}: +{gain:.2f} points per doubling of the gold data; the goal of {goal} "
            f"would take {need:.1f} more doublings ({2**need:.0f}x the data) at that rate"
        )


def print_table(results: dict[str, dict[str, dict[str, int]]]) -> None:
    print(
        f"{'file':<30} {'system':<8} {'tokens':>7} {'UPOS':>7} {'lemma':>7} {'UFeats':>7} {'AllTags':>7}"
    )
    totals: dict[str, dict[str, int]] = {}
    for fname, systems in results.items():
        for name in ("naive", "rules", "neural"):
            c = systems[name]
            add(totals.setdefault(name, {}), c)
            print(
                f"{fname:<30} {name:<8} {c['n']:7d} "
                + " ".join(f"{100 * c[m] / c['n']:7.2f}" for m in METRICS)
            )
    for name, c in totals.items():
        print(
            f"{'all files':<30} {name:<8} {c['n']:7d} "
            + " ".join(f"{100 * c[m] / c['n']:7.2f}" for m in METRICS)
        )


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not ru_maxrss: Linux carries that across exec, so
    a child started by a big parent would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def natasha_morph_vocab() -> Any:
    """natasha's lemmatizer (pymorphy2). pymorphy2 finds its dictionary through
    ``pkg_resources``, which setuptools 81 and later no longer ship: then it is pointed at the
    installed ``pymorphy2_dicts_ru`` directly (the same dictionary it would have found)."""
    import importlib.util

    from natasha import MorphVocab

    if importlib.util.find_spec("pkg_resources") is None:
        import pymorphy2.analyzer
        import pymorphy2_dicts_ru

        pymorphy2.analyzer.lang_dict_path = lambda lang: pymorphy2_dicts_ru.get_path()
    return MorphVocab()


def speed_child(system: str) -> None:
    """Runs in a fresh process: tags every gold sentence twice, prints JSON timings."""
    from layerkit.nlp.neural.features import read_conllu

    words = [s.forms for f in sorted(DATA.glob("*.conllu")) for s in read_conllu(str(f), "ud")]
    n = sum(len(s) for s in words)
    t0 = time.perf_counter()
    if system == "neural":
        from layerkit.nlp.neural import load_neural_tagger

        # one process: these figures are per process (the whole-process runs fork)
        tagger = load_neural_tagger(processes=1)
        tagger.tag([["Прогрев", "."]])
        load_s = time.perf_counter() - t0
        from layerkit.nlp.analyzer import clear_cache

        clear_cache()
        tagger.clear_caches()

        def run() -> None:
            tagger.tag(words)

    elif system == "natasha":
        from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger

        morph_tagger = NewsMorphTagger(NewsEmbedding())
        morph_vocab = natasha_morph_vocab()
        load_s = time.perf_counter() - t0

        def run() -> None:
            # what natasha's Doc.tag_morph + DocToken.lemmatize do, on the given tokens
            MorphVocab.parse.cache_clear()
            for markup in morph_tagger.map(words):
                for token in markup.tokens:
                    morph_vocab.lemmatize(token.text, token.pos, token.feats)

    else:
        import spacy
        from spacy.tokens import Doc

        nlp = spacy.blank("ru")
        nlp.add_pipe("lemmatizer", config={"mode": "pymorphy3"})
        nlp.initialize()
        load_s = time.perf_counter() - t0

        def run() -> None:
            for s in words:
                doc = Doc(nlp.vocab, words=s)
                for _, proc in nlp.pipeline:
                    doc = proc(doc)

    times = []
    for _ in range(2):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "tokens": n,
                "load_s": load_s,
                "cold_s": times[0],
                "warm_s": times[1],
                "max_rss_mb": peak_rss_mb(),
                "cpu_s": usage.ru_utime + usage.ru_stime,
            }
        )
    )


SYSTEMS = {
    "neural": "NeuralTagger (shipped)",
    "spacy": 'spacy.blank("ru") + pymorphy3 lemmatizer',
    "natasha": "natasha: slovnet morph + lemmatizer",
}


def speed() -> None:
    out = {}
    for system in SYSTEMS:
        proc = subprocess.run(
            [sys.executable, __file__, "--speed-child", system],
            capture_output=True,
            text=True,
            check=True,
        )
        out[system] = json.loads(proc.stdout.strip().splitlines()[-1])
    n = out["neural"]["tokens"]
    print(f"\nthroughput on {n} pre-tokenized tokens (all gold sentences), fresh processes")
    print(
        f"{'system':<44} {'cold tok/s':>10} {'warm tok/s':>10} {'load s':>7} "
        f"{'process CPU s':>13} {'max RSS MB':>10}"
    )
    for system, r in out.items():
        print(
            f"{SYSTEMS[system]:<44} {n / r['cold_s']:10.0f} {n / r['warm_s']:10.0f} "
            f"{r['load_s']:7.2f} {r['cpu_s']:13.2f} {r['max_rss_mb']:10.0f}"
        )
    for key in ("cold_s", "warm_s"):
        ratio = out["spacy"][key] / out["neural"][key]
        print(f"ratio NeuralTagger / spaCy ({key[:-2]}): {ratio:.2f}x")
    # > 1: the NeuralTagger is faster than natasha
    for key in ("cold_s", "warm_s", "cpu_s"):
        ratio = out["natasha"][key] / out["neural"][key]
        what = "whole process CPU" if key == "cpu_s" else key[:-2]
        print(f"ratio NeuralTagger / natasha speed ({what}): {ratio:.2f}x")


def blanked_gold_file(dst: Path) -> int:
    """All gold sentences in one CoNLL-U file with LEMMA, UPOS, XPOS and FEATS blanked (what a
    user tags); returns its token count."""
    n = 0
    with dst.open("w", encoding="utf-8") as out:
        for f in sorted(DATA.glob("*.conllu")):
            for line in f.read_text(encoding="utf-8").splitlines():
                cols = line.split("\t")
                if len(cols) == 10:
                    if cols[0].isdigit():
                        n += 1
                    cols[2:6] = ["_", "_", "_", "_"]
                    line = "\t".join(cols)
                out.write(line + "\n")
    return n


def natasha_tag_file(src: str) -> None:
    """A whole natasha run on a CoNLL-U file: load, tag and lemmatize every word, write the
    three columns (to /dev/null: layerkit's writing is cheap next to its tagging)."""
    import conllu
    from natasha import NewsEmbedding, NewsMorphTagger

    morph_tagger = NewsMorphTagger(NewsEmbedding())
    morph_vocab = natasha_morph_vocab()
    with open(src, encoding="utf-8") as fh, open("/dev/null", "w", encoding="utf-8") as out:
        sents = [[t["form"] for t in s if isinstance(t["id"], int)] for s in conllu.parse_incr(fh)]
        for markup in morph_tagger.map(sents):
            for token in markup.tokens:
                lemma = morph_vocab.lemmatize(token.text, token.pos, token.feats)
                out.write(f"{token.text}\t{lemma}\t{token.pos}\t{token.feats}\n")


def _timed_child(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (the whole process tree) of running ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def whole_processes(repeats: int = 2) -> None:
    import tempfile

    layerkit = str(Path(sys.executable).with_name("layerkit"))
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "gold-blanked.conllu"
        n = blanked_gold_file(src)
        runs = {
            "layerkit tag (default jobs)": [
                *[layerkit, "tag", str(src), "-o", f"{tmp}/a.conllu"],
                *["--convention", "ud"],
            ],
            "layerkit tag --jobs 1": [
                *[layerkit, "tag", str(src), "-o", f"{tmp}/b.conllu"],
                *["--convention", "ud", "--jobs", "1"],
            ],
            "natasha script": [sys.executable, __file__, "--natasha-tag", str(src)],
        }
        # ``layerkit preannotate`` on the same words: a store holding the file's sentences
        # (imported once, untimed), copied fresh for each run, which fills its lexical layer
        # (reading, tagging and storing 55k token annotations)
        store = Path(tmp) / "imported.db"
        subprocess.run([layerkit, "--db", str(store), "init"], check=True, capture_output=True)
        subprocess.run(
            [layerkit, "--db", str(store), "import", str(src)], check=True, capture_output=True
        )
        fresh = Path(tmp) / "preannotate.db"
        runs["layerkit preannotate (a store)"] = [layerkit, "--db", str(fresh), "preannotate"]
        best: dict[str, tuple[float, float]] = {}
        # interleaved, best of ``repeats``: the machine's noise hits every system alike
        for _ in range(repeats):
            for name, cmd in runs.items():
                shutil.copyfile(store, fresh)
                wall, cpu = _timed_child(cmd)
                if name not in best or wall < best[name][0]:
                    best[name] = (wall, cpu)
    print(f"\nwhole processes on one CoNLL-U file of {n} tokens (best of {repeats}, interleaved)")
    print(f"{'run':<30} {'wall s':>7} {'CPU s':>7} {'tok/s':>7}")
    for name, (wall, cpu) in best.items():
        print(f"{name:<30} {wall:7.2f} {cpu:7.2f} {n / wall:7.0f}")
    nat = best["natasha script"][0]
    for name in [n for n in best if n.startswith("layerkit")]:
        print(f"ratio natasha wall / {name} wall: {nat / best[name][0]:.2f}x (>1: layerkit faster)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fold 0 only, 8 epochs")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-cv", action="store_true", help="throughput and memory only")
    ap.add_argument("--no-speed", action="store_true", help="cross-validation only")
    ap.add_argument(
        "--train-without",
        action="append",
        default=[],
        metavar="FILE",
        help="a .conllu file name scored but left out of every fold's training (repeatable)",
    )
    ap.add_argument(
        "--curve", action="store_true", help="learning curve only (fold 0 at half and all data)"
    )
    ap.add_argument("--whole", action="store_true", help="only the whole-process runs (section 3)")
    ap.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="whole-process runs of each system, interleaved; the best counts (default 2: "
        "more on a noisy machine)",
    )
    ap.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a network size to try in the cross-validation, e.g. hidden=128 or layers=1 "
        "(ModelConfig fields; repeatable)",
    )
    ap.add_argument("--speed-child", choices=tuple(SYSTEMS), help=argparse.SUPPRESS)
    ap.add_argument("--natasha-tag", metavar="FILE", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.speed_child:
        speed_child(args.speed_child)
        return
    if args.natasha_tag:
        natasha_tag_file(args.natasha_tag)
        return
    if args.whole:
        whole_processes(args.repeats)
        return
    folds = [0] if args.quick else [0, 1, 2]
    epochs = args.epochs or (8 if args.quick else 30)
    if args.curve:
        learning_curve(epochs, args.seed)
        return
    if not args.no_cv:
        print(
            f"3-fold cross-validation by contiguous thirds of each file; folds {folds}, "
            f"{epochs} epochs, seed {args.seed}"
            + (" (quick: only fold 0, so each file's first third)" if args.quick else "")
        )
        t0 = time.time()
        if args.train_without:
            print(f"left out of training (scored only): {', '.join(args.train_without)}")
        model = {k: json.loads(v) for k, _, v in (m.partition("=") for m in args.model)}
        if model:
            print(f"network changed: {model}")
        results = cross_validate(
            folds, epochs, args.seed, train_without=args.train_without, model=model
        )
        print_table(results)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"cross-validation took {time.time() - t0:.0f}s; peak RSS of training {rss:.0f} MB")
    if not args.no_speed:
        speed()
        whole_processes(args.repeats)


if __name__ == "__main__":
    main()
