#!/usr/bin/env python3
"""Where a WASM file's code bytes go, by crate, read from its name section.

Usage: scripts/wasm-bloat.py FILE.wasm [--top N] [--grep WORD]

The WASM must keep its name section (wasm-opt -g; scripts/wasm-size.sh builds one). Symbols
are best mangled with v0 (RUSTFLAGS="-C symbol-mangling-version=v0"), whose names carry the
generic arguments: a function of serde or tachys instantiated for one of this crate's types
then counts under "maruntime via <crate>", which is what a change to our code can remove.
"""
import re
import sys
from collections import Counter, defaultdict


def leb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def read_name(data, pos):
    length, pos = leb(data, pos)
    return data[pos:pos + length].decode("utf-8", "replace"), pos + length


def sections(data):
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, pos = leb(data, pos + 1)
        yield sid, data[pos:pos + size]
        pos += size


def imported_functions(body):
    count, pos = leb(body, 0)
    funcs = 0
    for _ in range(count):
        _, pos = read_name(body, pos)
        _, pos = read_name(body, pos)
        kind = body[pos]
        pos += 1
        if kind == 0:
            _, pos = leb(body, pos)
            funcs += 1
        elif kind == 1:  # table: reftype, limits
            pos += 1
            flags = body[pos]
            _, pos = leb(body, pos + 1)
            if flags & 1:
                _, pos = leb(body, pos)
        elif kind == 2:  # memory: limits
            flags = body[pos]
            _, pos = leb(body, pos + 1)
            if flags & 1:
                _, pos = leb(body, pos)
        elif kind == 3:  # global: type, mutability
            pos += 2
        elif kind == 4:  # tag
            _, pos = leb(body, pos + 1)
    return funcs


def function_names(body):
    name, pos = read_name(body, 0)
    if name != "name":
        return None
    names = {}
    while pos < len(body):
        sub = body[pos]
        size, pos = leb(body, pos + 1)
        if sub == 1:
            count, p = leb(body, pos)
            for _ in range(count):
                idx, p = leb(body, p)
                fname, p = read_name(body, p)
                names[idx] = fname
        pos += size
    return names


CRATE_V0 = re.compile(r"C(?:s[0-9a-zA-Z_]*_)?([0-9]+)([A-Za-z_][A-Za-z0-9_]*)")


def crates_of(symbol):
    """The crates a symbol names, owner first."""
    if symbol.startswith("_R"):
        found = []
        for m in CRATE_V0.finditer(symbol):
            n = int(m.group(1))
            found.append(m.group(2)[:n])
        return found or ["?"]
    if symbol.startswith("_ZN"):
        m = re.match(r"_ZN([0-9]+)", symbol)
        n = int(m.group(1))
        start = m.end()
        return [symbol[start:start + n]]
    return [symbol.split("::")[0].split("<")[0] or "?"]


def main():
    args = sys.argv[1:]
    top = 40
    grep = None
    if "--top" in args:
        top = int(args[args.index("--top") + 1])
    if "--grep" in args:
        grep = args[args.index("--grep") + 1]
    data = open(args[0], "rb").read()
    imports = 0
    code_sizes = []
    names = {}
    total = len(data)
    section_sizes = Counter()
    for sid, body in sections(data):
        section_sizes[sid] += len(body)
        if sid == 2:
            imports = imported_functions(body)
        elif sid == 10:
            count, pos = leb(body, 0)
            for _ in range(count):
                size, p = leb(body, pos)
                code_sizes.append(size + (p - pos))
                pos = p + size
        elif sid == 0:
            got = function_names(body)
            if got is not None:
                names = got
    code_total = sum(code_sizes)
    print(f"file {total} bytes; code {code_total}; data {section_sizes[11]}; "
          f"{len(code_sizes)} functions; names for {len(names)}")
    by_owner = Counter()
    by_ours = Counter()
    biggest = []
    for i, size in enumerate(code_sizes):
        sym = names.get(imports + i, "?")
        crates = crates_of(sym)
        owner = crates[0]
        by_owner[owner] += size
        if "maruntime" in crates:
            key = "maruntime" if owner == "maruntime" else f"maruntime via {owner}"
            by_ours[key] += size
        if grep and grep in sym:
            biggest.append((size, sym))
        elif not grep:
            biggest.append((size, sym))
    print("\nby owning crate:")
    for crate, size in by_owner.most_common(top):
        print(f"  {size:>9}  {100 * size / code_total:5.1f}%  {crate}")
    print("\ninstantiated for maruntime's own code or types:")
    for key, size in by_ours.most_common(top):
        print(f"  {size:>9}  {100 * size / code_total:5.1f}%  {key}")
    biggest.sort(reverse=True)
    print(f"\nbiggest functions{' matching ' + grep if grep else ''}:")
    for size, sym in biggest[:top]:
        print(f"  {size:>9}  {sym[:220]}")
    if grep:
        print(f"  total {sum(s for s, _ in biggest)} in {len(biggest)} functions")


if __name__ == "__main__":
    main()
