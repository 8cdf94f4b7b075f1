"""layerkit tag: tokenization kept byte for byte, valid CoNLL-U out, no partial files on error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED
from layerkit_ru_morph.tagging import tag_conllu, tag_text

from layerkit.errors import InputError
from layerkit.nlp.taggers import load_tagger
from layerkit.project import Project

UD = SHARED / "data" / "ud"
UDVALIDATE = Path(sys.executable).parent / "udvalidate"


@pytest.fixture(scope="module")
def rules():
    return load_tagger("ud", "rules")


def _validate(path: Path, level: int) -> None:
    result = subprocess.run(
        [str(UDVALIDATE), "--lang", "ru", "--level", str(level), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_conllu_keeps_everything_but_lemma_upos_feats(rules, tmp_path: Path) -> None:
    src = tmp_path / "in.conllu"
    src.write_text(
        "# newdoc id = d1\n# sent_id = 1\n# text = Сло\u0301во за\u0301мок, ёж и т.д.\n"
        "1\tСло\u0301во\t_\t_\tXX\t_\t0\troot\t_\t_\n"
        "2\tза\u0301мок\t_\t_\t_\t_\t1\tnmod\t_\tSpaceAfter=No\n"
        "3\t,\t_\t_\t_\t_\t1\tpunct\t_\t_\n"
        "4-5\tёж\t_\t_\t_\t_\t_\t_\t_\t_\n"
        "4\tё\t_\t_\t_\t_\t1\tdep\t_\t_\n"
        "5\tж\t_\t_\t_\t_\t4\tdep\t_\t_\n"
        "5.1\tнечто\t_\t_\t_\t_\t_\t_\t0:root\t_\n"
        "6\tи\t_\t_\t_\t_\t7\tcc\t_\t_\n"
        "7\tт.д.\t_\t_\t_\t_\t1\tconj\t_\t_\n\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.conllu"
    report = tag_conllu(src, out, rules)
    assert (report.sentences, report.tokens) == (1, 7)
    before = src.read_text(encoding="utf-8").splitlines()
    after = out.read_text(encoding="utf-8").splitlines()
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        if old.startswith("#") or not old or not old.split("\t")[0].isdigit():
            assert old == new
            continue
        o, n = old.split("\t"), new.split("\t")
        assert [o[i] for i in (0, 1, 4, 6, 7, 8, 9)] == [n[i] for i in (0, 1, 4, 6, 7, 8, 9)]
        assert n[2] != "_" and n[3] != "_"
    words = {line.split("\t")[1]: line.split("\t") for line in after if line[:1].isdigit()}
    assert words["Сло\u0301во"][2] == "слово"
    assert words[","][3] == "PUNCT"


def test_a_file_in_nfd_is_tagged_as_the_same_file_in_nfc(tmp_path: Path) -> None:
    """«ё» written «е» + U+0308 (NFD) got NFD lemmas, «Ёлка» capitalised for the lowercase word
    too; the FORM column is still written back as it was."""
    import unicodedata

    from layerkit.nlp.taggers import load_tagger

    tagger = load_tagger("ud")  # the shipped model, as `layerkit tag` uses it
    block = (
        "# text = Ёлки ёлки стоят.\n1\tЁлки\t_\t_\t_\t_\t_\t_\t_\t_\n"
        "2\tёлки\t_\t_\t_\t_\t_\t_\t_\t_\n3\tстоят\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No\n"
        "4\t.\t_\t_\t_\t_\t_\t_\t_\t_\n\n"
    )
    tagged = {}
    for form in ("NFC", "NFD"):
        src = tmp_path / f"{form}.conllu"
        src.write_text(unicodedata.normalize(form, block), encoding="utf-8")
        tag_conllu(src, tmp_path / f"{form}.out.conllu", tagger)
        lines = (tmp_path / f"{form}.out.conllu").read_text(encoding="utf-8").splitlines()
        tagged[form] = [line.split("\t") for line in lines if line[:1].isdigit()]
    assert [w[2:4] for w in tagged["NFD"]] == [w[2:4] for w in tagged["NFC"]]
    assert [w[1] for w in tagged["NFD"]] == [
        unicodedata.normalize("NFD", w[1]) for w in tagged["NFC"]
    ]
    assert all(unicodedata.is_normalized("NFC", w[2]) for w in tagged["NFD"])


def test_real_treebank_tagged_is_valid_and_aligned(rules, tmp_path: Path) -> None:
    src = UD / "ru_gsd-ud-dev.conllu"
    out = tmp_path / "gsd.conllu"
    tag_conllu(src, out, rules)
    src_lines = src.read_text(encoding="utf-8").splitlines()
    out_lines = out.read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[:2] for line in src_lines] == [
        line.split("\t")[:2] for line in out_lines
    ]
    _validate(out, 1)


def test_text_input_becomes_valid_conllu(rules, tmp_path: Path) -> None:
    project = Project.load(str(tmp_path / "lk.db"))
    src = tmp_path / "t.txt"
    src.write_text(
        "Мама мыла раму. Папа читал «Известия» — по-видимому, 5,5 %! 😀\n\n"
        + "Очень " * 5000
        + "длинное предложение.",
        encoding="utf-8",
    )
    out = tmp_path / "t.conllu"
    report = tag_text(project, src, out, rules)
    assert report.tokens > 5000
    _validate(out, 1)


def test_text_tagged_keeps_its_whitespace_as_the_exporter_writes_it(rules, tmp_path: Path) -> None:
    """A line break, a tab, two spaces and a no-break space were lost (no SpacesAfter): the
    text could not be rebuilt from the output, which ``export conllu`` of the same text says."""
    project = Project.load(str(tmp_path / "lk.db"))
    src = tmp_path / "ws.txt"
    src.write_text(
        "Первая строка\nвторая\tстрока.  Третья\u00a0фраза!\n\nНовый абзац.\n",
        encoding="utf-8",
    )
    out = tmp_path / "ws.conllu"
    tag_text(project, src, out, rules)
    tagged = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines()]
    misc = {row[1]: row[9] for row in tagged if len(row) == 10}
    assert misc == {
        "Первая": "_",
        "строка": "SpaceAfter=No",  # (the second «строка», before its period)
        "вторая": "SpacesAfter=\\t",
        ".": "_",  # the paragraph's end: a space, as in UD files
        "Третья": "SpacesAfter=\\u00A0",
        "фраза": "SpaceAfter=No",
        "!": "_",
        "Новый": "_",
        "абзац": "SpaceAfter=No",
    }
    rows = [row for row in tagged if len(row) == 10]
    assert [r[9] for r in rows if r[1] == "строка"] == ["SpacesAfter=\\n", "SpaceAfter=No"]
    assert next(r[9] for r in rows if r[1] == ".") == "SpacesAfter=\\s\\s"
    # the same MISC as the store's export of the same text
    with project.open_store(create=True) as store:
        from layerkit.ingest import import_paths

        import_paths(project, store, [src])
        exported = tmp_path / "export.conllu"
        project.export("conllu", store, exported)
    columns = [line.split("\t") for line in exported.read_text(encoding="utf-8").splitlines()]
    assert [r[9] for r in columns if len(r) == 10] == [r[9] for r in rows]
    _validate(out, 1)


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("# text = а\n1\tа\t_\t_\t_\t_\t0\troot\t_\n\n", 2),
        ("1\tа\t_\t_\t_\t_\t0\troot\t_\t_\n\nx\tб\t_\t_\t_\t_\t0\troot\t_\t_\n", 3),
        ("1\tа\t_\tNOUNISH\t_\t_\t0\troot\t_\t_\n", 1),
    ],
)
def test_malformed_conllu_names_line_and_leaves_no_output(
    rules, tmp_path: Path, content: str, line: int
) -> None:
    src = tmp_path / "bad.conllu"
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "out.conllu"
    with pytest.raises(InputError) as info:
        tag_conllu(src, out, rules)
    assert f"line {line}" in info.value.message
    assert not out.exists()
    assert list(tmp_path.glob(".out.conllu*")) == []


def test_cli_tag_exit_codes(tmp_path: Path) -> None:
    env = dict(os.environ, COLUMNS="200")
    bad = tmp_path / "bad.conllu"
    bad.write_text("1\tа\t_\t_\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "layerkit",
            "tag",
            str(bad),
            "-o",
            str(tmp_path / "o.conllu"),
            "--tagger",
            "rules",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert "bad.conllu, line 1" in result.stderr
    assert not (tmp_path / "o.conllu").exists()


def _tag_cli(src: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "layerkit",
            "tag",
            str(src),
            "-o",
            str(out),
            "--tagger",
            "rules",
            *extra,
        ],
        cwd=src.parent,
        env=dict(os.environ, COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=300,
    )


SENTENCE_WITH_KOTORYJ = (
    "# sent_id = 1\n# text = Дом, который построил Джек.\n"
    "1\tДом\t_\t_\t_\t_\t0\troot\t_\tSpaceAfter=No\n"
    "2\t,\t_\t_\t_\t_\t4\tpunct\t_\t_\n"
    "3\tкоторый\t_\t_\t_\t_\t4\tobj\t_\t_\n"
    "4\tпостроил\t_\t_\t_\t_\t1\tacl:relcl\t_\t_\n"
    "5\tДжек\t_\t_\t_\t_\t4\tnsubj\t_\tSpaceAfter=No\n"
    "6\t.\t_\t_\t_\t_\t1\tpunct\t_\t_\n\n"
)


@pytest.mark.parametrize(
    ("name", "extra", "convention", "kotoryj_upos"),
    [
        ("ru_gsd-ud-test.conllu", (), "gsd", "PRON"),
        ("mine.conllu", (), "ud", "DET"),
        ("ru_gsd-ud-test.conllu", ("--convention", "ud"), "ud", "DET"),
    ],
)
def test_cli_convention_follows_treebank_name_unless_given(
    tmp_path: Path, name: str, extra: tuple[str, ...], convention: str, kotoryj_upos: str
) -> None:
    src = tmp_path / name
    src.write_text(SENTENCE_WITH_KOTORYJ, encoding="utf-8")
    out = tmp_path / "out.conllu"
    result = _tag_cli(src, out, *extra)
    assert result.returncode == 0, result.stderr
    assert f"convention {convention}" in result.stdout
    row = out.read_text(encoding="utf-8").splitlines()[4].split("\t")
    assert (row[1], row[3]) == ("который", kotoryj_upos)


def test_cli_refuses_unknown_convention(tmp_path: Path) -> None:
    src = tmp_path / "in.conllu"
    src.write_text(SENTENCE_WITH_KOTORYJ, encoding="utf-8")
    result = _tag_cli(src, tmp_path / "out.conllu", "--convention", "syntagrus")
    assert result.returncode == 2
    assert "syntagrus" in result.stderr


def _blanked(path: Path, sentences: int, keep_xpos: bool) -> str:
    """The first sentences of a treebank with LEMMA, UPOS and FEATS emptied (and XPOS too,
    unless ``keep_xpos``)."""
    out, n = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) == 10:
            cols[2] = cols[3] = cols[5] = "_"
            if not keep_xpos:
                cols[4] = "_"
            line = "\t".join(cols)
        out.append(line)
        if not line:
            n += 1
            if n == sentences:
                break
    return "\n".join(out) + "\n"


def test_cli_convention_from_content_when_the_name_says_nothing(tmp_path: Path) -> None:
    src = tmp_path / "gsd.in.conllu"
    src.write_text(_blanked(UD / "ru_gsd-ud-dev.conllu", 60, keep_xpos=True), encoding="utf-8")
    result = _tag_cli(src, tmp_path / "out.conllu")
    assert result.returncode == 0, result.stderr
    assert "note: convention gsd: detected from the content" in result.stderr
    assert "GSD's XPOS tags" in result.stderr
    assert "convention gsd)" in result.stdout


def test_cli_says_when_the_default_convention_is_used(tmp_path: Path) -> None:
    src = tmp_path / "in.conllu"
    src.write_text(_blanked(UD / "ru_taiga-ud-dev.conllu", 60, keep_xpos=False), encoding="utf-8")
    result = _tag_cli(src, tmp_path / "out.conllu")
    assert result.returncode == 0, result.stderr
    assert "note: convention ud: the default" in result.stderr
    assert "neither the file name nor the content tells" in result.stderr


#: what `layerkit tag` must not import: the store (SQLAlchemy, SQLModel, Alembic) and the
#: annotator's UI cost start-up (about half a second) and tagging a file needs neither
NOT_ON_THE_TAG_PATH = (
    "textual",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "layerkit.store",
    "layerkit.tui",
)


@pytest.mark.parametrize("suffix", [".conllu", ".txt"])
def test_cli_tag_does_not_import_the_store_or_the_ui(tmp_path: Path, suffix: str) -> None:
    src = tmp_path / f"in{suffix}"
    if suffix == ".conllu":
        src.write_text("1\tМама\t_\t_\t_\t_\t_\t_\t_\t_\n2\tмыла\t_\t_\t_\t_\t_\t_\t_\t_\n\n")
    else:
        src.write_text("Мама мыла раму.\n", encoding="utf-8")
    out = tmp_path / "out.conllu"
    check = (
        "import sys\n"
        "from layerkit.cli import main\n"
        f"rc = main(['tag', {str(src)!r}, '-o', {str(out)!r}, '--tagger', 'rules'])\n"
        f"loaded = [m for m in {NOT_ON_THE_TAG_PATH!r} if m in sys.modules]\n"
        "print('LOADED', loaded)\n"
        "sys.exit(rc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "LOADED []" in result.stdout, result.stdout
    assert "\tмама\tNOUN\t" in out.read_text(encoding="utf-8")


def test_cli_tag_runs_the_trained_model_without_torch(tmp_path: Path) -> None:
    """The trained tagger runs on numpy: importing torch alone costs more CPU than the whole
    start-up of `layerkit tag` may (issue 18)."""
    src = tmp_path / "in.conllu"
    src.write_text(
        "1\tМама\t_\t_\t_\t_\t_\t_\t_\t_\n2\tмыла\t_\t_\t_\t_\t_\t_\t_\t_\n"
        "3\tраму\t_\t_\t_\t_\t_\t_\t_\t_\n\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.conllu"
    check = (
        "import sys\n"
        "from layerkit.cli import main\n"
        f"rc = main(['tag', {str(src)!r}, '-o', {str(out)!r}, '--tagger', 'neural'])\n"
        "print('TORCH', 'torch' in sys.modules)\n"
        "sys.exit(rc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "LAYERKIT_MORPH_RUNTIME"}
    result = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "TORCH False" in result.stdout, result.stdout
    assert "model:ru-morph@" in result.stdout
    text = out.read_text(encoding="utf-8")
    assert "\tмама\tNOUN\t" in text and "\tмыть\tVERB\t" in text


def test_cli_jobs_split_a_text_file_over_processes_with_the_same_output(tmp_path: Path) -> None:
    """``--jobs 2`` tags a text file big enough to be split (its paragraphs are tagged in
    batches, see tag_text) and writes what ``--jobs 1`` writes, but for confidences (not
    written) — the same CoNLL-U byte for byte."""
    from layerkit.nlp.neural.processes import MIN_PARALLEL_TOKENS

    texts = [
        line[len("# text = ") :]
        for line in (SHARED / "data" / "ud" / "ru_taiga-ud-dev.conllu")
        .read_text(encoding="utf-8")
        .splitlines()
        if line.startswith("# text = ")
    ]
    # paragraphs of five sentences, enough words for several tagging processes
    paragraphs = [" ".join(texts[i : i + 5]) for i in range(0, 1000, 5)]
    src = tmp_path / "essay.txt"
    src.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    assert len(src.read_text(encoding="utf-8").split()) > 2 * MIN_PARALLEL_TOKENS
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}.conllu"
        result = subprocess.run(
            [sys.executable, "-m", "layerkit", "tag", str(src), "-o", str(out), "--jobs", jobs],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    assert outputs[0].count("# newpar") == len(paragraphs)


def test_cli_jobs_must_be_positive(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("Кошка спит.\n", encoding="utf-8")
    result = _tag_cli(src, tmp_path / "o.conllu", "--jobs", "0")
    assert result.returncode == 2
    assert "--jobs" in result.stderr


class _PidRecorder:
    """The rules tagger, noting in a file which process tagged each call (a forked worker's
    calls leave their pid too)."""

    def __init__(self, inner, log: Path) -> None:
        self.inner, self.log = inner, log
        self.name, self.version = inner.name, inner.version

    def tag(self, sentences):
        with self.log.open("a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
        return self.inner.tag(sentences)


def _mixed_conllu(tmp_path: Path) -> Path:
    """Real treebank sentences, then a sentence long enough to be streamed in parts
    (STREAM_WORDS), extra blank lines, CRLF line ends, a multiword token and no final
    newline: what a file cut into parts must survive."""
    from layerkit_ru_morph.tagging import STREAM_WORDS

    gsd = (UD / "ru_gsd-ud-dev.conllu").read_text(encoding="utf-8").split("\n\n")
    long_words = "\n".join(
        f"{i}\tслово\t_\t_\t_\t_\t{max(i - 1, 0)}\tdep\t_\t_" for i in range(1, STREAM_WORDS + 300)
    )
    crlf = "\r\n".join(
        [
            "# sent_id = crlf",
            "1-2\tвчера\t_\t_\t_\t_\t_\t_\t_\t_",
            "1\tвче\t_\t_\t_\t_\t0\troot\t_\t_",
            "2\tра\t_\t_\t_\t_\t1\tdep\t_\t_",
        ]
    )
    blocks = [*gsd[:150], "# sent_id = long\n" + long_words, *gsd[150:300], crlf + "\r\n"]
    blocks += gsd[300:420]
    src = tmp_path / "mixed.conllu"
    src.write_text("\n\n\n".join(b.strip("\n") for b in blocks), encoding="utf-8")
    return src


def test_conllu_file_parts_hold_whole_blocks_and_keep_line_numbers(tmp_path: Path) -> None:
    from layerkit.conllu_format import read_lines, sentence_parts

    src = _mixed_conllu(tmp_path)
    whole = list(read_lines(src, "utf-8"))
    for parts, max_bytes in ((2, 1 << 30), (3, 1 << 30), (2, 20_000)):
        cut = sentence_parts(src, parts, max_bytes)
        assert len(cut) >= parts
        if max_bytes == 20_000:
            assert len(cut) > src.stat().st_size // 40_000  # many parts, several rounds
        # read part by part, the lines are the file's, numbered as in the file
        assert [line for part in cut for line in read_lines(src, "utf-8", part)] == whole
        for part in cut[:-1]:
            assert list(read_lines(src, "utf-8", part))[-1][1].strip() == ""  # a block's end
    two = sentence_parts(src, 2, 1 << 30)
    words = [
        sum(1 for _, line in read_lines(src, "utf-8", part) if line[:1].isdigit()) for part in two
    ]
    assert abs(words[0] - words[1]) < 0.2 * sum(words)  # balanced by words, not bytes
    # a file of one block cannot be cut
    one = tmp_path / "one.conllu"
    one.write_text("1\tа\t_\t_\t_\t_\t0\troot\t_\t_\n" * 5000, encoding="utf-8")
    assert len(sentence_parts(one, 2, 10_000)) == 1


def test_conllu_tagged_in_parts_on_processes_equals_one_process(rules, tmp_path: Path) -> None:
    """A file cut into parts, tagged here and in a forked worker, round after round, gives
    the output of one process byte for byte, with the same counts."""
    src = _mixed_conllu(tmp_path)
    one, many = tmp_path / "one.conllu", tmp_path / "many.conllu"
    log = tmp_path / "pids.log"
    report_one = tag_conllu(src, one, rules, processes=1)
    report_many = tag_conllu(src, many, _PidRecorder(rules, log), processes=2, part_bytes=20_000)
    assert one.read_bytes() == many.read_bytes()
    assert (report_many.sentences, report_many.tokens) == (report_one.sentences, report_one.tokens)
    assert report_one.tokens > 2 * 2000
    pids = set(log.read_text(encoding="utf-8").split())
    assert str(os.getpid()) in pids and len(pids) == 2  # this process and one worker


def test_conllu_error_in_a_workers_part_is_reported_as_in_one_process(
    rules, tmp_path: Path
) -> None:
    src = _mixed_conllu(tmp_path)
    text = src.read_text(encoding="utf-8")
    src.write_text(text + "\n\nx\tплохо\t_\t_\t_\t_\t0\troot\t_\t_\n", encoding="utf-8")
    bad_line = text.count("\n") + 3
    errors = []
    for processes in (1, 2):
        out = tmp_path / f"out{processes}.conllu"
        with pytest.raises(InputError) as info:
            tag_conllu(src, out, rules, processes=processes, part_bytes=20_000)
        errors.append(info.value)
        assert not out.exists()
    assert f"line {bad_line}" in errors[0].message
    assert errors[1].render() == errors[0].render()
    assert (errors[1].path, errors[1].line) == (errors[0].path, errors[0].line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.conllu"]


class _DiesInWorkers:
    """The rules tagger, but a worker process that tags is killed (as the kernel's
    out-of-memory killer would)."""

    def __init__(self, inner) -> None:
        self.inner, self.parent = inner, os.getpid()
        self.name, self.version = inner.name, inner.version

    def tag(self, sentences):
        if os.getpid() != self.parent:
            os.kill(os.getpid(), 9)
        return self.inner.tag(sentences)


def test_conllu_parts_of_a_killed_worker_are_tagged_here(rules, tmp_path: Path) -> None:
    src = _mixed_conllu(tmp_path)
    one, many = tmp_path / "one.conllu", tmp_path / "many.conllu"
    tag_conllu(src, one, rules, processes=1)
    report = tag_conllu(src, many, _DiesInWorkers(rules), processes=2, part_bytes=20_000)
    assert many.read_bytes() == one.read_bytes()
    assert report.tokens > 4000


@pytest.mark.parametrize(
    "content",
    [
        "",
        "\n\n",
        "# only = a comment\n1\tа\t_\t_\t_\t_\t0\troot\t_\t_\n",
        "1\tа\t_\t_\t_\t_\t0\troot\t_\t_",
    ],
)
def test_conllu_with_nothing_to_cut_is_tagged_here(rules, tmp_path: Path, content: str) -> None:
    """An empty file, or one of a single block, asked to use two processes: tagged here, as
    one process tags it."""
    src = tmp_path / "small.conllu"
    src.write_text(content, encoding="utf-8")
    outputs = []
    for processes in (1, 2):
        out = tmp_path / f"out{processes}.conllu"
        report = tag_conllu(src, out, rules, processes=processes, part_bytes=1)
        outputs.append((out.read_bytes(), report.sentences, report.tokens))
    assert outputs[0] == outputs[1]


def test_a_text_that_does_not_spell_its_forms_is_refused_as_import_refuses_it(
    rules, tmp_path: Path
) -> None:
    """`layerkit tag` kept a `# text` that was not its words' (a file `layerkit import`
    refuses), and the tagged file carried it on; a multiword token's own form is what the
    text spells, and spacing may differ."""
    good = (
        "# sent_id = 1\n# text = Мама  мыла раму.\n"
        "1\tМама\t_\t_\t_\t_\t0\troot\t_\t_\n2\tмыла\t_\t_\t_\t_\t1\tdep\t_\t_\n"
        "3\tраму\t_\t_\t_\t_\t1\tdep\t_\tSpaceAfter=No\n4\t.\t_\t_\t_\t_\t1\tpunct\t_\t_\n\n"
        "# sent_id = 2\n# text = Ато.\n1-2\tАто\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No\n"
        "1\tА\t_\t_\t_\t_\t0\troot\t_\t_\n2\tто\t_\t_\t_\t_\t1\tdep\t_\t_\n"
        "3\t.\t_\t_\t_\t_\t1\tpunct\t_\t_\n\n"
    )
    src = tmp_path / "good.conllu"
    src.write_text(good, encoding="utf-8")
    tag_conllu(src, tmp_path / "good.out.conllu", rules)
    assert (tmp_path / "good.out.conllu").exists()
    bad = tmp_path / "mismatch.conllu"
    bad.write_text(good.replace("# text = Ато.", "# text = Совсем другое."), encoding="utf-8")
    out = tmp_path / "out.conllu"
    with pytest.raises(InputError) as info:
        tag_conllu(bad, out, rules)
    assert "'# text' does not match the tokens" in info.value.message
    assert "line 9" in info.value.message  # the second sentence's `# text`
    assert not out.exists()


@pytest.mark.parametrize(
    ("ids", "said"),
    [
        (["1", "3", "2", "4"], "word ID 3 out of order: expected 2"),
        (["1", "1", "2", "3"], "word ID 1 out of order: expected 2"),
        (["1", "3-4", "2", "3"], "range 3-4 does not cover the next words"),
        (["1-2", "1-2", "1", "2"], "range 1-2 starts inside another multiword token"),
        (["1", "2-4", "2", "3"], "range 2-4 runs past the last word of the sentence (3)"),
    ],
)
def test_tag_refuses_word_ids_import_refuses(tmp_path: Path, ids: list[str], said: str) -> None:
    """IDs 1, 3, 2, 4 (or one word ID twice) went through `tag` into its output, which the UD
    validator then refused (word-id-sequence); `import` refused the same file."""
    forms = ["Мама", "мыла", "раму", "."]
    lines = ["# text = Мама мыла раму."]
    lines += [f"{i}\t{f}" + "\t_" * 8 for i, f in zip(ids, forms, strict=True)]
    src = tmp_path / "ids.conllu"
    src.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    out = tmp_path / "out.conllu"
    result = _tag_cli(src, out)
    assert result.returncode == 2, result.stderr
    assert said in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_tag_into_a_folder_it_cannot_write_says_so(tmp_path: Path) -> None:
    """It said "Database is read-only ... SQLite writes its -wal and -shm files": `tag` has no
    database. (/sys takes no new files, for root too.)"""
    src = tmp_path / "a.txt"
    src.write_text("Мама мыла раму.\n", encoding="utf-8")
    result = _tag_cli(src, Path("/sys/out.conllu"))
    assert result.returncode == 2, result.stderr
    assert "cannot write /sys/out.conllu" in result.stderr
    assert "Database" not in result.stderr and "Traceback" not in result.stderr


def test_tag_to_standard_output(tmp_path: Path) -> None:
    """`-o -` made a file named "-" (export -o - writes to standard output; so does tag)."""
    src = tmp_path / "a.txt"
    src.write_text("Мама мыла раму.\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "layerkit", "tag", str(src), "-o", "-", "--tagger", "rules"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "# text = Мама мыла раму." in result.stdout and "\tмама\t" in result.stdout.lower()
    assert "Wrote" in result.stderr and not (tmp_path / "-").exists()


def test_a_cp1251_treebank_is_read_in_its_code_page_by_tag_and_import(tmp_path: Path) -> None:
    """It was refused ("line 1 is not valid utf-8") although the README says the importers
    detect cp1251, and ``tag --encoding cp1251`` ignored the option for a .conllu file."""
    blocks = (UD / "ru_taiga-ud-dev.conllu").read_text(encoding="utf-8").split("\n\n")
    fit = [
        b for b in blocks[:80] if b.strip() and b.encode("cp1251", "ignore").decode("cp1251") == b
    ]
    text = "\n\n".join(fit[:40]) + "\n\n"  # (sentences with emoji: not in cp1251)
    utf8, cp1251 = tmp_path / "u.conllu", tmp_path / "c.conllu"
    utf8.write_text(text, encoding="utf-8")
    cp1251.write_bytes(text.encode("cp1251"))
    outputs = []
    for src, more in ((utf8, []), (cp1251, []), (cp1251, ["--encoding", "cp1251"])):
        out = tmp_path / f"out{len(outputs)}.conllu"
        done = _tag_cli(src, out, *more)
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1] == outputs[2]
    assert "read as cp1251 (detected)" in _tag_cli(cp1251, tmp_path / "x.conllu").stderr
    project = Project.load(str(tmp_path / "lk.db"))
    with project.open_store(create=True) as store:
        from layerkit.ingest import import_paths

        report = import_paths(project, store, [cp1251])
    assert report.files[0].encodings == {"cp1251"} and report.files[0].documents_added == 1
