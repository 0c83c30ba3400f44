"""Which files are vendored, minified or generated (seenfix.core.vendored), as linguist decides."""

from __future__ import annotations

from seenfix.core.vendored import skipped


def test_vendored_generated_and_minified() -> None:
    files = {
        ".gitattributes": ("docs/api/** linguist-generated\nthird_party/ours/** linguist-vendored=false\n"
                           "*.pb.ts linguist-generated=true\n"),
        "node_modules/x/index.js": "x",
        "web/vendor/jquery.js": "x",
        "third_party/ours/a.py": "x",
        "third_party/theirs/a.py": "x",
        "docs/api/index.ts": "x",
        "src/api.pb.ts": "x",
        "src/app.min.js": "x",
        "src/bundle.js": "var a=1;" * 500,
        "src/app.js": "const a = 1;\n" * 500,
        "src/style.css": "a{color:red}\n",
    }
    got = skipped(files, files.get)
    assert got == {"node_modules/x/index.js", "web/vendor/jquery.js", "third_party/theirs/a.py", "docs/api/index.ts",
                   "src/api.pb.ts", "src/app.min.js", "src/bundle.js"}
