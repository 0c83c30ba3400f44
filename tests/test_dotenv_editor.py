from __future__ import annotations

import pytest

from seenfix.editors import dotenv


def test_parse_forms() -> None:
    text = (
        "# comment\r\n"
        "A=1\r\n"
        "export B = two # trailing\r\n"
        "C='single # not a comment'\r\n"
        'D="dq \\"x\\" \\$y"\r\n'
        "E=\r\n"
        "not a line\r\n"
        "A=again\r\n"
        'F="multi\r\nline"\r\n'
        "G=last"
    )
    env = dotenv.parse(text)
    got = {e.key: (e.value, e.line) for e in env.entries}
    assert got["B"] == ("two", 3)
    assert env.entries[1].export
    assert got["C"] == ("single # not a comment", 4)
    assert got["D"] == ('dq "x" $y', 5)
    assert got["E"] == ("", 6)
    assert env.get("A") is not None and env.get("A").value == "again"  # type: ignore[union-attr]
    assert got["F"] == ("multi\r\nline", 9)
    assert got["G"] == ("last", 11)
    assert [(m.line, m.text) for m in env.malformed] == [(7, "not a line")]


@pytest.mark.parametrize(
    "before, key, value, after",
    [
        ("", "K", "v", "K=v\n"),
        ("A=1", "K", "v", "A=1\nK=v\n"),
        ("A=1\r\n", "K", "v", "A=1\r\nK=v\r\n"),
        ("A=1\nK=old # c\n", "K", "new", "A=1\nK=new # c\n"),
        ("K='old'\n", "K", "n w", "K='n w'\n"),
        ("K=x\nK=y\n", "K", "z", "K=x\nK=z\n"),
        ("K=same\n", "K", "same", "K=same\n"),
        ("A=1\n", "K", "a$b", "A=1\nK='a$b'\n"),
        ("A=1\n", "K", "it's", 'A=1\nK="it\'s"\n'),
    ],
)
def test_set_value(before: str, key: str, value: str, after: str) -> None:
    assert dotenv.set_value(before, key, value) == after
    got = dotenv.parse(after).get(key)
    assert got is not None and got.value == value


def test_parse_keeps_text() -> None:
    text = "A=1\n\n# x\nexport B='2'\nbad\n"
    env = dotenv.parse(text)
    assert env.text == text
    assert [text[e.start:e.end] for e in env.entries] == ["1", "'2'"]


@pytest.mark.parametrize("text", [
    'KEY="first\nsecond"\n',        # a double-quoted value over two lines (compose and python-dotenv read it)
    "MY-KEY=x\n",                   # a dash in the name, which dotenv.parse reads
    "export A=1\n# c\n\nB='x y'\n",
])
def test_output_verification_reads_env_files_as_the_editor_does(text: str) -> None:
    """One env grammar: the runner's check of a fixed env file accepts what dotenv.parse reads and
    rejects what it lists as malformed (an unterminated quote too)."""
    from seenfix.engine.verify import check_env

    assert dotenv.parse(text).malformed == [] and check_env(text) is None
    broken = text + "B='open\n"
    assert dotenv.parse(broken).malformed and check_env(broken) == (
        f"line {broken.count(chr(10))}: not a KEY=value line (unterminated ' quote in the value of B)")
