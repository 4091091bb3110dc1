"""Web chat uploads (docs/benchmarks.md, issue 19): the time to send a 5 MB image
through the gateway, from the first byte of the POST to its answer (checked,
re-encoded without metadata, stored, routed, answered). One gateway under uvicorn on
loopback, SQLite, Rasa faked (a file without words never reaches the bot). Prints
Markdown.

    .venv/bin/python scripts/bench_uploads.py [--runs 10]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.webchat._files import clean
from connectors.webchat._uploads import MEDIA
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import ALWAYS, Gateway
from tests.support.logs import served

TARGET = 5 * 2**20


def noisy(size: tuple[int, int], seed: int) -> Image.Image:
    """Pixels that don't compress (the worst case for a 5 MB file): noise over bands."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    return image


def five_mb(fmt: str) -> bytes:
    """An image of about 5 MB in *fmt*: noise sized until the file is that large."""
    side = 800
    options = {"quality": 92} if fmt == "JPEG" else {}
    for _ in range(20):
        out = io.BytesIO()
        noisy((side, side * 3 // 4), side).save(out, fmt, **options)
        if TARGET <= out.tell() <= TARGET * 1.1:
            return out.getvalue()
        side = int(side * (TARGET * 1.04 / out.tell()) ** 0.5)
    raise RuntimeError("no image of about 5 MB")


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.0f} ms (min {min(samples) * 1000:.0f}, max {max(samples) * 1000:.0f})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    before = set(MEDIA.glob("*")) if MEDIA.exists() else set()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        gateway = Gateway(f"sqlite:///{folder}/desk.db", FakeRasa(), ALWAYS)
        with served(gateway.app) as url, httpx.Client(base_url=url, timeout=60) as client:
            token = client.post("/webchat/api/visitors", json={"language": "en"}).json()["token"]
            for fmt in ("PNG", "JPEG"):
                data = five_mb(fmt)
                with Image.open(io.BytesIO(data)) as image:
                    pixels = f"{image.size[0]}×{image.size[1]}"
                total, alone = [], []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    response = client.post(
                        "/webchat/api/uploads?language=en",
                        content=data,
                        headers={"Authorization": f"Bearer {token}", "X-File-Name": "shot"},
                    )
                    total.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.text
                    started = time.perf_counter()
                    clean(data)
                    alone.append(time.perf_counter() - started)
                rows.append(
                    (
                        fmt,
                        f"{len(data) / 2**20:.2f} MB, {pixels}",
                        median_ms(total),
                        median_ms(alone),
                    )
                )
    for path in (set(MEDIA.glob("*")) if MEDIA.exists() else set()) - before:
        path.unlink(missing_ok=True)
    print(f"{args.runs} uploads of each, one after another\n")
    print(
        "| image | size | upload through the gateway, median | checking + re-encoding alone, median |"
    )
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
