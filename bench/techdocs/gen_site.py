#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a synthetic TechDocs site of N pages for the build benchmark.

usage: gen_site.py --pages N --out DIR [--seed S]

The output (DIR/mkdocs.yml and DIR/docs/) depends only on N and the seed.
Pages average about 250 Markdown lines: headings of levels 1 to 4,
paragraphs with inline code, emphasis and links to other pages (some to a
heading of the target), fenced code, tables, admonitions, nested lists,
quotes and images. Pages sit in folders of at most 10 pages; every folder
has an index.md, and the nav lists every page under its top folder.
"""
import argparse
import os
import random
import struct
import zlib

WORDS = ("service catalog entity owner team deploy cluster config release pipeline "
         "request response token schema template module package branch commit review "
         "metric alert dashboard query index cache queue worker storage bucket policy "
         "access secret rotate upgrade migrate rollback latency budget incident").split()
LANGUAGES = ["python", "yaml", "bash", "json", "go", "typescript", "sql", "c"]
ADMONITIONS = ["note", "tip", "warning", "danger", "info", "example"]


def png(width, height, colour):
    """Returns a small solid-colour PNG."""
    rows = b"".join(b"\x00" + bytes(colour) * width for _ in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class Site:
    def __init__(self, pages, seed):
        self.rng = random.Random(seed)
        self.paths = self.layout(pages)
        self.titles = {path: self.title(i) for i, path in enumerate(self.paths)}
        self.headings = {path: [self.phrase(3).capitalize() + " %d" % k for k in range(1, 9)]
                         for path in self.paths}

    def phrase(self, count):
        return " ".join(self.rng.choice(WORDS) for _ in range(count))

    def title(self, index):
        return "%s %d" % (self.phrase(2).capitalize(), index)

    def layout(self, pages):
        """Page paths: index.md, then folders of up to 10 pages, 10 folders per parent."""
        paths = ["index.md"]
        folder = 0
        while len(paths) < pages:
            parent = "area-%d" % (folder // 10)
            base = "%s/part-%d" % (parent, folder % 10)
            if folder % 10 == 0:
                paths.append(parent + "/index.md")
            paths.append(base + "/index.md")
            for page in range(9):
                if len(paths) >= pages:
                    break
                paths.append("%s/page-%d.md" % (base, page))
            folder += 1
        return paths[:pages]

    def link(self, source):
        target = self.rng.choice(self.paths)
        up = "../" * source.count("/")
        anchor = ""
        if self.rng.random() < 0.3:
            heading = self.rng.choice(self.headings[target])
            anchor = "#" + heading.lower().replace(" ", "-")
        return "[%s](%s%s%s)" % (self.titles[target], up, target, anchor)

    def paragraph(self, source, indent=""):
        words = []
        for _ in range(self.rng.randint(30, 70)):
            roll = self.rng.random()
            word = self.rng.choice(WORDS)
            if roll < 0.05:
                word = "`%s_%s`" % (word, self.rng.choice(WORDS))
            elif roll < 0.08:
                word = "*%s*" % word
            elif roll < 0.10:
                word = "**%s**" % word
            elif roll < 0.13:
                word = self.link(source)
            elif roll < 0.14:
                word = "[docs](https://example.com/%s)" % word
            words.append(word)
        lines, line = [], []
        for word in words:
            line.append(word)
            if len(line) >= 12:
                lines.append(indent + " ".join(line))
                line = []
        if line:
            lines.append(indent + " ".join(line))
        return lines

    def code(self):
        body = ["%s = %s(%s)" % (self.rng.choice(WORDS), self.rng.choice(WORDS),
                                 self.rng.choice(WORDS)) for _ in range(self.rng.randint(4, 14))]
        return ["```" + self.rng.choice(LANGUAGES)] + body + ["```"]

    def table(self, source):
        columns = self.rng.randint(3, 5)
        rows = ["| " + " | ".join(self.phrase(1).capitalize() for _ in range(columns)) + " |",
                "|" + "---|" * columns]
        for _ in range(self.rng.randint(3, 8)):
            cells = [self.phrase(self.rng.randint(1, 3)) for _ in range(columns)]
            if self.rng.random() < 0.2:
                cells[0] = self.link(source)
            rows.append("| " + " | ".join(cells) + " |")
        return rows

    def admonition(self, source):
        kind = self.rng.choice(ADMONITIONS)
        return ['!!! %s "%s"' % (kind, self.phrase(3).capitalize()), ""] + \
            self.paragraph(source, "    ")

    def bullets(self, source, depth=0):
        lines = []
        for _ in range(self.rng.randint(2, 6)):
            lines.append("    " * depth + "- " + self.phrase(self.rng.randint(4, 10)))
            if depth < 2 and self.rng.random() < 0.2:
                lines += self.bullets(source, depth + 1)
        return lines

    def block(self, source):
        roll = self.rng.random()
        if roll < 0.45:
            return self.paragraph(source)
        if roll < 0.60:
            return self.code()
        if roll < 0.70:
            return self.table(source)
        if roll < 0.80:
            return self.admonition(source)
        if roll < 0.90:
            return self.bullets(source)
        if roll < 0.95:
            up = "../" * source.count("/")
            return ["![%s](%simg/figure-%d.png)" % (self.phrase(2), up, self.rng.randint(1, 3))]
        return ["> " + line for line in self.paragraph(source)]

    def page(self, source):
        lines = ["# " + self.titles[source], ""] + self.paragraph(source) + [""]
        for number, heading in enumerate(self.headings[source]):
            level = "##" if number % 3 == 0 else ("###" if number % 3 == 1 else "####")
            lines += [level + " " + heading, ""]
            for _ in range(self.rng.randint(3, 6)):
                lines += self.block(source) + [""]
        return "\n".join(lines) + "\n"

    def nav(self):
        lines = ["nav:", '  - "Home": index.md']
        current = None
        for path in self.paths[1:]:
            parts = path.split("/")
            if parts[0] != current:
                current = parts[0]
                lines.append('  - "%s":' % current)
            lines.append('      - "%s": %s' % (self.titles[path], path))
        return lines

    def write(self, out):
        docs = os.path.join(out, "docs")
        for path in self.paths:
            target = os.path.join(docs, path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="\n") as file:
                file.write(self.page(path))
        os.makedirs(os.path.join(docs, "img"), exist_ok=True)
        for number, colour in enumerate([(20, 80, 160), (160, 40, 40), (40, 140, 60)], 1):
            with open(os.path.join(docs, "img", "figure-%d.png" % number), "wb") as file:
                file.write(png(24, 16, colour))
        config = ["site_name: Benchmark docs (%d pages)" % len(self.paths),
                  "repo_url: https://github.com/example/bench-docs",
                  "edit_uri: edit/main/docs/",
                  "theme:", "  name: material",
                  "plugins:", "  - search",
                  "markdown_extensions:", "  - admonition", "  - tables",
                  "  - toc:", "      permalink: true"] + self.nav()
        with open(os.path.join(out, "mkdocs.yml"), "w", encoding="utf-8", newline="\n") as file:
            file.write("\n".join(config) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if os.path.exists(os.path.join(args.out, "docs")):
        raise SystemExit("%s/docs exists already; remove it first" % args.out)
    Site(args.pages, args.seed).write(args.out)


if __name__ == "__main__":
    main()
