#!/usr/bin/python3
"""Writes the damaged-image corpus that ImageLoaderDamagedParityTest checks, with Pillow's verdict on each file.

The corpus (decap-core/src/test/resources/dev/decap/image/damaged/) holds small GIF, PNG, JPEG and BMP files, each
damaged in one way: corrupt LZW codes and truncated frames (GIF, written by the LZW encoder below so that every
code is under control), bad CRCs, truncated IDAT, bad zlib and bad filters (PNG), truncated files, flipped scan
bytes, bad tables and stray bytes (JPEG), and the probe-style crashers (zero sizes, oversized dimensions, huge
palettes, many frames, decompression bombs). Each file is opened with Pillow 9.4 (Debian bookworm's python3-pil,
the reference openai/CLIP preprocesses with) and its verdict recorded in verdicts.json:

  accepted: the Pillow mode, size, SHA-256 of im.tobytes() (the raw pixels in that mode) and the CLIP tensor at
            size 24 (Resize(24, BICUBIC), CenterCrop(24), convert("RGB"), ToTensor, Normalize; float32 LE file);
  refused:  Pillow's exception type and message.

Run from the repository root: /usr/bin/python3 tools/make_damaged_images.py. Deterministic (fixed seeds): it
rewrites the same bytes every time.
"""
import hashlib
import io
import json
import os
import random
import struct
import sys
import warnings
import zlib

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import CenterCrop, Compose, InterpolationMode, Normalize, Resize, ToTensor

OUT = os.path.join("decap-core", "src", "test", "resources", "dev", "decap", "image", "damaged")
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
SIZE = 24


def transform(n):
    return Compose([Resize(n, interpolation=InterpolationMode.BICUBIC), CenterCrop(n),
                    lambda im: im.convert("RGB"), ToTensor(), Normalize(MEAN, STD)])


# ---------------------------------------------------------------- pixels

def smooth_indices(rng, w, h, colours):
    """Palette indices with structure and noise, so LZW has both runs and literals."""
    yy, xx = np.mgrid[0:h, 0:w]
    base = (np.sin(xx / 3.0) + np.cos(yy / 4.0)) * 0.25 + 0.5
    noise = rng.uniform(-0.15, 0.15, (h, w))
    return np.clip((base + noise) * (colours - 1), 0, colours - 1).round().astype(np.uint8)


def smooth_rgb(rng, w, h):
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.zeros((h, w, 3), dtype=np.uint8)
    for k in range(3):
        base = (np.sin(xx / (3.0 + k) + k) + np.cos(yy / (4.0 + k))) * 0.25 + 0.5
        out[..., k] = np.clip((base + rng.uniform(-0.1, 0.1, (h, w))) * 255, 0, 255).astype(np.uint8)
    return out


# ---------------------------------------------------------------- GIF writer with a controllable LZW stream

def lzw_codes(indices, min_size):
    """GIF LZW codes for a flat index sequence: a list of (code, width), starting with clear, ending with end."""
    clear = 1 << min_size
    end = clear + 1
    size = min_size + 1
    table = {bytes([i]): i for i in range(clear)}
    nxt = end + 1
    codes = [(clear, size)]
    w = b""
    for k in indices:
        wk = w + bytes([k])
        if wk in table:
            w = wk
            continue
        codes.append((table[w], size))
        if nxt < 4096:
            table[wk] = nxt
            nxt += 1
            if nxt - 1 == (1 << size) and size < 12:
                size += 1
        else:
            codes.append((clear, size))
            table = {bytes([i]): i for i in range(clear)}
            nxt = end + 1
            size = min_size + 1
        w = bytes([k])
    if w:
        codes.append((table[w], size))
    codes.append((end, size))
    return codes


def pack_codes(codes):
    out = bytearray()
    acc = 0
    bits = 0
    for code, width in codes:
        acc |= code << bits
        bits += width
        while bits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            bits -= 8
    if bits:
        out.append(acc & 0xFF)
    return bytes(out)


def sub_blocks(data, terminator=True):
    out = bytearray()
    for i in range(0, len(data), 255):
        part = data[i:i + 255]
        out.append(len(part))
        out += part
    if terminator:
        out.append(0)
    return bytes(out)


def gif(screen, palette, frames, global_table=True, trailer=True):
    """frames: list of dicts with keys left, top, w, h, min_size, data (LZW bytes, already in sub-blocks),
    interlace, transparent, local_palette."""
    sw, sh = screen
    out = bytearray(b"GIF89a")
    flags = 0
    table = b""
    if global_table and palette is not None:
        n = len(palette) // 3
        bits = max(1, (n - 1).bit_length())
        flags = 0x80 | (bits - 1)
        table = palette + bytes(3 * (1 << bits) - len(palette))
    out += struct.pack("<HHBBB", sw, sh, flags, 0, 0) + table
    for f in frames:
        if f.get("transparent") is not None:
            out += bytes([0x21, 0xF9, 4, 1, 0, 0, f["transparent"], 0])
        lflags = 0x40 if f.get("interlace") else 0
        ltable = b""
        if f.get("local_palette") is not None:
            lp = f["local_palette"]
            bits = max(1, (len(lp) // 3 - 1).bit_length())
            lflags |= 0x80 | (bits - 1)
            ltable = lp + bytes(3 * (1 << bits) - len(lp))
        out += bytes([0x2C]) + struct.pack("<HHHHB", f["left"], f["top"], f["w"], f["h"], lflags) + ltable
        out += bytes([f["min_size"]]) + f["data"]
    if trailer:
        out += b"\x3B"
    return bytes(out)


def interlaced_order(h):
    return list(range(0, h, 8)) + list(range(4, h, 8)) + list(range(2, h, 4)) + list(range(1, h, 2))


def frame(idx, min_size=4, left=0, top=0, interlace=False, codes=None, **kw):
    h, w = idx.shape
    rows = interlaced_order(h) if interlace else range(h)
    flat = np.concatenate([idx[r] for r in rows]).tolist()
    if codes is None:
        codes = lzw_codes(flat, min_size)
    return dict(left=left, top=top, w=w, h=h, min_size=min_size, data=sub_blocks(pack_codes(codes)),
                interlace=interlace, **kw)


def grey_palette(n, seed):
    r = random.Random(seed)
    return bytes(r.randrange(256) for _ in range(3 * n))


# ---------------------------------------------------------------- PNG writer

def png_chunk(kind, data, crc=None):
    c = zlib.crc32(kind + data) & 0xFFFFFFFF if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", c)


def png(w, h, raw_rows, depth=8, colour=2, palette=None, extra_before=b"", idat=None, ihdr=None, tail=None,
        interlace=0):
    body = png_chunk(b"IHDR", ihdr if ihdr is not None else struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0,
                                                                          interlace))
    body += extra_before
    if palette is not None:
        body += png_chunk(b"PLTE", palette)
    body += idat if idat is not None else png_chunk(b"IDAT", zlib.compress(raw_rows, 9))
    body += tail if tail is not None else png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def rows_of(pixels, filt=0):
    """Raw scanlines with filter byte `filt` (0 = none) for an (h, w, c) uint8 array."""
    h = pixels.shape[0]
    return b"".join(bytes([filt]) + pixels[y].tobytes() for y in range(h))


def jpeg(pixels, **kw):
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", **kw)
    return buf.getvalue()


def find(data, marker, start=0):
    i = data.find(marker, start)
    assert i >= 0, marker
    return i


def flip_bytes(data, lo, hi, count, seed):
    r = random.Random(seed)
    b = bytearray(data)
    for _ in range(count):
        i = r.randrange(lo, hi)
        b[i] ^= 1 << r.randrange(8)
        if b[i] == 0xFF:  # never forge a marker: the damage stays inside the entropy-coded data
            b[i] = 0xFE
    return bytes(b)


# ---------------------------------------------------------------- cases

def cases():
    rng = np.random.RandomState(20261201)
    out = []

    def add(name, data, what):
        out.append((name, data, what))

    # ---- GIF
    pal16 = grey_palette(16, 1)
    idx = smooth_indices(rng, 40, 30, 16)
    good = frame(idx)
    add("gif_valid_40x30.gif", gif((40, 30), pal16, [good]), "valid GIF written by the test encoder (baseline)")
    add("gif_interlaced_40x30.gif", gif((40, 30), pal16, [frame(idx, interlace=True)]), "valid interlaced GIF")
    codes = lzw_codes(idx.reshape(-1).tolist(), 4)
    bad = list(codes)
    width = bad[40][1]
    assert (1 << width) - 1 > 18 + 40, "the forged code must lie beyond the next free entry"
    bad[40] = ((1 << width) - 1, width)  # a code beyond the next free table entry
    add("gif_lzw_code_beyond_table.gif", gif((40, 30), pal16, [frame(idx, codes=bad)]),
        "an LZW code beyond the next free table entry")
    bad = [codes[0], (18, 5)] + codes[1:]  # first code after clear is above the clear code (end + 1)
    add("gif_lzw_first_code_not_literal.gif", gif((40, 30), pal16, [frame(idx, codes=bad)]),
        "the first LZW code after a clear code is not a literal")
    bad = codes[:len(codes) // 2] + [codes[-1]]
    add("gif_lzw_end_code_early.gif", gif((40, 30), pal16, [frame(idx, codes=bad)]),
        "the LZW end code comes before the frame is complete")
    data = sub_blocks(pack_codes(codes[:len(codes) // 3]))
    add("gif_frame_data_short.gif", gif((40, 30), pal16, [dict(good, data=data)]),
        "the frame's sub-blocks end (terminator, trailer) before the frame is complete")
    full = gif((40, 30), pal16, [good])
    add("gif_truncated_in_frame.gif", full[:len(full) // 2], "file cut in the middle of the frame's LZW data")
    add("gif_truncated_in_screen_table.gif", full[:30], "file cut inside the global colour table")
    add("gif_no_trailer.gif", full[:-1], "complete frame, trailer byte missing")
    add("gif_cut_after_frame_data.gif", full[:-2], "complete frame data, block terminator and trailer missing")
    for seed in range(6):
        lo = 13 + 48 + 10 + 2
        add(f"gif_lzw_bitflips_{seed}.gif", flip_bytes(full, lo, len(full) - 2, 3, 100 + seed),
            "three bit flips in the LZW data (Pillow decides: garbage pixels or a broken stream)")
    add("gif_min_code_size_13.gif", gif((40, 30), pal16, [dict(good, min_size=13)]), "LZW minimum code size 13")
    add("gif_min_code_size_12.gif", gif((40, 30), pal16, [dict(good, min_size=12)]),
        "LZW minimum code size 12 with data written for size 4")
    small = smooth_indices(rng, 20, 10, 4)
    add("gif_frame_offset_20x10_on_40x30.gif", gif((40, 30), grey_palette(4, 2), [frame(small, min_size=2,
                                                                                            left=7, top=5)]),
        "a 20x10 frame at (7, 5) of a 40x30 screen")
    add("gif_frame_beyond_screen.gif", gif((16, 8), grey_palette(4, 2), [frame(small, min_size=2, left=4, top=3)]),
        "a 20x10 frame at (4, 3) of a 16x8 screen (extends beyond it)")
    add("gif_index_beyond_palette.gif", gif((20, 10), grey_palette(2, 3), [frame(small, min_size=2)]),
        "indices 0..3 with a 2-colour palette")
    add("gif_no_colour_table.gif", gif((20, 10), None, [frame(small, min_size=2)], global_table=False),
        "no global or local colour table")
    add("gif_local_palette.gif", gif((20, 10), grey_palette(4, 4), [frame(small, min_size=2,
                                                                        local_palette=grey_palette(4, 5))]),
        "frame with a local colour table")
    add("gif_transparent_offset.gif", gif((30, 20), grey_palette(4, 6), [frame(small, min_size=2, left=5, top=5,
                                                                             transparent=3)]),
        "offset frame with a transparent index: the screen is filled with it")
    add("gif_zero_screen.gif", gif((0, 0), pal16, [good]), "logical screen 0x0")
    add("gif_zero_frame.gif", gif((40, 30), pal16, [dict(good, w=0, h=0)]), "frame 0x0")
    add("gif_huge_screen.gif", gif((65535, 65535), pal16, [good]), "screen 65535x65535 (4.3 gigapixels) in 140 bytes")
    add("gif_huge_frame.gif", gif((40, 30), pal16, [dict(good, w=65535, h=65535)]), "frame 65535x65535")
    tiny = smooth_indices(rng, 4, 4, 4)
    many = [frame(tiny, min_size=2, left=(i % 5) * 4, top=(i // 5 % 2) * 4) for i in range(3000)]
    add("gif_3000_frames.gif", gif((20, 8), grey_palette(4, 7), many), "3000 frames (only the first is read)")
    add("gif_no_image.gif", b"GIF89a" + struct.pack("<HHBBB", 4, 4, 0, 0, 0) + b"\x3B", "no image descriptor")
    bigpal = grey_palette(256, 8)
    add("gif_256_colours_truncated_table.gif", gif((20, 10), bigpal, [frame(small, min_size=8)])[:13 + 300],
        "a 256-colour table cut after 100 entries")

    # ---- PNG
    rgb = smooth_rgb(rng, 40, 30)
    raw = rows_of(rgb)
    valid = png(40, 30, raw)
    add("png_valid_40x30.png", valid, "valid 8-bit RGB PNG (baseline)")
    ihdr = struct.pack(">IIBBBBB", 40, 30, 8, 2, 0, 0, 0)
    add("png_bad_crc_ihdr.png", valid[:29] + struct.pack(">I", (zlib.crc32(b"IHDR" + ihdr) ^ 1) & 0xFFFFFFFF)
        + valid[33:], "IHDR CRC wrong")
    text = png_chunk(b"tEXt", b"Comment\x00hello", crc=0x12345678)
    add("png_bad_crc_text_before_idat.png", png(40, 30, raw, extra_before=text), "tEXt chunk before IDAT, CRC wrong")
    comp = zlib.compress(raw, 9)
    add("png_bad_crc_idat.png", png(40, 30, raw, idat=png_chunk(b"IDAT", comp, crc=0)), "IDAT CRC wrong")
    add("png_bad_crc_text_after_idat.png", png(40, 30, raw, tail=png_chunk(b"tEXt", b"Comment\x00x", crc=1)
                                               + png_chunk(b"IEND", b"")), "tEXt chunk after IDAT, CRC wrong")
    add("png_truncated_in_idat.png", valid[:33 + 8 + len(comp) // 2], "file cut in the middle of IDAT")
    add("png_truncated_after_idat.png", valid[:33 + 12 + len(comp)], "file ends after IDAT (no IEND)")
    add("png_truncated_header.png", valid[:20], "file cut inside IHDR")
    add("png_idat_data_short.png", png(40, 30, raw, idat=png_chunk(b"IDAT", zlib.compress(raw[:len(raw) // 2]))),
        "complete zlib stream holding only half the rows")
    add("png_idat_split_short.png", png(40, 30, raw, idat=png_chunk(b"IDAT", comp[:len(comp) // 2])),
        "IDAT chunk complete but holding only the first half of the zlib stream")
    add("png_bad_zlib_header.png", png(40, 30, raw, idat=png_chunk(b"IDAT", b"\x00\x00" + comp[2:])),
        "zlib header bytes zeroed")
    add("png_bad_adler.png", png(40, 30, raw, idat=png_chunk(b"IDAT", comp[:-4] + b"\x00\x00\x00\x00")),
        "zlib Adler-32 checksum wrong")
    for seed in range(4):
        add(f"png_deflate_bitflips_{seed}.png",
            png(40, 30, raw, idat=png_chunk(b"IDAT", flip_bytes(comp, 2, len(comp) - 4, 2, 200 + seed))),
            "two bit flips in the deflate data")
    add("png_bad_filter.png", png(40, 30, rows_of(rgb, filt=7)), "scanline filter type 7")
    many_idat = b"".join(png_chunk(b"IDAT", comp[i:i + 50]) for i in range(0, len(comp), 50))
    add("png_split_idat.png", png(40, 30, raw, idat=many_idat), "zlib stream split over many IDAT chunks (valid)")
    add("png_trailing_garbage.png", valid + b"garbage after IEND", "bytes after IEND (valid otherwise)")
    add("png_extra_zlib_data.png", png(40, 30, raw, idat=png_chunk(b"IDAT", zlib.compress(raw + raw, 9))),
        "zlib stream holding twice the rows needed")
    pidx = smooth_indices(rng, 40, 30, 16)
    praw = b"".join(b"\x00" + pidx[y].tobytes() for y in range(30))
    add("png_palette_valid.png", png(40, 30, praw, colour=3, palette=grey_palette(16, 9)), "8-bit palette PNG")
    add("png_palette_missing.png", png(40, 30, praw, colour=3), "palette PNG without PLTE")
    add("png_palette_index_beyond.png", png(40, 30, praw, colour=3, palette=grey_palette(4, 10)),
        "indices up to 15 with a 4-entry PLTE")
    add("png_palette_huge.png", png(40, 30, praw, colour=3, palette=grey_palette(1000, 11)), "PLTE of 1000 entries")
    add("png_bad_depth.png", png(40, 30, raw, ihdr=struct.pack(">IIBBBBB", 40, 30, 7, 2, 0, 0, 0)),
        "bit depth 7")
    add("png_bad_colour_type.png", png(40, 30, raw, ihdr=struct.pack(">IIBBBBB", 40, 30, 8, 5, 0, 0, 0)),
        "colour type 5")
    add("png_zero_width.png", png(0, 30, b"", ihdr=struct.pack(">IIBBBBB", 0, 30, 8, 2, 0, 0, 0)), "width 0")
    add("png_bomb_header_30000.png", png(30000, 30000, b"", idat=png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000))),
        "IHDR claims 30000x30000, tiny IDAT")
    add("png_bomb_header_max.png", png(0, 0, b"", ihdr=struct.pack(">IIBBBBB", 0x7FFFFFFF, 0x7FFFFFFF, 8, 6, 0, 0,
                                                                   0)), "IHDR claims 2^31-1 squared, RGBA")
    # A real decompression bomb: 20000 x 20000 zero-filled greyscale rows (400 MP, ~390 KB compressed).
    zrow = b"\x00" * 20001
    cobj = zlib.compressobj(9)
    bomb = b"".join(cobj.compress(zrow) for _ in range(20000)) + cobj.flush()
    add("png_bomb_20000.png", png(20000, 20000, b"", depth=8, colour=0, idat=png_chunk(b"IDAT", bomb)),
        "valid greyscale PNG of 20000x20000 = 400 MP in about 390 KB")
    inter = png(40, 30, b"", interlace=1, idat=png_chunk(b"IDAT", zlib.compress(adam7_rows(rgb), 9)))
    add("png_interlaced_valid.png", inter, "valid Adam7-interlaced RGB PNG")
    add("png_interlaced_truncated.png", inter[:len(inter) * 2 // 3], "interlaced PNG cut in IDAT")

    # ---- JPEG
    jrgb = smooth_rgb(rng, 64, 48)
    base = jpeg(jrgb, quality=90)
    sos = find(base, b"\xff\xda")
    scan = sos + 2 + struct.unpack(">H", base[sos + 2:sos + 4])[0]
    add("jpeg_valid_64x48.jpg", base, "valid baseline JPEG (baseline)")
    add("jpeg_truncated_half.jpg", base[:scan + (len(base) - scan) // 2], "cut in the middle of the scan")
    add("jpeg_truncated_before_eoi.jpg", base[:-2], "everything but the EOI marker")
    add("jpeg_truncated_in_header.jpg", base[:sos], "cut before the scan (SOS)")
    add("jpeg_truncated_in_tables.jpg", base[:find(base, b"\xff\xc4") + 10], "cut inside a Huffman table")
    for seed in range(6):
        add(f"jpeg_scan_bitflips_{seed}.jpg", flip_bytes(base, scan + 20, len(base) - 2, 4, 300 + seed),
            "four bit flips in the entropy-coded scan")
    add("jpeg_extraneous_bytes.jpg", base[:-2] + b"\x00\x11\x22\x33" + base[-2:],
        "four stray bytes before EOI (libjpeg: extraneous bytes before marker)")
    zeroed = bytearray(base)
    for i in range(scan + 30, scan + 200):
        zeroed[i] = 0
    add("jpeg_scan_zeroed.jpg", bytes(zeroed), "170 bytes of the scan zeroed")
    hit = bytearray(base)
    hit[scan + 100:scan + 102] = b"\xff\xd0"
    add("jpeg_stray_restart_marker.jpg", bytes(hit), "an RST0 marker in the middle of the scan")
    dht = find(base, b"\xff\xc4")
    bogus = bytearray(base)
    for i in range(dht + 5, dht + 21):
        bogus[i] = 0xFF if i % 2 else 0x7F
    add("jpeg_bogus_huffman_table.jpg", bytes(bogus), "Huffman table code counts overflowing")
    dqt = find(base, b"\xff\xdb")
    badq = bytearray(base)
    badq[dqt + 4] = 0x05
    add("jpeg_bad_quant_table_id.jpg", bytes(badq), "DQT table id 5")
    sof = find(base, b"\xff\xc0")
    zw = bytearray(base)
    zw[sof + 7:sof + 9] = b"\x00\x00"
    add("jpeg_zero_width.jpg", bytes(zw), "SOF width 0")
    big = bytearray(base)
    big[sof + 5:sof + 9] = b"\xff\xff\xff\xff"
    add("jpeg_huge_dimensions.jpg", bytes(big), "SOF claims 65535x65535 with a 64x48 scan")
    samp = bytearray(base)
    samp[sof + 11] = 0x00
    add("jpeg_zero_sampling.jpg", bytes(samp), "component sampling factors 0")
    add("jpeg_no_sos.jpg", base[:sos] + b"\xff\xd9", "no scan at all")
    add("jpeg_two_soi.jpg", base[:2] + base, "two SOI markers")
    prog = jpeg(jrgb, quality=90, progressive=True)
    add("jpeg_progressive_valid.jpg", prog, "valid progressive JPEG")
    add("jpeg_progressive_truncated.jpg", prog[:len(prog) * 2 // 3], "progressive JPEG cut after some scans")
    psos = find(prog, b"\xff\xda")
    add("jpeg_progressive_bitflips.jpg", flip_bytes(prog, psos + 20, len(prog) - 2, 4, 400),
        "four bit flips in a progressive JPEG's scans")

    # ---- BMP (decoded by ImageIO; checked against Pillow's verdicts too)
    buf = io.BytesIO()
    Image.fromarray(smooth_rgb(rng, 40, 30)).save(buf, "BMP")
    b24 = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(smooth_indices(rng, 40, 30, 16) * 13, "L").convert("P").save(buf, "BMP")
    b8 = buf.getvalue()
    add("bmp_valid_24.bmp", b24, "valid 24-bit BMP (baseline)")
    add("bmp_valid_8.bmp", b8, "valid 8-bit palette BMP")
    add("bmp_truncated_half.bmp", b24[:len(b24) // 2], "cut in the middle of the pixel data")
    add("bmp_truncated_last_byte.bmp", b24[:-1], "the last byte missing")
    add("bmp_truncated_header.bmp", b24[:30], "cut inside the info header")
    add("bmp_pixel_offset_beyond_end.bmp", b24[:10] + struct.pack("<I", 10 ** 6) + b24[14:],
        "pixel data offset beyond the end of the file")
    add("bmp_zero_width.bmp", b24[:18] + struct.pack("<i", 0) + b24[22:], "width 0")
    add("bmp_top_down.bmp", b24[:22] + struct.pack("<i", -30) + b24[26:], "negative height (top-down rows)")
    add("bmp_bits_7.bmp", b24[:28] + struct.pack("<H", 7) + b24[30:], "7 bits per pixel")
    add("bmp_palette_size_huge.bmp", b8[:46] + struct.pack("<I", 100000) + b8[50:], "palette size 100000")
    add("bmp_bogus_compression.bmp", b24[:30] + struct.pack("<I", 9) + b24[34:], "compression 9")
    add("bmp_huge_dimensions.bmp", b24[:18] + struct.pack("<ii", 100000, 100000) + b24[26:],
        "header claims 100000x100000")
    return out


def adam7_rows(pixels):
    h, w, _ = pixels.shape
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    out = b""
    for x0, y0, dx, dy in passes:
        sub = pixels[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        out += rows_of(np.ascontiguousarray(sub))
    return out


def verdict(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with Image.open(path) as im:
                im.load()
                result = {"verdict": "accepted", "mode": im.mode, "size": list(im.size),
                          "sha256": hashlib.sha256(im.tobytes()).hexdigest()}
                tensor = transform(SIZE)(im)
                ref = os.path.basename(path) + f"_{SIZE}.f32"
                tensor.numpy().astype("<f4").tofile(os.path.join(OUT, ref))
                result["tensor"] = ref
        except Exception as e:  # noqa: BLE001 - the verdict is whatever Pillow raises
            result = {"verdict": "refused", "error": type(e).__name__, "message": str(e).replace(OUT + "/", "")}
    if caught:
        result["python_warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    return result


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f != "README.md":
            os.remove(os.path.join(OUT, f))

    entries = []
    for name, data, what in cases():
        path = os.path.join(OUT, name)
        with open(path, "wb") as f:
            f.write(data)
        v = verdict(path)
        entries.append({"file": name, "damage": what, "bytes": len(data), "pillow": v})
        print(f"{name:45s} {v['verdict']:9s} {v.get('message', v.get('mode', ''))}", file=sys.stderr)
    with open(os.path.join(OUT, "verdicts.json"), "w") as f:
        json.dump({"generator": "tools/make_damaged_images.py", "pillow": Image.__version__,
                   "torch": torch.__version__, "tensor_size": SIZE, "cases": entries}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
