"""Use each binary wheel a requirements file names, the way apps do; one line if all of them work.

usage: python wheels.py REQUIREMENTS"""

import io
import re
import sys
from pathlib import Path


def pydantic() -> None:
    from pydantic import BaseModel  # its core is Rust (pydantic-core)

    class Bird(BaseModel):
        name: str
        wingspan: int

    assert Bird.model_validate({"name": "wren", "wingspan": "15"}).wingspan == 15


def numpy() -> None:
    import numpy as np  # OpenBLAS, libgfortran, libstdc++

    a = np.arange(12.0).reshape(3, 4)
    assert float((a @ a.T).trace()) == 506.0


def pandas() -> None:
    import pandas as pd

    birds = pd.DataFrame({"bird": ["wren", "tit", "wren"], "eggs": [6, 9, 5]})
    assert birds.groupby("bird")["eggs"].sum()["wren"] == 11


def cryptography() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # Rust and OpenSSL

    key = Ed25519PrivateKey.generate()
    key.public_key().verify(key.sign(b"birdhouse"), b"birdhouse")


def lxml() -> None:
    from lxml import etree  # libxml2, libxslt

    assert etree.fromstring(b"<birds><bird>wren</bird><bird>tit</bird></birds>").xpath("count(//bird)") == 2


def pillow() -> None:
    from PIL import Image, ImageDraw  # libjpeg, libpng, libwebp, zlib

    image = Image.new("RGB", (32, 16), "white")
    ImageDraw.Draw(image).rectangle((4, 4, 12, 12), fill="black")
    for kind in ("PNG", "JPEG", "WEBP"):
        encoded = io.BytesIO()
        image.save(encoded, kind)
        assert Image.open(io.BytesIO(encoded.getvalue())).size == (32, 16)


def psycopg2_binary() -> None:
    import psycopg2.extensions  # libpq

    assert psycopg2.extensions.libpq_version() >= 100000


lines = Path(sys.argv[1]).read_text().splitlines()
names = [re.split(r"[<>=!~\[; ]", line.strip())[0] for line in lines if line.strip()]
failures = []
for name in names:
    check = globals().get(name.lower().replace("-", "_"))
    try:
        if check is None:
            raise LookupError("wheels.py has no check for it")
        check()
    except Exception as error:  # each failure is reported
        failures.append(f"{name}: {type(error).__name__}: {error}")
if failures or not names:
    print("\n".join(failures) or "no wheels to check")
    sys.exit(1)
print("binary wheels from PyPI work")
