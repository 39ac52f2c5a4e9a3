"""Render each target's Dockerfile from the Jinja2 templates in images/, and its build context."""

from __future__ import annotations

import functools
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2

from builder.bases import base_image
from builder.catalog import Catalog, RunSpec
from builder.errors import CatalogError
from builder.targets import Target

IMAGES = Path(__file__).resolve().parent.parent / "images"
# the CA bundle, and the folder OpenSSL looks certificates up in by hash (its links, and the
# certificates they lead to): TLS stacks that take the folder (btls, say) find the roots too
CERTS = "/etc/ssl/certs"
ZONEINFO = "/usr/share/zoneinfo"
# fonts: true: the font stack text rendering needs (fontconfig is dlopened by the JVM, so named),
# one font family, and the cache fc-cache builds in the closure stage
FONT_PACKAGES = ("fontconfig", "fonts-dejavu-core", "libfreetype6", "libharfbuzz0b")
FONT_PATHS = ("/etc/fonts", "/usr/share/fonts/truetype/dejavu", "/var/cache/fontconfig")
FONT_LIBRARIES = ("libfontconfig.so.1", "libfreetype.so.6", "libharfbuzz.so.0")


@dataclass(frozen=True)
class Rendered:
    target: Target
    template: str
    dockerfile: str
    files: tuple[Path, ...]  # context files, copied next to the Dockerfile


@functools.cache
def environment(images: Path = IMAGES) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(images),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        autoescape=False,
    )
    env.filters["json"] = json.dumps
    # an ENV value: quoted, and a $ kept as it is (Docker expands $NAME in ENV)
    env.filters["env"] = lambda value: json.dumps(value).replace("$", "\\$")
    env.tests["startswith"] = lambda value, *prefixes: str(value).startswith(prefixes)
    return env


def template_name(target: Target, images: Path = IMAGES) -> str:
    """The language's own template where it has one, else the shared one."""
    own = f"{target.language}/{target.variant}.Dockerfile.j2"
    if target.comparator:
        return "fat.Dockerfile.j2"
    return own if (images / own).is_file() else f"{target.variant}.Dockerfile.j2"


def context_files(target: Target, images: Path = IMAGES) -> tuple[Path, ...]:
    """images/context/* (the closure script, which run images use and dev images ship) for dev and
    run images, then images/<language>/context/* for every image of the language, which may shadow
    them. A fat comparator's build id does not change with them."""
    files: dict[str, Path] = {}
    shared = () if target.comparator else (images / "context",)
    for folder in (*shared, images / target.language / "context"):
        if folder.is_dir():
            files.update({path.name: path for path in sorted(folder.iterdir()) if path.is_file()})
    return tuple(files[name] for name in sorted(files))


def closure_paths(run: RunSpec) -> list[str]:
    """What a run image's closure is taken of: the catalog's paths, the CA certificates, zoneinfo, fonts."""
    return [*run.paths, CERTS] + ([ZONEINFO] if run.tzdata else []) + (list(FONT_PATHS) if run.fonts else [])


def libraries(run: RunSpec) -> tuple[str, ...]:
    """The shared libraries a run image holds by name: the library floor, the font stack's."""
    return (run.floor.libraries if run.floor else ()) + (FONT_LIBRARIES if run.fonts else ())


def render(target: Target, catalog: Catalog, images: Path = IMAGES) -> Rendered:
    """Render target's Dockerfile; the same inputs give the same bytes."""
    name = template_name(target, images)
    version = target.version
    run = version.run
    base = catalog.bases[target.base]
    packages = {"ca-certificates", *run.packages}
    packages |= set(run.floor.packages if run.floor else ())
    packages |= ({"tzdata"} if run.tzdata else set()) | set(FONT_PACKAGES if run.fonts else ())
    # right/ repeats every zone with leap seconds, which no runtime here reads
    exclude = [*run.exclude] + ([f"{ZONEINFO}/right"] if run.tzdata else [])
    try:
        text = (
            environment(images)
            .get_template(name)
            .render(
                template=name,
                target=target,
                title=catalog.languages[target.language].title,
                version=version,
                base=base,
                base_image=base_image(base, target.platform),
                platform=target.platform,
                dev=version.dev,
                run=run,
                packages=sorted(packages),
                paths=closure_paths(run),
                libraries=libraries(run),
                exclude=sorted(exclude),
            )
        )
    except jinja2.TemplateError as error:
        where = getattr(error, "filename", None) or images / name
        line = getattr(error, "lineno", None)
        raise CatalogError(f"{where}{f':{line}' if line else ''}: {error} (rendering {target.id})") from None
    return Rendered(target, name, text, context_files(target, images))


def write(rendered: Rendered, folder: Path) -> Path:
    """Write the Dockerfile and context files into folder (emptied first); return folder."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text(rendered.dockerfile)
    for path in rendered.files:
        shutil.copy2(path, folder / path.name)
    return folder
