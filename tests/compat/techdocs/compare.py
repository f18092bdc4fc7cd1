# SPDX-License-Identifier: MIT
"""Compares a greenroom TechDocs build with MkDocs' build of the same site:
page set, navigation titles and order, heading ids and link targets per page,
and the locations and titles of the search index entries.

usage: compare.py MKDOCS_DUMP_JSON GREENROOM_OUT_DIR
Prints every difference and exits 1 when there is one."""
import json
import os
import sys
from html.parser import HTMLParser


class Extract(HTMLParser):
    """Collects heading ids and link/image targets in document order."""

    def __init__(self):
        super().__init__()
        self.ids = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and attrs.get("id"):
            self.ids.append(attrs["id"])
        if tag == "a" and attrs.get("href") is not None:
            self.links.append(attrs["href"])
        if tag == "img" and attrs.get("src") is not None:
            self.links.append(attrs["src"])


def extract(html):
    parser = Extract()
    parser.feed(html)
    parser.close()
    return parser.ids, parser.links


def flatten(items, depth=0):
    rows = []
    for item in items:
        rows.append((depth, item["type"], item.get("title"), item.get("url")))
        if item["type"] == "section":
            rows.extend(flatten(item["children"], depth + 1))
    return rows


def page_file(out_dir, url):
    path = "" if url in ("", "./") else url
    return os.path.join(out_dir, path, "index.html")


def main():
    dump_path, out_dir = sys.argv[1:3]
    with open(dump_path, encoding="utf-8") as handle:
        mkdocs = json.load(handle)
    with open(os.path.join(out_dir, "techdocs_nav.json"), encoding="utf-8") as handle:
        greenroom_nav = json.load(handle)["items"]
    with open(os.path.join(out_dir, "search", "search_index.json"), encoding="utf-8") as handle:
        index = json.load(handle)

    differences = []
    expected_pages = sorted(page["url"] for page in mkdocs["pages"].values())
    actual_pages = sorted((doc["location"] or "./") for doc in index["docs"]
                          if "#" not in doc["location"])
    if expected_pages != actual_pages:
        differences.append(f"page set: mkdocs {expected_pages} != greenroom {actual_pages}")

    expected_nav = flatten(mkdocs["nav"])
    actual_nav = flatten(greenroom_nav)
    for position in range(max(len(expected_nav), len(actual_nav))):
        left = expected_nav[position] if position < len(expected_nav) else None
        right = actual_nav[position] if position < len(actual_nav) else None
        if left != right:
            differences.append(f"nav entry {position}: mkdocs {left} != greenroom {right}")

    for src, page in sorted(mkdocs["pages"].items()):
        path = page_file(out_dir, page["url"])
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as handle:
            actual_ids, actual_links = extract(handle.read())
        expected_ids, expected_links = extract(page["html"])
        if expected_ids != actual_ids:
            differences.append(f"{src}: heading ids: mkdocs {expected_ids} != greenroom {actual_ids}")
        if expected_links != actual_links:
            missing = [link for link in expected_links if link not in actual_links]
            extra = [link for link in actual_links if link not in expected_links]
            differences.append(f"{src}: link targets differ: only in mkdocs {missing}, "
                               f"only in greenroom {extra}" if missing or extra else
                               f"{src}: link targets in a different order")

    mkdocs_index = os.path.join(os.path.dirname(dump_path), "mkdocs-site", "search",
                                "search_index.json")
    if os.path.exists(mkdocs_index):
        with open(mkdocs_index, encoding="utf-8") as handle:
            # Text is left out: code highlighting and inline attribute lists,
            # which greenroom does not render, change the words MkDocs indexes.
            expected_docs = [(doc["location"], doc["title"]) for doc in json.load(handle)["docs"]]
        actual_docs = [(doc["location"], doc["title"]) for doc in index["docs"]]
        for position in range(max(len(expected_docs), len(actual_docs))):
            left = expected_docs[position] if position < len(expected_docs) else None
            right = actual_docs[position] if position < len(actual_docs) else None
            if left != right:
                differences.append(f"search entry {position}: mkdocs {left} != greenroom {right}")

    for line in differences:
        print(f"  DIFF {line}")
    print(f"  {len(expected_pages)} pages, {len(expected_nav)} nav entries, "
          f"{len(differences)} differences")
    sys.exit(1 if differences else 0)


main()
