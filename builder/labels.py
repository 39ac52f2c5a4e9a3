"""Label names, in one home: what birdhouse writes on the images and test containers it makes,
and reads back from the engine and the registry."""

from __future__ import annotations

PREFIX = "dev.birdhouse"
ID = f"{PREFIX}.id"  # the image's id in the catalog: python-3.13-run
VARIANT = f"{PREFIX}.variant"  # dev, run or fat
BUILD_ID = f"{PREFIX}.build-id"  # builder.buildid: what the image was built from
INPUTS = f"{PREFIX}.inputs"  # the build id's inputs, so a plan can say what changed
SIZE = f"{PREFIX}.size"  # for a report on a machine that does not hold the image
EOL = f"{PREFIX}.eol"
BUILDER = f"{PREFIX}.builder"  # the builder's version
TEST = f"{PREFIX}.test"  # on the containers and volumes tests make
VERSION = "org.opencontainers.image.version"  # the full version the runtime reports
CREATED = "org.opencontainers.image.created"  # when it was built: its immutable tag's date
