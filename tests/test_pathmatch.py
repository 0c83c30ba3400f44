"""Path patterns with a first look at their words (seenfix.core.pathmatch) answer as their patterns do.

Each ``Prefiltered`` pattern's needles are read off its alternatives; here every pattern is held to its
own regular expression on one written path per alternative (which must match, so that a missing needle
shows) and on every path of the bundled fixture, the shared corpus and the large real frontends.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seenfix.analysis import secrets_policy
from seenfix.core import deploy_docs, project, vendored
from seenfix.core.pathmatch import Prefiltered
from seenfix.fixers import missing_security_headers
from test_ts_parse_share import _cache

REPO = Path(__file__).resolve().parents[1]

#: name -> (pattern, a path for each of its alternatives: each must match)
PATTERNS: dict[str, tuple[Prefiltered, list[str]]] = {
    "COMPOSE_NAME": (project.COMPOSE_NAME, ["compose.yml", "a/docker-compose.yaml", "compose.prod.yml",
                                            "x/compose-dev.yaml"]),
    "NGINX_NAME": (project.NGINX_NAME, ["nginx.conf", "a/nginx-site.conf.j2", "site.conf", "a.conf.template",
                                        "b.conf.sample", "c.conf.example", "x/default.nginx"]),
    "ENV_NAME": (project.ENV_NAME, [".env", "a/.env.production", "prod.env"]),
    "TEMPLATE_ENV": (project.TEMPLATE_ENV, [".env.example", "a.sample", "b.template", "c.dist", "d.tpl"]),
    "TEST_PATH": (project.TEST_PATH, ["test/a.py", "tests/a.ts", "src/__tests__/a.ts", "spec/a.rb", "fixtures/x",
                                      "testdata/y", "conftest.py", "a/test_x.py", "x_test.py", "a.test.ts",
                                      "b.spec.tsx", "vitest.setup.ts", "jest.setup.js", "src/setupTests.ts"]),
    "VENDOR_DIRS": (vendored.VENDOR_DIRS, ["node_modules/a.js", "x/bower_components/b", "jspm_packages/c",
                                           "vendor/d", "a/vendors/e", "third_party/f", "third-party/g",
                                           ".yarn/h", "ios/Pods/i", "web_modules/j"]),
    "GENERATED_NAMES": (vendored.GENERATED_NAMES, ["a.min.js", "b.bundle.mjs", "c.chunk.cjs", "d.min.css",
                                                   "package-lock.json", "a/yarn.lock", "pnpm-lock.yaml"]),
    "DOCS": (deploy_docs.DOCS, ["README.md", "a/README", "Makefile", "GNUmakefile", "rules.mk", "deploy.sh",
                                "docs/a/b.md", "docs/c.markdown", "docs/d.rst", ".github/workflows/ci.yml",
                                ".github/workflows/cd.yaml"]),
    "_TEST_ENV": (secrets_policy._TEST_ENV, [".env.test", "a/.env.testing"]),
    "_TEMPLATE_NAMED": (secrets_policy._TEMPLATE_NAMED, ["example.env", "a/sample.prod.env", "template-x.env",
                                                         "template_y.env"]),
    "_CI_OR_I18N": (secrets_policy._CI_OR_I18N, [
        ".github/workflows/a.yml", "x/.circleci/config.yml", ".buildkite/p.yml", ".woodpecker/w.yml", "src/i18n/en.json",
        "l10n/fr.po", "locale/de.json", "a/locales/en.json", "lang/x", "translation/y", "translations/z",
        ".gitlab-ci.yml", "a/.travis.yaml", ".drone.yml", "azure-pipelines.yml", "bitbucket-pipelines.yaml",
        "Jenkinsfile", "cloudbuild.yaml"]),
    "NOT_SERVED": (missing_security_headers.NOT_SERVED, [
        "doc/a.ts", "docs/b.ts", "example/c.ts", "examples/d.ts", "experiment/e.ts", "experiments/f.ts",
        "demo/g.ts", "demos/h.ts", "sample/i.ts", "samples/j.ts", "stories/k.ts", ".storybook/l.ts",
        "scripts/m.ts", "e2e/n.ts", "cypress/o.ts", "playwright/p.ts", "node_modules/q.js", "vendor/r.js",
        "third_party/s.js", "third-party/t.js", "dist/u.js", "build/v.js", "coverage/w.js",
        "plugin/x/example/y.ts", "plugins/x/examples/z.ts", "a.stories.tsx", "b.min.js", "c.min.mjs",
        "d.stories.cts"]),
}


def _real_paths() -> list[str]:
    roots = [REPO / "fixtures", REPO / ".." / "shared" / "corpus", _cache() / "ts-frontends"]
    missing = [str(r) for r in roots if not r.is_dir()]
    assert not missing, f"absent: {missing} (.ci/run provides them)"
    return sorted({p.relative_to(root).as_posix() for root in roots for p in root.rglob("*") if p.is_file()})


@pytest.mark.parametrize("name", list(PATTERNS))
def test_each_alternative_holds_a_needle(name: str) -> None:
    pattern, examples = PATTERNS[name]
    for path in examples:
        assert pattern.regex.search(path), (name, path)  # the example is one the pattern matches ...
        assert pattern.search(path), (name, path)  # ... and the first look lets it through


def test_prefiltered_patterns_answer_as_their_patterns_on_real_paths() -> None:
    paths = _real_paths()
    assert len(paths) > 4000
    for name, (pattern, examples) in PATTERNS.items():
        for path in paths + examples + [f"deep/er/{e}" for e in examples]:
            assert bool(pattern.search(path)) == bool(pattern.regex.search(path)), (name, path)
