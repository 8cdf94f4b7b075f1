"""Plugin manager: built-ins load through entry points; broken plugins are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from layerkit.errors import PluginError
from layerkit.plugins import call_hook, collect, describe_plugins, get_plugin_manager


def test_builtins_come_from_entry_points() -> None:
    pm = get_plugin_manager()
    infos = {i.name: i for i in describe_plugins(pm)}
    assert {"layers", "text", "jsonl", "conllu"} <= set(infos)
    assert all(infos[n].builtin for n in ("layers", "text", "jsonl", "conllu"))
    assert "register_importers" in infos["conllu"].hooks
    assert {"register_importers", "register_exporters"} <= set(infos["jsonl"].hooks)
    importers = {item.name for _, item in collect(pm, "register_importers")}
    assert {"text", "jsonl", "conllu"} <= importers


def test_fresh_manager_each_time() -> None:
    assert get_plugin_manager() is not get_plugin_manager()


def _plugin(tmp_path: Path, body: str, name: str = "myplugin.py") -> Path:
    path = tmp_path / name
    path.write_text("from layerkit.hookspecs import hookimpl\n" + body, encoding="utf-8")
    return path


def test_local_plugin_registers_layer(tmp_path: Path) -> None:
    schema = tmp_path / "meta.toml"
    schema.write_text(
        'layer = "metacognitive"\nversion = "1.0"\norder = 6\ntitle = "M"\n'
        'description = "d"\n[[fields]]\nname = "note"\nkind = "text"\n',
        encoding="utf-8",
    )
    path = _plugin(
        tmp_path,
        f"@hookimpl\ndef register_layers(register):\n    register(__import__('pathlib').Path({str(schema)!r}))\n",
    )
    pm = get_plugin_manager([path])
    registered = [p for _, p in collect(pm, "register_layers")]
    assert schema in registered


def test_misspelled_hook_is_caught(tmp_path: Path) -> None:
    path = _plugin(tmp_path, "@hookimpl\ndef register_importer(register):\n    pass\n")
    with pytest.raises(PluginError) as info:
        get_plugin_manager([path])
    assert "myplugin.py" in info.value.message
    assert "register_importer" in info.value.message


def test_import_error_names_the_file(tmp_path: Path) -> None:
    path = _plugin(tmp_path, "import nosuchmodule_xyz\n")
    with pytest.raises(PluginError) as info:
        get_plugin_manager([path])
    assert str(path) in info.value.message
    assert "nosuchmodule_xyz" in info.value.message


def test_raising_hook_names_the_plugin(tmp_path: Path) -> None:
    path = _plugin(
        tmp_path, "@hookimpl\ndef register_exporters(register):\n    raise RuntimeError('kaput')\n"
    )
    pm = get_plugin_manager([path])
    with pytest.raises(PluginError) as info:
        collect(pm, "register_exporters")
    assert "file:myplugin.py" in info.value.message and "kaput" in info.value.message


def test_event_hook_failure_names_the_plugin(tmp_path: Path) -> None:
    path = _plugin(
        tmp_path,
        "@hookimpl\ndef annotation_saved(annotation, action):\n    raise ValueError('no')\n",
    )
    pm = get_plugin_manager([path])
    with pytest.raises(PluginError, match=r"file:myplugin\.py"):
        call_hook(pm, "annotation_saved", annotation={}, action="create")
