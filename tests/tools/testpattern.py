"""The deterministic test pattern tcpserv.py sends and tcpclient.py checks.

pattern(n) yields n bytes of random.Random(n), drawn in CHUNK-byte pieces:
both ends derive the same bytes from the length alone.
"""
import random

CHUNK = 65536


def pattern(n):
    """Yield the n-byte test pattern, in chunks of at most CHUNK bytes."""
    rng = random.Random(n)
    left = n
    while left > 0:
        k = min(CHUNK, left)
        yield rng.randbytes(k)
        left -= k
