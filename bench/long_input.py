"""Time and peak memory of import and tag on input of unusual size.

    python bench/long_input.py [--mb 5] [--tagger auto|neural|rules]

Makes, in a temporary folder, a plain-text file that is one paragraph of ``--mb`` MB on one
line (UD dev sentences of ../shared/data/ud, joined by spaces) and a CoNLL-U file whose one
sentence has as many megabytes of words (LEMMA, UPOS, FEATS empty); then runs, each in a process
of its own, ``layerkit import`` of the text, ``layerkit tag`` of the text and ``layerkit tag``
of the CoNLL-U file, and prints wall time and peak RSS of each, beside the same for a small
file of the same kind (what the process costs anyway: Python, spaCy, torch, the model).

The tests (tests/test_long_input.py) run the same cases with the rule-based tagger; this
bench is for the trained one, which takes minutes on 5 MB.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

UD = Path(__file__).resolve().parents[2] / "shared" / "data" / "ud"
_CHILD = (
    "import resource, sys\n"
    "from layerkit.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(rc)\n"
)


def _dev_lines() -> list[list[str]]:
    return [
        path.read_text(encoding="utf-8").splitlines() for path in sorted(UD.glob("*-dev.conllu"))
    ]


def one_line_text(size: int) -> str:
    sentences = [
        line[len("# text = ") :].strip()
        for lines in _dev_lines()
        for line in lines
        if line.startswith("# text = ")
    ]
    out: list[str] = []
    total = 0
    while total < size:
        out.append(sentences[len(out) % len(sentences)])
        total += len(out[-1].encode("utf-8")) + 1
    return " ".join(out) + "\n"


def giant_sentence(size: int) -> str:
    forms = [
        cols[1]
        for lines in _dev_lines()
        for cols in (line.split("\t") for line in lines)
        if len(cols) == 10 and cols[0].isdigit()
    ]
    out = ["# sent_id = 1"]
    total = 0
    while total < size:
        out.append(f"{len(out)}\t{forms[len(out) % len(forms)]}\t_\t_\t_\t_\t_\t_\t_\t_")
        total += len(out[-1].encode("utf-8")) + 1
    return "\n".join(out) + "\n\n"


def run(args: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and the last line of stdout of one layerkit command."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], cwd=cwd, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"layerkit {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    peak = next(
        int(line.split()[1]) / 1024
        for line in result.stderr.splitlines()
        if line.startswith("PEAK_RSS_KB")
    )
    lines = result.stdout.strip().splitlines()
    return seconds, peak, lines[-1] if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=5.0, help="size of the big inputs (MB)")
    parser.add_argument("--tagger", default="auto", choices=["auto", "neural", "rules"])
    args = parser.parse_args()
    size = int(args.mb * 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = {
            "txt": (root / "big.txt", root / "small.txt"),
            "conllu": (root / "big.conllu", root / "small.conllu"),
        }
        files["txt"][0].write_text(one_line_text(size), encoding="utf-8")
        files["txt"][1].write_text(one_line_text(20_000), encoding="utf-8")
        files["conllu"][0].write_text(giant_sentence(size), encoding="utf-8")
        files["conllu"][1].write_text(giant_sentence(20_000), encoding="utf-8")
        tag = ["tag", "--tagger", args.tagger, "--convention", "ud", "-o"]
        cases = [
            ("import, one-line .txt", "txt", ["import"]),
            (f"tag ({args.tagger}), one-line .txt", "txt", tag),
            (f"tag ({args.tagger}), one-sentence .conllu", "conllu", tag),
        ]
        print(f"{'case':40} {'size':>9} {'wall s':>8} {'peak MB':>8}  output")
        for name, kind, command in cases:
            for label, path in zip(("big", "small"), files[kind], strict=True):
                db = root / f"{label}-{kind}-{len(command)}.db"
                argv = ["--db", str(db), *command]
                if command[0] == "tag":
                    argv.append(str(root / f"{label}.out.conllu"))
                argv.append(str(path))
                seconds, peak, last = run(argv, root)
                mb = path.stat().st_size / 1_000_000
                print(f"{name:40} {mb:7.2f}MB {seconds:8.1f} {peak:8.0f}  {last[:60]}", flush=True)


if __name__ == "__main__":
    main()
