"""Keys typed with the Russian keyboard layout on, read as the keys they are on the keyboard.

Annotators of Russian text switch their keyboard to Russian all day; the annotator's commands
are on Latin keys (``p`` PREDICATE, ``;`` jump, ``]`` next verb). Pressing the key marked P with
the Russian layout on sends «з»: without this it would do nothing, and the annotator would
switch layouts before every command. Where text is typed (an input field) nothing is changed.
"""

from __future__ import annotations

from textual.keys import _character_to_key

# ЙЦУКЕН → QWERTY, the same physical keys (the standard Russian layout on a US keyboard)
_LOWER = dict(
    zip("йцукенгшщзхъфывапролджэячсмитьбюё", "qwertyuiop[]asdfghjkl;'zxcvbnm,.`", strict=True)
)
_UPPER = dict(
    zip("ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ", 'QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>~', strict=True)
)
LATIN_FOR = {**_LOWER, **_UPPER}


def latin_key(character: str | None) -> tuple[str, str] | None:
    """(key name, character) of the Latin key that types ``character`` under the Russian
    layout, or None for any other character."""
    if character is None or character not in LATIN_FOR:
        return None
    latin = LATIN_FOR[character]
    return (latin if latin.isalnum() else _character_to_key(latin)), latin
