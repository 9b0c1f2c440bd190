"""Writes this 300-W-style fixture (python3 make_fixture.py, standard library only).

Images are 64x48 RGB PNGs of distinct gradients. Landmarks are iBUG .pts files (1-based
coordinates) of one symmetric 68-point template T (mirror axis x = 32), placed as:
  helen/x_01.png + x_01.pts   T                       x_02.png: the same bytes, x_02.pts: 0.5*T + (30, 22)
  helen/y.png                 T + (-3, -2)            (jaw point 0 at x = -1: outside the image)
  lfpw/image_0001.png         the 51 inner points of T (a 51-point file)
  lfpw/image_0002.png         T + (2, 3); same size as image_0001 but a different picture: not merged
  lfpw/image_0003.png         no .pts (skipped);  lfpw/image_0009.pts: no image (skipped)
  ibug/image_003_1.png        T;  image_003_2.png: the same picture with +-1 noise, 0.5*T + (30, 22)
  300W/indoor_001.png         T + (-20, 0)            (inner point 17 at x = 0: outside the image)
"""
import math, os, struct, zlib

W, H = 64, 48
here = os.path.dirname(os.path.abspath(__file__))


def png(path, pixel):
    rows = b"".join(b"\x00" + bytes(c for x in range(W) for c in pixel(x, y)) for y in range(H))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").write(data)


def gradient(seed):
    return lambda x, y: ((x * 4 + seed * 37) % 256, (y * 5 + seed * 53) % 256, (seed * 71 + x + y) % 256)


def template():
    jaw = [(32 + (i - 8) * 3.75, 20 + 26 * math.sin(math.pi * i / 16)) for i in range(17)]
    brows = [(20, 13), (22, 12), (24, 12), (26, 12), (28, 13), (36, 13), (38, 12), (40, 12), (42, 12), (44, 13)]
    bridge = [(32, 16), (32, 18), (32, 20), (32, 22)]
    base = [(29, 24), (30.5, 24.5), (32, 25), (33.5, 24.5), (35, 24)]
    eyes = [(23, 17), (25, 16), (27, 16), (29, 17), (27, 18), (25, 18),
            (35, 17), (37, 16), (39, 16), (41, 17), (39, 18), (37, 18)]
    outer = [(26, 31), (28, 29.5), (30, 29), (32, 29.5), (34, 29), (36, 29.5), (38, 31),
             (36, 34), (34, 35), (32, 36), (30, 35), (28, 34)]
    inner = [(28, 31), (30, 31), (32, 31), (34, 31), (36, 31), (34, 32), (32, 32), (30, 32)]
    return jaw + brows + bridge + base + eyes + outer + inner


def pts(path, points):
    lines = ["version: 1", "n_points:  %d" % len(points), "{"] + ["%.3f %.3f" % p for p in points] + ["}"]
    open(path, "w").write("\n".join(lines) + "\n")


def moved(points, scale=1.0, dx=0.0, dy=0.0):
    return [(x * scale + dx, y * scale + dy) for x, y in points]


T = template()
assert len(T) == 68
f = lambda p: os.path.join(here, p)
png(f("helen/x_01.png"), gradient(1)); png(f("helen/x_02.png"), gradient(1))
pts(f("helen/x_01.pts"), T); pts(f("helen/x_02.pts"), moved(T, 0.5, 30, 22))
png(f("helen/y.png"), gradient(2)); pts(f("helen/y.pts"), moved(T, 1, -3, -2))
png(f("lfpw/image_0001.png"), gradient(3)); pts(f("lfpw/image_0001.pts"), T[17:])
png(f("lfpw/image_0002.png"), gradient(4)); pts(f("lfpw/image_0002.pts"), moved(T, 1, 2, 3))
png(f("lfpw/image_0003.png"), gradient(5))
pts(f("lfpw/image_0009.pts"), T)
noisy = lambda x, y: tuple(min(255, max(0, c + ((x * 7 + y * 3 + i) % 3) - 1)) for i, c in enumerate(gradient(6)(x, y)))
png(f("ibug/image_003_1.png"), gradient(6)); pts(f("ibug/image_003_1.pts"), T)
png(f("ibug/image_003_2.png"), noisy); pts(f("ibug/image_003_2.pts"), moved(T, 0.5, 30, 22))
png(f("300W/indoor_001.png"), gradient(7)); pts(f("300W/indoor_001.pts"), moved(T, 1, -20, 0))
