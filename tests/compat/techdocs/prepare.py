# SPDX-License-Identifier: MIT
"""Writes a copy of a site's mkdocs.yml that Debian's MkDocs 1.4 can build with
the same Markdown features greenroom supports, so both builds compare.

usage: prepare.py SRC_MKDOCS_YML OUT_MKDOCS_YML HOOK_PY THEME_DIR
Prints one line per dropped plugin or extension. Exits 3 when the site
cannot be built by MkDocs at all (the reason is printed)."""
import sys

import yaml

# The extensions greenroom renders (see src/plugins/techdocs/build/config.c).
SUPPORTED = {
    "toc", "tables", "fenced_code", "admonition", "footnotes", "def_list", "attr_list",
    "pymdownx.details", "pymdownx.magiclink", "pymdownx.tasklist", "pymdownx.tilde",
    "pymdownx.superfences", "extra",
}
# What techdocs-core adds that greenroom renders.
TECHDOCS_CORE = [
    "admonition", "attr_list", "def_list", "footnotes", {"toc": {"permalink": True}},
    "pymdownx.details", "pymdownx.magiclink", "pymdownx.tasklist", "pymdownx.tilde",
    "pymdownx.superfences",
]


class TolerantLoader(yaml.SafeLoader):
    """Keeps tags such as !!python/name: as plain strings."""


def _any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


TolerantLoader.add_multi_constructor("", _any_tag)


def _name(entry):
    return entry if isinstance(entry, str) else next(iter(entry))


def main():
    src, out, hook, theme = sys.argv[1:5]
    with open(src, encoding="utf-8") as handle:
        config = yaml.load(handle, Loader=TolerantLoader)

    plugins = config.get("plugins") or []
    if isinstance(plugins, dict):
        plugins = [{key: value} for key, value in plugins.items()]
    names = [_name(entry) for entry in plugins]
    if "monorepo" in names:
        print("needs the monorepo plugin, which Debian does not package")
        sys.exit(3)

    extensions = []
    for entry in config.get("markdown_extensions") or []:
        name = _name(entry)
        if name.replace("markdown.extensions.", "") in SUPPORTED:
            extensions.append(entry)
        else:
            print(f"dropped extension {name}")
    if "techdocs-core" in names:
        extensions = TECHDOCS_CORE + extensions
    for name in names:
        if name not in ("search", "techdocs-core"):
            print(f"dropped plugin {name}")

    config["markdown_extensions"] = extensions
    config["plugins"] = ["search"]
    config["hooks"] = [hook]
    # A theme without files, so no theme asset can satisfy a link.
    config["theme"] = {"name": None, "custom_dir": theme}
    for key in ("exclude_docs", "watch", "extra_css", "extra_javascript"):
        config.pop(key, None)
    with open(out, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)


main()
