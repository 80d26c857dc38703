"""The documentation lives inside the repository, and its links hold.

- No file of the project cites a text that a person who clones the repository does not have:
  the design guide and the source documents Relais was first described from. What they said is
  written in docs/domain.md; comments point there.
- Every relative link of the Markdown files points to an existing file, and to an existing
  heading when it names one (GitHub's anchors).
- A file name `docs/….md` written anywhere (a comment, a template, a page) exists, and a
  section it names as « docs/x.md, « Heading » » is a heading of that file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SELF = Path(__file__).resolve()
# Everything the project writes (generated and third-party folders are left out).
SCANNED_DIRS = ("app", "tests", "templates", "static", "bench", "scripts", "migrations", "docs")
SCANNED_DIRS += ("deploy", ".ci")
SCANNED_FILES = ("README.md", "CHANGELOG.md", "Makefile", "pyproject.toml", "wsgi.py", "babel.cfg")
SKIPPED_PARTS = {"__pycache__", ".pytest_cache"}

# References to texts outside the repository. "seed" alone stays allowed: `flask demo seed`.
OUTSIDE_REFERENCES = {
    "a path to the shared folder": re.compile(r"\.\./shared\b|/work/shared\b|\bshared/seeds\b"),
    # Upper case: « the user guide » is a page of docs/.
    "the design guide": re.compile(r"\bGUIDE\b|\bGUIDE\.md\b"),
    "a numbered source document": re.compile(
        r"\bseeds?\s*0\d\d\b|\b\d{3}_[0-9a-f]{16}\.txt\b", re.IGNORECASE
    ),
    "a section of a source document": re.compile(r"\bseed,\s*section\b", re.IGNORECASE),
    "the supplier tutorial": re.compile(r"\bsupplier tutorial\b|\btutoriel\b", re.IGNORECASE),
}

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
DOCS_MENTION = re.compile(r"(?<![\w/.-])(docs/[\w./-]*\w\.md)")
# « docs/domain.md, « Actions » » in a comment: the file and one of its headings.
DOCS_SECTION = re.compile(r"(?<![\w/.-])(docs/[\w./-]*\w\.md),\s*«\s*([^»]+?)\s*»")


def _text_files() -> list[Path]:
    paths = [ROOT / name for name in SCANNED_FILES if (ROOT / name).is_file()]
    for name in SCANNED_DIRS:
        folder = ROOT / name
        if folder.is_dir():
            paths += [p for p in folder.rglob("*") if p.is_file()]
    texts = []
    for path in sorted(paths):
        if path.resolve() == SELF or SKIPPED_PARTS.intersection(path.parts):
            continue
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # compiled catalogues, compressed data, images
        texts.append(path)
    return texts


def _markdown_files() -> list[Path]:
    return [p for p in _text_files() if p.suffix == ".md"]


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _outside_text(line: str) -> str:
    """`line` without its code spans: a heading's text as a reader sees it."""
    return re.sub(r"[`*]", "", line)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = _outside_text(heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def headings(path: Path) -> list[str]:
    found, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            found.append(match.group(2))
    return found


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for heading in headings(path):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def _links(path: Path) -> list[tuple[int, str]]:
    found, fenced = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            found += [(number, target) for target in LINK.findall(re.sub(r"`[^`]*`", "", line))]
    return found


def test_no_reference_to_texts_outside_the_repository():
    offenders = []
    for path in _text_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for what, pattern in OUTSIDE_REFERENCES.items():
                if pattern.search(line):
                    offenders.append(f"{_rel(path)}:{number}: {what}: {line.strip()[:90]}")
    assert offenders == [], "point to docs/ instead:\n" + "\n".join(offenders)


def test_documentation_exists():
    # The pages the README sends readers to.
    for name in ("domain", "operations", "architecture", "development", "benchmarks"):
        assert (ROOT / "docs" / f"{name}.md").is_file()
    for role in ("assistant", "supplier", "teacher", "coordinator", "admin"):
        assert (ROOT / "docs" / "user-guide" / f"{role}.md").is_file()
    assert len(list((ROOT / "docs" / "decisions").glob("0*.md"))) >= 6
    assert (ROOT / "CHANGELOG.md").is_file()


def test_readme_stays_short():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 150


@pytest.mark.parametrize("path", _markdown_files(), ids=_rel)
def test_relative_links_point_to_existing_files_and_headings(path):
    broken = []
    for number, target in _links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            continue  # http:, https:, mailto:…
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        if not destination.exists():
            broken.append(f"line {number}: {target} (no such file)")
            continue
        if anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"line {number}: {target} (no such heading)")
    assert broken == []


def test_docs_named_in_the_code_exist():
    missing = []
    for path in _text_files():
        text = path.read_text(encoding="utf-8")
        for name in DOCS_MENTION.findall(text):
            if not (ROOT / name).is_file():
                missing.append(f"{_rel(path)}: {name}")
        for name, section in DOCS_SECTION.findall(text):
            target = ROOT / name
            wanted = " ".join(section.split()).lower()
            titles = {" ".join(_outside_text(h).split()).lower() for h in headings(target)}
            if target.is_file() and wanted not in titles:
                missing.append(f"{_rel(path)}: {name}, « {section} »")
    assert missing == []


def test_slugs_follow_github():
    assert slug("Periodic work (*Travaux périodiques*)") == "periodic-work-travaux-périodiques"
    assert slug("Envois (`/admin/envois`)") == "envois-adminenvois"
    assert slug("0001 — The outbox") == "0001--the-outbox"
