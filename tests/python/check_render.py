#!/usr/bin/python3
"""Checks behind tests/cli/report_render.sh.

  check_render.py html REPORT_DIR       report.html: self-contained, every figure present and drawn
  check_render.py png SCREENSHOT.png    the browser screenshot is not blank
  check_render.py svg FILE.svg          one gnuplot SVG plots data (self-check of the detector)

html: every <figure data-figure="..."> names a file that exists in REPORT_DIR;
every inline <svg> plots data (a gnuplot_plot group drawing a point that is
not a key sample: see Scan); the number of inline SVGs equals the
number of figures in summary.json; no <script>, no <link>, no src/href to a
network URL (namespace declarations aside). png: decodes the PNG (zlib + the
five row filters, no third-party modules) and requires enough non-background
pixels and colours. Prints "N passed, M failed"; exit 1 on any failure.
"""
import json
import os
import re
import struct
import sys
import zlib
from html.parser import HTMLParser

passed = 0
failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


NUM = r"-?\d+(?:\.\d+)?"
KEY_DY = 12.0  # px: a key sample (line, point, box, error bar) lies within this of its key text


class Scan(HTMLParser):
    """Figures, inline SVGs and the data each SVG's plot groups draw.

    gnuplot wraps each plotted series in <g id="gnuplot_plot_N">; axes, tics,
    grid and border lie outside those groups. Inside one, a titled series first
    writes its key text (a <g transform="translate(x,y)"> around <text>) and
    draws a key sample at about the same height; every other drawn point (a
    <use>, or a coordinate pair of a path or polygon) is data. A figure none of
    whose plot groups draws a data point is an empty plot."""

    def __init__(self):
        super().__init__()
        self.figures = []
        self.svgs = []  # per top-level svg: data points drawn per plot group
        self.in_svg = 0
        self.gstack = []  # per open <g>: is it a gnuplot_plot group
        self.scripts = 0
        self.links = 0
        self.network = []
        self.key_ys = []
        self.pts = []

    def _close_group(self):
        n = sum(1 for y in self.pts if all(abs(y - k) > KEY_DY for k in self.key_ys))
        self.svgs[-1].append(n)
        self.key_ys, self.pts = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure" and "data-figure" in a:
            self.figures.append(a["data-figure"])
        if tag == "script":
            self.scripts += 1
        if tag == "link":
            self.links += 1
        for k in ("src", "href", "xlink:href"):
            v = a.get(k) or ""
            if re.match(r"^\s*(https?:|//)", v):
                self.network.append(f"<{tag} {k}={v}>")
        if tag == "svg":
            self.in_svg += 1
            if self.in_svg == 1:
                self.svgs.append([])
                self.gstack = []
            return
        if not self.in_svg:
            return
        inside = any(self.gstack)
        if tag == "g":
            plot = (a.get("id") or "").startswith("gnuplot_plot_")
            if plot:
                self.key_ys, self.pts = [], []
            elif inside:
                m = re.search(r"translate\((" + NUM + r"),\s*(" + NUM + r")\)", a.get("transform") or "")
                if m:
                    self.key_ys.append(float(m.group(2)))
            self.gstack.append(plot)
            return
        if not inside:
            return
        if tag == "use":
            m = re.search(r"translate\((" + NUM + r"),\s*(" + NUM + r")\)", a.get("transform") or "")
            if m:
                self.pts.append(float(m.group(2)))
        elif tag in ("path", "polyline", "polygon"):
            nums = [float(x) for x in re.findall(NUM, a.get("d") or a.get("points") or "")]
            self.pts.extend(nums[1::2])
        elif tag == "circle":
            self.pts.append(float(a.get("cy", "0")))
        elif tag == "rect":
            self.pts.append(float(a.get("y", "0")))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "g" and self.in_svg and self.gstack:
            self.handle_endtag("g")

    def handle_endtag(self, tag):
        if tag == "svg" and self.in_svg:
            self.in_svg -= 1
        elif tag == "g" and self.in_svg and self.gstack:
            if self.gstack.pop():
                self._close_group()


def check_html(d):
    html_path = os.path.join(d, "report.html")
    with open(html_path, encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(d, "summary.json")) as f:
        summary = json.load(f)
    s = Scan()
    s.feed(text)
    figs = summary.get("figures", [])
    check("summary has figures", len(figs) > 0)
    check("one <figure> per summary figure", len(s.figures) == len(figs), f"{len(s.figures)} vs {len(figs)}")
    check("one inline <svg> per figure", len(s.svgs) == len(figs), f"{len(s.svgs)} vs {len(figs)}")
    for ref in s.figures:
        check(f"figure file {ref} exists", os.path.isfile(os.path.join(d, ref)))
    for f in figs:
        for k in ("svg", "png", "tsv", "gp"):
            p = os.path.join(d, f[k])
            check(f"{f['name']}.{k} exists and is not empty", os.path.isfile(p) and os.path.getsize(p) > 0)
        rows = f.get("data", {}).get("rows", [])
        check(f"{f['name']} has data rows in summary.json", len(rows) > 0)
    for i, groups in enumerate(s.svgs):
        name = figs[i]["name"] if i < len(figs) else f"svg{i}"
        best = max(groups) if groups else 0
        check(f"svg {name} plots data", best > 0, f"(plot groups {len(groups)}, data points drawn {groups})")
    check("no <script>", s.scripts == 0, f"({s.scripts})")
    check("no <link>", s.links == 0, f"({s.links})")
    check("no network URL in src/href", not s.network, " ".join(s.network[:5]))
    if summary.get("simulated"):
        check("SIMULATED banner at the top of report.html", "SIMULATED" in text[:2000])
        with open(os.path.join(d, "report.md"), encoding="utf-8") as f:
            check("SIMULATED banner at the top of report.md", "SIMULATED" in f.read(400))
        check("SIMULATED banner in summary.json", "SIMULATED" in summary.get("banner", ""))


def png_pixels(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        ln, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + ln]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {ctype}, interlace {interlace})")
            bpp = 3 if ctype == 2 else 4
        elif typ == b"IDAT":
            idat += body
        pos += 12 + ln
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    i = 0
    for _ in range(h):
        ft = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if ft == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif ft == 2:
            for x in range(stride):
                line[x] = (line[x] + prev[x]) & 255
        elif ft == 3:
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 255
        elif ft == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def check_png(path):
    w, h, bpp, rows = png_pixels(path)
    check("screenshot size", w >= 800 and h >= 1000, f"{w}x{h}")
    bg = rows[0][:3]
    non_bg = 0
    colours = set()
    total = 0
    for y in range(0, h, 4):
        r = rows[y]
        for x in range(0, w * bpp, 4 * bpp):
            px = r[x:x + 3]
            total += 1
            if px != bg:
                non_bg += 1
            colours.add(px)
    share = non_bg / max(1, total)
    check("screenshot is not blank", share > 0.02, f"({100 * share:.2f}% non-background pixels)")
    check("screenshot has colour (plots drawn)", len(colours) > 20, f"({len(colours)} colours)")
    print(f"screenshot {path}: {w}x{h}, {100 * share:.1f}% non-background, {len(colours)} colours sampled")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "svg":  # one SVG file: does it plot data?
        sc = Scan()
        with open(sys.argv[2], encoding="utf-8") as f:
            sc.feed(f.read())
        groups = sc.svgs[0] if sc.svgs else []
        check(f"{sys.argv[2]} plots data", bool(groups) and max(groups) > 0, f"(data points per plot group {groups})")
        print(f"check_render svg: {passed} passed, {failed} failed")
        return 1 if failed else 0
    if len(sys.argv) != 3 or sys.argv[1] not in ("html", "png"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if sys.argv[1] == "html":
            check_html(sys.argv[2])
        else:
            check_png(sys.argv[2])
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as e:
        check(f"{sys.argv[1]} {sys.argv[2]} readable", False, str(e))
    print(f"check_render {sys.argv[1]}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
