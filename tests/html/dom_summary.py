#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What a browser made of an HTML report, as JSON for the tests.

Reads the DOM that `chromium --headless --dump-dom` printed (a file, or -)
and says what a reader would see: how many elements of each kind and class,
the text of every element with an id, the cells of the first divergence,
and anything that could run or fetch: script and other active elements,
on* attributes, URLs that leave the file.
"""
import json
import sys
from html.parser import HTMLParser

ACTIVE = {"script", "iframe", "object", "embed", "img", "link", "base",
          "form", "input", "video", "audio", "source", "meta-refresh"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = {}
        self.classes = {}
        self.ids = {}
        self.active = []
        self.event_attrs = []
        self.external = []
        self.stack = []        # [tag, id or None, text parts]
        self.rows = {}         # tr class -> list of rows (list of cells)
        self.cell = None
        self.row = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        cls = (a.get("class") or "").split()
        if cls:
            key = tag + "." + ".".join(cls)
            self.classes[key] = self.classes.get(key, 0) + 1
        if tag in ACTIVE or (tag == "meta" and
                             (a.get("http-equiv") or "").lower() == "refresh"):
            self.active.append(tag)
        for k, v in attrs:
            if k.lower().startswith("on"):
                self.event_attrs.append(k)
            if k.lower() in ("src", "href", "xlink:href", "action",
                             "formaction", "poster", "background") and \
                    not (v or "").startswith("#"):
                self.external.append(v)
            if k.lower() == "style" and "url(" in (v or ""):
                self.external.append(v)
        if tag == "tr":
            self.row = (" ".join(cls), [])
        if tag in ("td", "th") and self.row is not None:
            self.cell = []
        if tag not in VOID:
            self.stack.append([tag, a.get("id"), []])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row:
            self.row[1].append("".join(self.cell).strip())
            self.cell = None
        if tag == "tr" and self.row is not None:
            self.rows.setdefault(self.row[0], []).append(self.row[1])
            self.row = None
        while self.stack:
            t, i, text = self.stack.pop()
            s = "".join(text)
            if self.stack:
                self.stack[-1][2].append(s)
            if i is not None:
                self.ids[i] = " ".join(s.split())[:2000]
            if t == tag:
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2].append(data)
        if self.cell is not None:
            self.cell.append(data)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "-"
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    d = Dom()
    d.feed(text)
    d.close()
    json.dump({
        "tags": d.tags,
        "classes": d.classes,
        "ids": d.ids,
        "active": d.active,
        "event_attrs": d.event_attrs,
        "external": d.external,
        "rows": d.rows,
    }, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
