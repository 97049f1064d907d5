#!/usr/bin/python3
"""Writes the small image-decoding cases that ClipPreprocessorPilCasesTest checks.

Each case is a small image file (PNG variants written by the encoder below, so that bit depths and colour types
Pillow cannot save are covered; JPEG, BMP and GIF written by Pillow) and the tensor that openai/CLIP's _transform
makes of it: Resize(n, BICUBIC), CenterCrop(n), convert("RGB"), ToTensor, Normalize, on Pillow 9.4 and
torchvision 0.14 (Debian bookworm's python3-pil and python3-torchvision). Run with /usr/bin/python3 from this
directory; it rewrites cases.json and the files beside it. Deterministic (fixed seeds).
"""
import json
import struct
import zlib

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import CenterCrop, Compose, InterpolationMode, Normalize, Resize, ToTensor

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)


def transform(n):
    return Compose([Resize(n, interpolation=InterpolationMode.BICUBIC), CenterCrop(n),
                    lambda im: im.convert("RGB"), ToTensor(), Normalize(MEAN, STD)])


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(path, samples, bit_depth, colour_type, palette=None, trns=None):
    """samples: uint array (h, w, channels) of raw sample values."""
    h, w, c = samples.shape
    rows = []
    for y in range(h):
        row = samples[y].reshape(-1)
        if bit_depth == 16:
            raw = b"".join(struct.pack(">H", int(v)) for v in row)
        elif bit_depth == 8:
            raw = bytes(int(v) for v in row)
        else:
            per = 8 // bit_depth
            out = bytearray()
            for i in range(0, len(row), per):
                byte = 0
                for j in range(per):
                    v = int(row[i + j]) if i + j < len(row) else 0
                    byte |= v << (8 - bit_depth * (j + 1))
                out.append(byte)
            raw = bytes(out)
        rows.append(b"\x00" + raw)
    body = png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, colour_type, 0, 0, 0))
    if palette is not None:
        body += png_chunk(b"PLTE", bytes(int(v) for v in np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        body += png_chunk(b"tRNS", trns)
    body += png_chunk(b"IDAT", zlib.compress(b"".join(rows)))
    body += png_chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + body)


def smooth(rng, h, w, c, maxv):
    """A smooth gradient with noise, so that resampling differences show."""
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.zeros((h, w, c), dtype=np.int64)
    for k in range(c):
        base = (np.sin(xx / (3.0 + k) + k) + np.cos(yy / (4.0 + k))) * 0.25 + 0.5
        noise = rng.uniform(-0.1, 0.1, (h, w))
        out[..., k] = np.clip((base + noise) * maxv, 0, maxv).astype(np.int64)
    return out


def main():
    rng = np.random.RandomState(1234)
    cases = []

    def add(name, size, note):
        im = Image.open(name)
        t = transform(size)(im)
        t.numpy().astype("<f4").tofile(name + f"_{size}.f32")
        cases.append({"image": name, "size": size, "reference": name + f"_{size}.f32",
                      "pil_mode": Image.open(name).mode, "note": note})

    # PNG: every bit depth and colour type Pillow 9.4 opens.
    write_png("gray1_45x31.png", rng.randint(0, 2, (31, 45, 1)), 1, 0)
    add("gray1_45x31.png", 24, "1-bit greyscale: mode '1', resized nearest")
    write_png("gray2_45x31.png", smooth(rng, 31, 45, 1, 3), 2, 0)
    add("gray2_45x31.png", 24, "2-bit greyscale: mode L, values scaled by 85")
    write_png("gray4_30x41.png", smooth(rng, 41, 30, 1, 15), 4, 0)
    add("gray4_30x41.png", 24, "4-bit greyscale: mode L, values scaled by 17")
    g16 = smooth(rng, 31, 45, 1, 600)
    write_png("gray16_45x31.png", g16, 16, 0)
    add("gray16_45x31.png", 24, "16-bit greyscale: mode I, clamped to 255 by convert('RGB')")
    write_png("gray16_13x9.png", smooth(rng, 9, 13, 1, 400), 16, 0)
    add("gray16_13x9.png", 24, "16-bit greyscale, enlarged")
    write_png("rgb16_45x31.png", smooth(rng, 31, 45, 3, 65535), 16, 2)
    add("rgb16_45x31.png", 24, "16-bit RGB: high byte of each sample")
    write_png("rgba16_31x45.png", smooth(rng, 45, 31, 4, 65535), 16, 6)
    add("rgba16_31x45.png", 24, "16-bit RGBA: high bytes, resized premultiplied")
    write_png("graya8_45x31.png", smooth(rng, 31, 45, 2, 255), 8, 4)
    add("graya8_45x31.png", 24, "8-bit greyscale+alpha: mode LA, resized premultiplied")
    write_png("graya16_45x31.png", smooth(rng, 31, 45, 2, 65535), 16, 4)
    add("graya16_45x31.png", 24, "16-bit greyscale+alpha: mode RGBA")
    rgba = smooth(rng, 31, 45, 4, 255)
    rgba[..., 3][rng.uniform(size=(31, 45)) < 0.2] = 0
    write_png("rgba8_45x31.png", rgba, 8, 6)
    add("rgba8_45x31.png", 24, "8-bit RGBA with fully transparent pixels")
    write_png("rgba8_24x24.png", smooth(rng, 24, 24, 4, 255), 8, 6)
    add("rgba8_24x24.png", 24, "RGBA already at the target size: no premultiplication round trip")
    write_png("rgba8_24x37.png", smooth(rng, 37, 24, 4, 255), 8, 6)
    add("rgba8_24x37.png", 24, "RGBA with one side at the target size")
    pal = rng.randint(0, 256, (16, 3))
    write_png("pal4_45x31.png", rng.randint(0, 16, (31, 45, 1)), 4, 3, palette=pal)
    add("pal4_45x31.png", 24, "4-bit palette: mode P, resized nearest")
    pal8 = rng.randint(0, 256, (200, 3))
    write_png("pal8trns_19x13.png", rng.randint(0, 200, (13, 19, 1)), 8, 3, palette=pal8,
              trns=bytes(rng.randint(0, 256, 50).astype(np.uint8)))
    add("pal8trns_19x13.png", 24, "8-bit palette with tRNS, enlarged: transparency ignored")
    write_png("rgb8trns_45x31.png", smooth(rng, 31, 45, 3, 255), 8, 2, trns=struct.pack(">HHH", 10, 20, 30))
    add("rgb8trns_45x31.png", 24, "RGB with a tRNS colour key: ignored")

    # JPEG variants written by Pillow (libjpeg-turbo).
    base = smooth(rng, 37, 53, 3, 255).astype(np.uint8)
    Image.fromarray(base, "RGB").save("rgb444_53x37.jpg", quality=90, subsampling=0)
    add("rgb444_53x37.jpg", 24, "JPEG 4:4:4")
    Image.fromarray(base, "RGB").save("rgb422_53x37.jpg", quality=90, subsampling=1)
    add("rgb422_53x37.jpg", 24, "JPEG 4:2:2")
    Image.fromarray(base[..., 0], "L").save("gray_53x37.jpg", quality=90)
    add("gray_53x37.jpg", 24, "greyscale JPEG")
    Image.fromarray(base, "RGB").convert("CMYK").save("cmyk_53x37.jpg", quality=95)
    add("cmyk_53x37.jpg", 24, "CMYK JPEG (Adobe): Pillow's naive CMYK->RGB")
    # Pillow cannot write YCCK; ycck_53x37.jpg was written once by the JDK's JPEG writer (4-band raster, Adobe
    # transform 2) and is kept as an input.
    add("ycck_53x37.jpg", 24, "YCCK JPEG (Adobe transform 2): libjpeg's YCCK->CMYK, then naive CMYK->RGB")
    Image.fromarray(base, "RGB").save("rgb_adobe_53x37.jpg", quality=90)
    with open("rgb_adobe_53x37.jpg", "rb") as f:
        data = f.read()
    # Replace the JFIF segment with an Adobe one (transform 1 = YCbCr): exercises the colour-space decision.
    jfif_len = struct.unpack(">H", data[4:6])[0]
    adobe = b"\xff\xee" + struct.pack(">H", 14) + b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 1)
    with open("rgb_adobe_53x37.jpg", "wb") as f:
        f.write(data[:2] + adobe + data[4 + jfif_len:])
    add("rgb_adobe_53x37.jpg", 24, "YCbCr JPEG with an Adobe marker instead of JFIF")

    # BMP and GIF variants written by Pillow.
    Image.fromarray(base, "RGB").quantize(40).save("pal8_53x37.bmp")
    add("pal8_53x37.bmp", 24, "8-bit palette BMP: mode P")
    Image.fromarray(base[..., 1], "L").save("gray8_53x37.bmp")
    add("gray8_53x37.bmp", 24, "8-bit BMP with a grey-ramp palette: mode L")
    Image.fromarray(base[..., 2] > 128).save("bw1_53x37.bmp")
    add("bw1_53x37.bmp", 24, "1-bit BMP: mode 1")
    Image.fromarray(np.dstack([base, base[..., :1]]), "RGBA").save("rgba32_53x37.bmp")
    add("rgba32_53x37.bmp", 24, "32-bit BMP (BI_RGB): mode RGB, fourth byte ignored")
    Image.fromarray(base[..., 0], "L").save("gray_53x37.gif")
    add("gray_53x37.gif", 24, "GIF written from a greyscale image")
    Image.fromarray(base, "RGB").quantize(64).save("pal_transp_53x37.gif", transparency=3)
    add("pal_transp_53x37.gif", 24, "GIF with a transparent index: mode P, transparency ignored")
    # Written once by the JDK's GIF writer (a 20x15 frame at (5, 3) on a 40x30 screen); kept as an input.
    add("frame_offset_40x30.gif", 24, "GIF whose first frame is smaller than the screen: pasted on index 0")

    with open("cases.json", "w") as f:
        json.dump({"generator": "make_cases.py (Pillow " + Image.__version__ + ")",
                   "mean": MEAN, "std": STD, "cases": cases}, f, indent=1)


if __name__ == "__main__":
    torch.manual_seed(0)
    main()
