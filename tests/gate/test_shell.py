"""Which files a shell command writes (the pure parser behind the edit gate)."""

from __future__ import annotations

import pytest

from coordination.gate import shell


@pytest.mark.parametrize(
    ("command", "targets"),
    [
        ("echo hi > a.txt", ["a.txt"]),
        ("echo hi >a.txt", ["a.txt"]),
        ("printf x >> log/a.txt", ["log/a.txt"]),
        ("make 2> err.log", ["err.log"]),
        ("run &> out.txt", ["out.txt"]),
        ("echo x >| forced.txt", ["forced.txt"]),
        (
            "cat <<'EOF' > h.txt\nbody > not-a-target.txt\nrm also-not\nEOF\necho done > after.txt",
            ["h.txt", "after.txt"],
        ),
        ("cat <<-EOF > t.txt\n\tbody\n\tEOF", ["t.txt"]),
        ("cat f | tee -a b.txt c.txt", ["b.txt", "c.txt"]),
        ("sed -i 's/a/b/' x.py y.py", ["x.py", "y.py"]),
        ("sed -i.bak -e 's/a/b/' x.py", ["x.py"]),
        ("sed --in-place=.orig 's/a/b/' x.py", ["x.py"]),
        ("perl -pi -e 's/a/b/' x.pl", ["x.pl"]),
        ("mv a b", ["a", "b"]),
        ("mv -t dir a b", ["a", "b", "dir/a", "dir/b"]),
        ("cp src/a.ts src/b.ts", ["src/b.ts"]),
        ("cp a b dir/", ["dir/a", "dir/b"]),
        ("install -m 644 a bin/a", ["bin/a"]),
        ("rm -rf build/x old.txt", ["build/x", "old.txt"]),
        ("unlink x; touch y; truncate -s 0 z", ["x", "y", "z"]),
        ("ln -sf target link", ["link"]),
        ("dd if=/dev/zero of=disk.img bs=1", ["disk.img"]),
        ("git checkout -- f g", ["f", "g"]),
        ("git checkout HEAD~1 -- f", ["f"]),
        ("git restore src/a.ts", ["src/a.ts"]),
        ("git rm old.py", ["old.py"]),
        ("git mv a.py b.py", ["a.py", "b.py"]),
        ("git -C . checkout -- f", ["f"]),
        ("python3 -c \"open('p.txt', 'w').write('x')\"", ["p.txt"]),
        ("python -c \"import pathlib; pathlib.Path('q.txt').write_text('x')\"", ["q.txt"]),
        ("python3 -c \"import os, shutil; os.remove('r'); shutil.copy('a', 's')\"", ["r", "s"]),
        ("node -e \"require('fs').writeFileSync('n.txt', 'x')\"", ["n.txt"]),
        ("node -e \"const fs=require('fs'); fs.renameSync('a.js', \\\"b.js\\\")\"", ["a.js", "b.js"]),
        ("bash -c 'echo x >> z.txt'", ["z.txt"]),
        ("FOO=1 sudo -E tee q.txt < in", ["q.txt"]),
        ("timeout 5 env A=b tee t.txt", ["t.txt"]),
        ("cd sub && echo x > y.txt", ["y.txt"]),
        ("(echo a; echo b) > both.txt", ["both.txt"]),
        (
            "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: src/a.py\n"
            "*** Add File: src/n.py\n*** End Patch\nEOF",
            ["src/a.py", "src/n.py"],
        ),
    ],
)
def test_write_targets(command: str, targets: list[str]) -> None:
    assert shell.write_targets(command).targets == targets


@pytest.mark.parametrize(
    "command",
    [
        "ls -la src",
        "cat src/a.ts | wc -l",
        "grep -rn foo . > /dev/null 2>&1",
        "git status && git diff",
        "sed -n 1,20p x.py",
        "echo hi >&2",
        "cmd 2>&1 | less",
        "python3 -c \"print(open('x').read())\"",
        "pytest -q tests/",
        "wc -l < input.txt",
        "# echo x > commented.txt",
    ],
)
def test_read_only_commands_write_nothing(command: str) -> None:
    found = shell.write_targets(command)
    assert found.targets == [] or found.targets == ["/dev/null"], found.targets


@pytest.mark.parametrize(
    ("command", "what"),
    [
        ('echo x > "$OUT"', "computed at run time"),
        ("echo x > *.log", "computed at run time"),
        ("git apply fix.patch", "git apply"),
        ("git checkout feature", "git checkout"),
        ("make build", "make"),
        ("find . -name '*.o' -delete", "find"),
        ("python3 tools/gen.py", "python"),
        ("python3 -c \"open(name, 'w')\"", "computed path"),
        ("echo x > 'unbalanced", "unparsable"),
    ],
)
def test_unseen_writes_are_named_not_guessed(command: str, what: str) -> None:
    found = shell.write_targets(command)
    assert found.targets == []
    assert any(what in note for note in found.unseen), found.unseen


def test_directory_targets_use_is_dir() -> None:
    assert shell.write_targets("cp a.txt out", is_dir=lambda p: p == "out").targets == ["out/a.txt"]
    assert shell.write_targets("cp a.txt out").targets == ["out"]


def test_patch_paths() -> None:
    patch = (
        "*** Begin Patch\n*** Update File: src/a.ts\n@@\n-x\n+y\n"
        "*** Add File: src/new.ts\n+z\n*** Delete File: old.ts\n"
        "*** Update File: src/m.ts\n*** Move to: src/n.ts\n*** End Patch\n"
    )
    assert shell.patch_paths(patch) == ["src/a.ts", "src/new.ts", "old.ts", "src/m.ts", "src/n.ts"]


def test_commands_that_cannot_write_skip_the_tokenizer() -> None:
    assert not shell.might_write("ls -la src && cat a | wc -l")
    assert not shell.might_write("pytest -q tests/ ; grep -rn x .")
    for command in ("ls; rm x", "echo $(rm x)", "cat x`tee y`", "/bin/mv a b", "FOO=1 python3 x.py", "a>b"):
        assert shell.might_write(command), command
