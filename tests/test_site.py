"""The book as a reader meets it: built under the smoke profile and every HTML page opened in headless Chromium with
the network cut off. The pages come from the session's `smoke_book` (conftest.py): those test_notebooks.py executed
in the same run, so nothing executes twice (run alone, this module executes them first; about 3 minutes on 2 cores).

Checked on every page: it loads; no internal link, anchor, image, script or style sheet points at nothing; no raw
MyST, traceback, stderr block, log line or warning is shown; no absolute path of the build machine appears; and
the mathematics is typeset (MathJax served from the book itself, not a CDN); no table cell is cut short, shows
an identifier where a name belongs, or prints a p-value as 0. Screenshots of the home page and one
chapter are kept in `_build/screenshots/`.

Chromium is Debian's package (`apt-get install chromium`; `.ci/run` installs it). Without it the module is
skipped and pytest's summary says so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from painlib import run

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:  # one line in pytest's summary (addopts -ra), saying why and what to do
    pytest.skip(
        "chromium is not installed, so the built book was not checked in a browser; "
        "install Debian's package: sudo apt-get install chromium",
        allow_module_level=True,
    )
pytestmark = pytest.mark.browser

#: Flags of every Chromium run: headless, its own profile, and no network at all (every request goes to a proxy
#: on the discard port, no host name resolves), so a page that needs a CDN fails here as it would offline.
OFFLINE = ["--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]
#: Virtual time (ms) a page gets to run its scripts (MathJax typesets within it) before the DOM is read.
BUDGET_MS = 10_000

#: Text that must not reach a reader: unparsed MyST, and what a failing or chatty cell prints.
FORBIDDEN_TEXT = {
    "raw MyST": re.compile(r"```\{|:::\{|\{(cite|glue|term|ref|numref|doc|eq)(:\w+)?\}`"),
    "traceback": re.compile(r"\bTraceback\b"),
    "log line": re.compile(r"\b(DEBUG|INFO|WARNING|ERROR|CRITICAL)[ :]+[\w.]+: |\bINFO painlib|\bWARNING\b"),
    "Python warning": re.compile(r"\b\w+Warning: "),
}
#: Prefixes of absolute paths on a build machine (besides the repository and the build folder themselves).
MACHINE_PATHS = ("/home/", "/tmp/", "/work/", "/root/", "/Users/", "/var/folders/", "/opt/", "site-packages")


class Page(HTMLParser):
    """What the checks need from one HTML document: ids, outgoing references, visible text, classes, math."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []  # (tag.attribute, URL)
        self.text: list[str] = []
        self.attributes: list[str] = []
        self.classes: set[str] = set()
        self.math = 0  # elements Sphinx marks as mathematics
        self.typeset = 0  # MathJax's rendered elements
        self.redirect = ""  # where a <meta http-equiv="refresh"> page sends the reader
        self._hidden = 0  # depth inside <script>, <style>, <template>
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            self.redirect = (attrs.get("content") or "").partition("url=")[2].strip()
            self.refs.append(("meta.refresh", self.redirect))
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(name):
                self.ids.add(attrs[name])
        for name in ("href", "src"):
            if attrs.get(name) and tag in ("a", "img", "script", "link", "source", "iframe"):
                self.refs.append((f"{tag}.{name}", attrs[name]))
        classes = (attrs.get("class") or "").split()
        self.classes.update(classes)
        self.math += "math" in classes and tag in ("span", "div")
        self.typeset += tag == "mjx-container"
        self.attributes += [v for k, v in attrs.items() if v and k not in ("href", "src", "srcset")]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)

    @property
    def visible_text(self) -> str:
        return "".join(self.text)


def chromium(*args: str, profile: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
    cmd += [f"--user-data-dir={profile}", *OFFLINE, f"--virtual-time-budget={BUDGET_MS}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def load(page: Path, profile: Path) -> Page:
    """The page's DOM after Chromium loaded it (offline) and ran its scripts; a redirecting page (the site's
    index.html) as written, since the browser would show its target, itself a page of the site."""
    static = Page(page.read_text(encoding="utf-8"))
    if static.redirect:
        return static
    done = chromium("--dump-dom", page.as_uri(), profile=profile)
    assert done.returncode == 0 and "</html>" in done.stdout, f"{page}: Chromium failed: {done.stderr[-2000:]}"
    return Page(done.stdout)


def html_pages(html_dir: Path) -> list[Path]:
    """Every page of the site (not the files of _static/ or the sources offered for download)."""
    return sorted(
        p for p in html_dir.rglob("*.html") if p.relative_to(html_dir).parts[0] not in ("_static", "_sources")
    )


@pytest.fixture(scope="module")
def site(smoke_book) -> Path:
    """The book built (strict: Sphinx warnings are errors) from the session's smoke pages; its html folder."""
    smoke_book.execute_all()
    return run.build_book(source=smoke_book.root).parent


@pytest.fixture(scope="module")
def rendered(site, tmp_path_factory) -> dict[Path, Page]:
    """Every page's DOM after Chromium loaded it offline and ran its scripts (two browsers at a time)."""
    pages = html_pages(site)
    profiles = tmp_path_factory.mktemp("chromium")

    def dump(i_page):
        i, page = i_page
        return page, load(page, profiles / str(i))  # a profile folder per browser: two never share one

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(dump, enumerate(pages)))


def _where(site: Path, page: Path) -> str:
    return page.relative_to(site).as_posix()


def test_every_page_loads(site, rendered):
    assert len(rendered) >= len(run.list_pages()) + 3, sorted(_where(site, p) for p in rendered)
    empty = [_where(site, p) for p, dom in rendered.items() if not (dom.visible_text.strip() or dom.redirect)]
    assert not empty, f"pages that show nothing: {empty}"
    for page, _, _ in run.list_pages():
        assert (site / "book" / "executed" / f"{page}.html") in rendered, f"{page} is not in the built book"


def test_no_broken_internal_link_anchor_or_image(site, rendered):
    ids = {page: dom.ids for page, dom in rendered.items()}
    broken = []
    for page, dom in rendered.items():
        for what, url in dom.refs:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "mailto", "data", "javascript") or url.startswith("//"):
                continue  # external: not followed (the machine is offline); MathJax is checked below
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if parts.scheme not in ("", "file") or not target.is_file():
                broken.append(f"{_where(site, page)}: {what} {url!r} → nothing")
            elif parts.fragment and target.suffix == ".html":
                anchors = ids.get(target) or Page(target.read_text(encoding="utf-8")).ids
                if unquote(parts.fragment) not in anchors:
                    broken.append(f"{_where(site, page)}: {what} {url!r} → no such anchor")
    assert not broken, "\n".join(broken)


def test_no_raw_myst_traceback_log_line_or_stderr(site, rendered):
    problems = []
    for page, dom in rendered.items():
        text = dom.visible_text
        for what, pattern in FORBIDDEN_TEXT.items():
            for match in pattern.finditer(text):
                context = text[max(0, match.start() - 80) : match.end() + 80].replace("\n", " ")
                problems.append(f"{_where(site, page)}: {what}: …{context}…")
        for css in ("stderr", "traceback"):
            if css in dom.classes:
                problems.append(f"{_where(site, page)}: a cell output of class {css!r} is shown")
    assert not problems, "\n".join(problems)


def test_no_absolute_path_of_the_build_machine(site, rendered, smoke_book):
    own = (str(run.ROOT), str(smoke_book.root), str(site), os.path.join(os.path.expanduser("~"), ""))
    problems = []
    for page, dom in rendered.items():
        for text in (dom.visible_text, *dom.attributes):
            for path in {*own, *MACHINE_PATHS}:
                if path and path != "/" and path in text:
                    at = text.index(path)
                    problems.append(f"{_where(site, page)}: {path!r} in …{text[max(0, at - 60) : at + 80]}…")
    assert not problems, "\n".join(sorted(set(problems)))


def test_mathematics_renders_without_the_network(site, rendered):
    with_math = {page: dom for page, dom in rendered.items() if dom.math}
    chapters = [p for p in with_math if p.parent.name == "executed"]
    assert chapters, "no chapter shows mathematics: the check would prove nothing"
    for page, dom in with_math.items():
        assert dom.typeset >= dom.math, f"{_where(site, page)}: {dom.math} formulas, {dom.typeset} typeset by MathJax"
        mathjax = [url for what, url in dom.refs if what == "script.src" and "mathjax" in url.lower()]
        assert mathjax and not any(urlsplit(u).scheme for u in mathjax), f"{_where(site, page)}: MathJax from {mathjax}"


def test_figures_and_exercises_numbered_in_their_chapter_with_captions_and_alt_text(site):
    """Chapter NN's figures and exercises are numbered NN.1, NN.2, … (book/_ext/chapter_numbers.py; chapter 04's
    three pages each from 4.1); every figure has a caption, every image alt text that says what it shows."""
    problems, exercises = [], 0
    for page in sorted((site / "book" / "executed").glob("[0-9][0-9]_*.html")):
        html, chapter = page.read_text(encoding="utf-8"), int(page.name[:2])
        for kind, number in re.findall(r'caption-number">(Fig\.|Exercise) ([\d.]+)\s*<', html):
            exercises += kind == "Exercise"
            if not number.startswith(f"{chapter}."):
                problems.append(f"{page.name}: {kind} {number} in chapter {chapter:02d}")
        for figure in re.findall(r"<figure\b.*?</figure>", html, flags=re.S):
            if "<figcaption>" not in figure:
                problems.append(f"{page.name}: a figure without a caption")
        for img in re.findall(r"<img\b[^>]*>", html):
            alt = re.search(r'\balt="([^"]*)"', img)
            if not alt or len(alt.group(1).split()) < 4 or re.search(r"\.(png|jpe?g|svg)\b", alt.group(1)):
                problems.append(f"{page.name}: image without alt text that says what it shows: {img[:160]}")
    assert exercises, "no numbered exercise on any chapter page: the check would prove nothing"
    assert not problems, "\n".join(problems)


def test_every_exercise_has_a_solution(site):
    """Each exercise on a chapter page is followed by its solution (a toggle, sphinx-exercise's "Solution to")."""
    problems, solved = [], 0
    for page in sorted((site / "book" / "executed").glob("[0-9][0-9]_*.html")):
        html = page.read_text(encoding="utf-8")
        asked = re.findall(r'<div class="exercise admonition" id="([^"]+)"', html)
        answered = re.findall(r'Solution to<a class="reference internal" href="#([^"]+)"', html)
        solved += len(answered)
        if sorted(asked) != sorted(answered):
            problems.append(f"{page.name}: exercises {asked}, solutions to {answered}")
    assert solved, "no solution on any chapter page: the check would prove nothing"
    assert not problems, "\n".join(problems)


class Tables(HTMLParser):
    """Every table of a page as rows of (text, header?, in code?) cells."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[tuple[str, bool, bool]]]] = []
        self._cell: list[str] | None = None
        self._header = self._code = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self._cell, self._header, self._code = [], tag == "th", False
        elif tag == "code" and self._cell is not None:
            self._code = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(("".join(self._cell).strip(), self._header, self._code))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


#: More columns than the content column holds at 1,280 px (about 740 px, some 60 px a column of numbers): such a
#: table hides its right-hand columns behind a scroll bar.
MAX_COLUMNS = 12


def test_tables_show_whole_cells_names_and_p_values_that_are_not_zero(site):
    """The classes of what a reader stumbles on in a table: a cell cut short by pandas ("..."), an identifier
    where a name belongs (``image_wise``, ``alexnet``: painlib.display.NAMES), a p-value printed as 0, more
    columns than the page holds."""
    from painlib.display import NAMES, is_p_value

    problems, cells = [], 0
    for page in sorted((site / "book" / "executed").glob("[0-9][0-9]_*.html")):
        for table in Tables(page.read_text(encoding="utf-8")).tables:
            header = next((row for row in table if row and all(h for _, h, _ in row)), [])
            p_columns = {i for i, (text, _, _) in enumerate(header) if is_p_value(text)}
            width = max(map(len, table), default=0)
            if width > MAX_COLUMNS:
                problems.append(f"{page.name}: a table of {width} columns: {' | '.join(t for t, _, _ in header)[:100]}")
            for row in table:
                for i, (text, is_header, in_code) in enumerate(row):
                    cells += 1
                    if text.endswith(("...", "…")):
                        problems.append(f"{page.name}: a cell cut short: {text[-60:]!r}")
                    if text in NAMES and not in_code:
                        problems.append(f"{page.name}: the identifier {text!r} where its name belongs")
                    if not is_header and len(row) == len(header) and i in p_columns and text in ("0", "0.0", "0.000"):
                        problems.append(f"{page.name}: a p-value printed as {text!r} under {header[i][0]!r}")
    assert cells > 1000, f"only {cells} table cells on the chapter pages: the check would prove little"
    assert not problems, "\n".join(sorted(set(problems)))


def test_screenshots_of_the_home_page_and_a_chapter(site, rendered, tmp_path):
    """Kept in _build/screenshots/ for a person to look at (the checks above do not read them)."""
    chapter = min(p for p, dom in rendered.items() if p.parent.name == "executed" and dom.math)
    out = run.ROOT / "_build" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for name, page in (("home", site / "book" / "intro.html"), (chapter.stem, chapter)):
        png = out / f"{name}.png"
        png.unlink(missing_ok=True)
        done = chromium(f"--screenshot={png}", "--window-size=1280,1600", page.as_uri(), profile=tmp_path)
        assert done.returncode == 0 and png.is_file() and png.stat().st_size > 10_000, done.stderr[-2000:]
