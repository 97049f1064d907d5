#!/usr/bin/python3
"""Prints the SHA-256 of NumPy's float16 -> float32 table (65536 little-endian float32 bit patterns).

HalfTest compares decap's Java 17 half->float conversion against this value:
    /usr/bin/python3 tools/half_reference.py
"""
import hashlib

import numpy as np

halves = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
floats = halves.astype(np.float32)
print(hashlib.sha256(floats.view(np.uint32).astype("<u4").tobytes()).hexdigest())
