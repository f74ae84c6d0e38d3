"""Sphinx extension: a chapter's number is the one its notebook's name and title carry, not its place in the toc.

The "Chapters" part of ``_toc.yml`` is numbered, so figures, tables and exercises get chapter-prefixed numbers
(Fig. 2.1, Exercise 2.3) and a chapter's sections are numbered. Sphinx counts the chapters 1, 2, 3 … in the
order of the table of contents, while the book names them by their notebooks, from 00 (``00_synthetic_faces``:
"00 · Synthetic faces", "Chapter 01 builds …"), and chapter 04 is three pages. This extension, run after Sphinx
has numbered everything, replaces the leading number of every section, figure, table and exercise number on a
page ``NN_…`` by NN (so all three pages of chapter 04 are chapter 4, each numbering its own figures and exercises
from 1), and drops the number Sphinx would put before a chapter's title, which already starts with "NN ·".
Pages whose names do not start with two digits keep Sphinx's numbers.
"""

from __future__ import annotations

import re

from docutils import nodes

#: A page of the book's chapters: ``book/executed/NN_topic`` (one or more pages per notebook).
CHAPTER_PAGE = re.compile(r"(?:^|/)(\d\d)_[^/]+$")


def chapter_of(docname: str) -> int | None:
    """The chapter number in a page's name (``book/executed/02_rater_reliability`` → 2), or None."""
    match = CHAPTER_PAGE.search(docname)
    return int(match.group(1)) if match else None


def _renumber(number: tuple[int, ...] | None, chapter: int) -> tuple[int, ...] | None:
    return (chapter, *number[1:]) if number else number


def renumber_chapters(app, env) -> list[str]:
    """``env-get-updated`` handler, connected after Sphinx's own numbering: rewrite the numbers of chapter pages."""
    changed = []
    for docname, secnumbers in env.toc_secnumbers.items():
        chapter = chapter_of(docname)
        if chapter is None:
            continue
        changed.append(docname)
        for anchor, number in list(secnumbers.items()):
            secnumbers[anchor] = _renumber(number, chapter)
        secnumbers.pop("", None)  # the page title: it carries the chapter's number already ("02 · …")
        for reference in env.tocs[docname].findall(nodes.reference):  # the entries of the sidebar and the toc
            if reference.get("secnumber"):
                top = reference.get("anchorname", "") == ""
                reference["secnumber"] = None if top else list(_renumber(tuple(reference["secnumber"]), chapter))
        if docname in env.titles:  # previous / next links at the foot of the pages
            env.titles[docname]["secnumber"] = None
        for numbers in env.toc_fignumbers.get(docname, {}).values():  # figures, tables, exercises, …
            for node_id, number in list(numbers.items()):
                numbers[node_id] = _renumber(number, chapter)
    return changed


def setup(app):
    app.connect("env-get-updated", renumber_chapters, priority=900)  # after the TocTreeCollector (priority 500)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
