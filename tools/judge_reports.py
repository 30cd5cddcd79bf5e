"""Pass/fail of the sanitizer and valgrind runs, from their reports.

``judge_reports.py asan LOGDIR SUPP ROOT [OUTPUT...]``: LOGDIR holds the
``log_path`` files of every process of the run (pytest and the subprocesses the
tests start, whose stderr the tests capture). Fails on any ASan error, on any
UBSan report (UBSan writes to stderr, not log_path, when ASan is loaded: so the
OUTPUT files, pytest's own output, are searched too), on any leak with a
runiso_core frame, and on any other leak that no entry of SUPP (tools/lsan.supp)
names.

``judge_reports.py valgrind XML``: fails on any memcheck error that is not a leak
(valgrind's --error-exitcode says so too; this prints it) and on any
"definitely lost" block allocated under a runiso_core frame. memcheck unwinds
with the debug info (every frame, through CPython), so its stacks do reach our
modules; the leaks with no such frame are CPython's and numpy's and are counted.

Prints one line on success, the offending reports on failure; exit 1 on failure.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

FRAME = re.compile(r"^\s+#\d+ 0x[0-9a-f]+\s+(?:in (?P<fn>\S+)|\()")
LEAK = re.compile(r"^(Direct|Indirect) leak of \d+ byte\(s\) in \d+ object\(s\) allocated from:")
REPORT = re.compile(r"runtime error: |ERROR: (Address|Undefined)Sanitizer")


def ours(text, root):
    """Is this frame (function, file or module text) in runiso_core? Modules live in
    site-packages/runiso_core/, Cython's C in build/*/src/runiso_core/, the cores in ext/."""
    return "runiso_core/" in text or (root + "/ext/") in text


def template_match(templ, s):
    """LSan's suppression matching: substring, ^/$ anchors, * wildcard."""
    rx = re.escape(templ.strip("^$")).replace(r"\*", ".*")
    return re.search(("^" if templ.startswith("^") else "") + rx + ("$" if templ.endswith("$") else ""),
                     s) is not None


def load_supp(path):
    out = []
    for line in open(path):
        line = line.strip()
        if line.startswith("leak:"):
            out.append(line[len("leak:"):])
    return out


def split_leaks(text):
    """(header, frame lines) of each leak record of one LSan report."""
    recs, cur = [], None
    for line in text.splitlines():
        if LEAK.match(line):
            cur = (line, [])
            recs.append(cur)
        elif cur is not None and FRAME.match(line):
            cur[1].append(line)
        elif cur is not None and line.strip() == "":
            cur = None
    return recs


def judge_asan(logdir, supp_path, root, outputs):
    supp = load_supp(supp_path)
    bad, tolerated, files = [], 0, sorted(os.listdir(logdir))
    for name in files:
        text = open(os.path.join(logdir, name), errors="replace").read()
        if "ERROR: LeakSanitizer" not in text or "ERROR: AddressSanitizer" in text:
            bad.append(f"--- {name}\n{text}")       # any report but leaks is an error
            continue
        for header, frames in split_leaks(text):
            parsed = [FRAME.match(f) for f in frames]
            if any(ours(f, root) for f in frames):
                bad.append(f"--- {name}: a leak under a runiso_core frame\n{header}\n" + "\n".join(frames))
            elif any(template_match(t, m.group("fn") or "") for m in parsed for t in supp):
                tolerated += 1
            else:
                bad.append(f"--- {name}: a leak no entry of {supp_path} names\n{header}\n" + "\n".join(frames))
    for path in outputs:
        lines = open(path, errors="replace").read().splitlines()
        hits = [i for i, ln in enumerate(lines) if REPORT.search(ln)]
        if hits:
            bad.append(f"--- {path}: sanitizer output\n" + "\n".join(lines[max(0, hits[0] - 2):hits[0] + 30]))
    if bad:
        print("\n".join(bad))
        print(f"sanitize: FAILED: {len(bad)} report(s) above (logs: {logdir})")
        return 1
    print(f"sanitize: no ASan/UBSan report; {tolerated} leak record(s) of CPython/numpy/dependencies "
          f"tolerated by {os.path.basename(supp_path)} in {len(files)} process report(s), none under runiso_core")
    return 0


def frame_text(f):
    return " ".join(f.findtext(k) or "" for k in ("fn", "obj", "dir", "file"))


def judge_valgrind(xml_path):
    root = ET.parse(xml_path).getroot()
    bad, lost_others = [], 0
    for e in root.iter("error"):
        kind = e.findtext("kind")
        what = e.findtext("what") or e.findtext("xwhat/text")
        frames = e.find("stack").findall("frame")
        stack = "\n".join("    " + " ".join(x for x in (f.findtext("fn") or "?", f.findtext("obj") or "",
                                                           f.findtext("file") or "", f.findtext("line") or "")
                                             if x) for f in frames[:25])
        if not kind.startswith("Leak_"):
            bad.append(f"{kind}: {what}\n{stack}")
        elif kind == "Leak_DefinitelyLost":
            if any("runiso_core/" in frame_text(f) for f in frames):
                bad.append(f"{kind} under a runiso_core frame: {what}\n{stack}")
            else:
                lost_others += 1
    if bad:
        print("\n".join(bad))
        print(f"valgrind: FAILED: {len(bad)} error(s) above ({xml_path})")
        return 1
    print(f"valgrind: no memcheck error; {lost_others} definitely-lost record(s), none under a runiso_core "
          f"frame (CPython's/numpy's)")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "asan":
        sys.exit(judge_asan(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]))
    sys.exit(judge_valgrind(sys.argv[2]))
