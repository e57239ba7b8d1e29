"""Check every relative link, anchor, image and script of a folder of HTML pages.

Every ``href``/``src`` of every ``*.html`` page under the folder must point to a file
inside the folder, and a ``#fragment`` to an ``id`` (or ``name``) on the target page; so
must every ``url(...)`` and ``@import`` of the stylesheets the pages link (the web fonts).
External links (``http:``, ``https:``, ``mailto:``, ...) are listed, never fetched.
Exit status 1 if anything is broken.

    python tools/check_links.py _build/site
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRIBUTES = {"a": "href", "link": "href", "area": "href", "img": "src", "script": "src",
                   "iframe": "src", "source": "src", "video": "src", "audio": "src", "embed": "src"}


class PageParser(HTMLParser):
    """The link targets and the anchor names of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attributes.get(name):
                self.anchors.add(attributes[name])
        target = attributes.get(LINK_ATTRIBUTES.get(tag, ""))
        if target is not None:
            self.links.append(target.strip())


# url(...) in a stylesheet (quoted or not), and @import "..." without url().
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+["']([^"']+)["']""")


def stylesheet_links(sheet: Path) -> list[str]:
    """The targets of a stylesheet's ``url(...)`` and ``@import``, comments left out."""
    text = re.sub(r"/\*.*?\*/", "", sheet.read_text(encoding="utf-8", errors="replace"), flags=re.DOTALL)
    return [next(group for group in match.groups() if group is not None).strip() for match in _CSS_URL.finditer(text)]


def parse(page: Path) -> PageParser:
    parser = PageParser()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def check(root: Path) -> tuple[list[str], dict[str, set[str]]]:
    """Return the broken links (as messages) and the external links (url -> pages)."""
    root = root.resolve()
    pages = {page: parse(page) for page in sorted(root.rglob("*.html"))}
    broken: list[str] = []
    external: dict[str, set[str]] = defaultdict(set)
    sheets: list[Path] = []   # the stylesheets the pages link, then those they import
    for page, parsed in pages.items():
        where = page.relative_to(root)
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme == "data" or parts.scheme == "javascript":
                continue
            if parts.scheme or parts.netloc:
                external[link].add(str(where))
                continue
            if not parts.path and not parts.fragment:
                broken.append(f"{where}: empty link")
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(root):
                broken.append(f"{where}: {link} leaves {root}")
            elif not target.is_file():
                broken.append(f"{where}: {link} -> missing {target.relative_to(root)}")
            elif target.suffix == ".css":
                if target not in sheets:
                    sheets.append(target)
            elif parts.fragment and not parts.fragment.startswith("/") and target.suffix == ".html":
                anchors = pages[target].anchors if target in pages else parse(target).anchors
                if unquote(parts.fragment) not in anchors and parts.fragment not in anchors:
                    broken.append(f"{where}: {link} -> no anchor #{unquote(parts.fragment)}")
    for sheet in sheets:   # grows while it runs: an imported stylesheet is checked in turn
        where = sheet.relative_to(root)
        for link in stylesheet_links(sheet):
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                if parts.scheme != "data":
                    external[link].add(str(where))
                continue
            if not parts.path:
                continue
            target = (sheet.parent / unquote(parts.path)).resolve()
            if not target.is_relative_to(root):
                broken.append(f"{where}: {link} leaves {root}")
            elif not target.is_file():
                broken.append(f"{where}: {link} -> missing {target.relative_to(root)}")
            elif target.suffix == ".css" and target not in sheets:
                sheets.append(target)
    return broken, external


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+", help="folders of HTML pages")
    args = parser.parse_args()
    failed = False
    for folder in args.folders:
        broken, external = check(folder)
        pages = len(list(folder.rglob("*.html")))
        print(f"{folder}: {pages} pages, {len(broken)} broken links, {len(external)} external links (not fetched)")
        for url in sorted(external):
            print(f"  external {url}  (in {', '.join(sorted(external[url]))})")
        for message in broken:
            print(f"  BROKEN {message}")
        failed = failed or bool(broken)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
