# SPDX-License-Identifier: MIT
"""MkDocs hook that writes what the TechDocs comparison needs: the navigation
with titles and each page's URL, title and rendered HTML (before theming)."""
import json
import os

_state = {"nav": None, "pages": {}}


def on_nav(nav, config, files):
    _state["nav"] = nav
    return nav


def on_page_content(html, page, config, files):
    _state["pages"][page.file.src_uri] = {
        "url": page.url or "./",
        "title": page.title,
        "html": html,
    }
    return html


def _item(item):
    if item.is_section:
        return {"type": "section", "title": item.title,
                "children": [_item(child) for child in item.children]}
    if item.is_page:
        return {"type": "page", "title": item.title, "url": item.url or "./"}
    return {"type": "link", "title": item.title, "url": item.url}


def on_post_build(config):
    out = os.environ["GR_MKDOCS_DUMP"]
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"nav": [_item(item) for item in _state["nav"]],
                   "pages": _state["pages"]}, handle)
