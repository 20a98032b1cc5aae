#!/usr/bin/env python3
"""Which code of a running binary is resident in memory, by crate (issue 31's idle RSS).

Usage (as root, which /proc/PID/pagemap needs): scripts/resident-code.py PID BINARY [TOP]
  e.g. after `scripts/serve-release.sh &`: scripts/resident-code.py $! target/release/maruntime

Reads the executable's code mappings from /proc/PID/maps, which of their pages are present
from /proc/PID/pagemap, and charges each present page to the symbol at its address (nm,
demangled), summed by the symbol's first path segment (its crate, or `core` for generic code
monomorphised from core). Pages the kernel mapped around a touched one (fault-around) count
as resident, as they do in RSS."""
import sys, struct, subprocess, collections, re, bisect
pid = int(sys.argv[1]); exe = sys.argv[2]
PAGE = 4096
maps = []
for line in open(f'/proc/{pid}/maps'):
    parts = line.split()
    if len(parts) >= 6 and parts[5] == exe and 'x' in parts[1]:
        lo, hi = (int(x, 16) for x in parts[0].split('-'))
        maps.append((lo, hi, int(parts[2], 16)))
# symbols: file offsets ~ vaddr for PIE with text at same offset; use readelf to get .text vaddr/offset
nm = subprocess.run(['nm', '-n', '--defined-only', '-C', exe], capture_output=True, text=True).stdout
syms = []
for l in nm.splitlines():
    m = re.match(r'([0-9a-f]+) [tTwW] (.*)', l)
    if m: syms.append((int(m.group(1), 16), m.group(2)))
addrs = [a for a, _ in syms]
# load segment: vaddr -> file offset mapping from program headers
ph = subprocess.run(['readelf', '-lW', exe], capture_output=True, text=True).stdout
loads = []
for l in ph.splitlines():
    p = l.split()
    if p and p[0] == 'LOAD':
        off, vaddr, _, filesz = int(p[1],16), int(p[2],16), int(p[3],16), int(p[4],16)
        loads.append((off, vaddr, filesz, p[6] if len(p) > 6 else ''))
def off_to_vaddr(off):
    for o, v, sz, _ in loads:
        if o <= off < o + sz: return v + (off - o)
    return None
pm = open(f'/proc/{pid}/pagemap', 'rb')
per = collections.Counter(); total = 0; resident = 0
def crate_of(name):
    name = name.lstrip('<').replace('_<', '')
    m = re.match(r'(?:impl )?([A-Za-z_][A-Za-z0-9_]*)::', name)
    return m.group(1) if m else name[:30]
for lo, hi, off in maps:
    for page in range(lo, hi, PAGE):
        pm.seek(page // PAGE * 8)
        entry = struct.unpack('Q', pm.read(8))[0]
        total += 1
        if entry >> 63 & 1:
            resident += 1
            v = off_to_vaddr(off + (page - lo))
            if v is None: per['?'] += 1; continue
            i = bisect.bisect_right(addrs, v) - 1
            per[crate_of(syms[i][1]) if i >= 0 else '?'] += 1
print(f'text pages: {total} ({total*4/1024:.1f} MiB), resident {resident} ({resident*4/1024:.1f} MiB)')
top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
for k, n in per.most_common(top):
    print(f'{n*4:7d} KiB  {k}')
