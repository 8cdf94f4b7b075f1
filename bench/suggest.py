"""Suggestions from a training run: batched generation against a one-paragraph-at-a-time loop.

    python bench/suggest.py                       # builds a tiny run on the sample corpus first
    python bench/suggest.py --run RUN --layer semantic --paragraphs 64 --batch-size 16

Both sides ask the same model the same questions (the prompts ``layerkit preannotate
--checkpoint`` builds, for the store's paragraphs, cycled up to ``--paragraphs``) with the same
greedy settings: the naive side calls ``model.generate`` on one prompt at a time, as a first
script would; the batched side is what ``layerkit preannotate`` runs (left-padded batches, one
forward pass per step for the whole batch, a KV cache, token probabilities kept for the
confidence), once without and once with each paragraph's answer grammar (constrained
decoding, as ``preannotate`` runs by default). Each reports paragraphs/s and generated
tokens/s; the last line is ``speedup=<batched constrained/naive paragraphs per second>
batch=<B> device=<device>``. A constrained answer ends when its grammar is complete, so it may
generate fewer tokens than the others.
Goal (issue 17): at least 4x at batch 16 on CPU. Name the card beside a GPU figure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _layerkit(db: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", str(db), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )


def build_run(work: Path) -> tuple[Path, Path]:
    """The README's tiny demo: sample corpus, its curriculum, a few training steps."""
    db = work / "sample.db"
    _layerkit(db, "init")
    _layerkit(db, "import", str(REPO / "sample_corpus"))
    _layerkit(db, "preannotate")
    _layerkit(db, "export", "sft", "-o", str(work / "cur"), "--stages", "lexical,semantic")
    subprocess.run(
        [sys.executable, "-m", "layerkit", "train", str(work / "cur"), "-o", str(work / "run"),
         "--base-model", "tiny", "--max-steps", "2", "--eval-generate", "0",
         "--max-seq-length", "4096"],
        check=True, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    return db, work / "run"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, help="A training run (default: build a tiny one).")
    parser.add_argument("--db", type=Path, help="The store whose paragraphs are asked about.")
    parser.add_argument("--layer", default="semantic")
    parser.add_argument("--paragraphs", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.run is None:
            print("building a tiny run on the sample corpus ...", flush=True)
            db, run = build_run(Path(tmp))
        else:
            run, db = args.run, args.db
            if db is None:
                parser.error("--run needs --db (the store to take paragraphs from)")
        measure(db, run, args)


def measure(db: Path, run: Path, args: argparse.Namespace) -> None:
    import torch
    from layerkit_train.suggesting import RunSuggester, build_messages

    from layerkit.curriculum.build import collect_tasks
    from layerkit.project import Project
    from layerkit.train.encoding import ChatEncoder
    from layerkit.train.inference import generate_scored
    from layerkit.train.modeling import pad_id

    project = Project.load(str(db))
    _, tasks = collect_tasks(project.pm, project.schemas)
    suggester = RunSuggester(run, args.layer, project.schemas, tasks)
    suggester.load()
    trained = suggester._trained
    below = project.schemas.order[: project.schemas.order.index(args.layer)]
    with project.open_store() as store:
        ids = [p.id for p in store.iter_paragraphs() if p.id is not None]
        paragraphs = store.read_paragraphs(ids, layers=below)
    encoder = ChatEncoder(trained.tokenizer, 1 << 30, trained.stop_ids)
    assert suggester._wording is not None
    prompts = [encoder.prompt_ids(build_messages(p, suggester._wording, tasks)) for p in paragraphs]
    prompts = [prompts[i % len(prompts)] for i in range(args.paragraphs)]
    device = str(trained.runtime.device)
    card = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    print(
        f"run={run} stage={suggester.stage} paragraphs={len(prompts)} "
        f"prompt tokens mean={sum(map(len, prompts)) / len(prompts):.0f} "
        f"max_new_tokens={args.max_new_tokens} device={device} ({card}) "
        f"threads={torch.get_num_threads()}",
        flush=True,
    )
    stop, pad = sorted(trained.stop_ids), pad_id(trained.tokenizer)

    def naive() -> int:
        tokens = 0
        for prompt in prompts:
            ids = torch.tensor([prompt], device=trained.runtime.device)
            with torch.no_grad(), trained.runtime.autocast():
                out = trained.model.generate(
                    input_ids=ids, attention_mask=torch.ones_like(ids),
                    max_new_tokens=args.max_new_tokens, do_sample=False, eos_token_id=stop,
                    pad_token_id=pad,
                )  # fmt: skip
            tokens += out.shape[1] - ids.shape[1]
        return tokens

    def batched() -> int:
        tokens = 0
        for start in range(0, len(prompts), args.batch_size):
            chunk = prompts[start : start + args.batch_size]
            for ids, _, _ in generate_scored(
                trained.model, chunk, args.max_new_tokens, trained.stop_ids, pad,
                trained.runtime,
            ):  # fmt: skip
                tokens += len(ids)
        return tokens

    task = tasks[args.layer]
    cycled = [paragraphs[i % len(paragraphs)] for i in range(args.paragraphs)]

    def constrained() -> int:
        tokens = 0
        for start in range(0, len(prompts), args.batch_size):
            chunk = prompts[start : start + args.batch_size]
            grammar = suggester._constraint(task, cycled[start : start + args.batch_size])
            for ids, _, _ in generate_scored(
                trained.model, chunk, args.max_new_tokens, trained.stop_ids, pad,
                trained.runtime, grammar,
            ):  # fmt: skip
                tokens += len(ids)
        return tokens

    batched_run = naive_run = None
    naive()  # warm-up: first calls allocate and compile kernels
    for name, fn in (("naive", naive), ("batched", batched), ("constrained", constrained)):
        started = time.perf_counter()
        tokens = fn()
        seconds = time.perf_counter() - started
        rate = len(prompts) / seconds
        print(
            f"{name:8s} {seconds:7.2f} s  {rate:7.2f} paragraphs/s  {tokens / seconds:8.1f} "
            f"tokens/s ({tokens} tokens)",
            flush=True,
        )
        if name == "naive":
            naive_run = rate
        elif name == "constrained":
            batched_run = rate
    assert naive_run and batched_run
    print(
        f"speedup={batched_run / naive_run:.2f} (batched constrained / naive) "
        f"batch={args.batch_size} device={device} ({card})"
    )


if __name__ == "__main__":
    main()
