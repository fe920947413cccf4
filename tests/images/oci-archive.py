#!/usr/bin/env python3
"""Writes an OCI image archive (an image layout in a tar) from layer tarballs.

Usage:
  oci-archive.py OUT.tar --name REF [--name REF]... [--layer LAYER.tar]... [--entrypoint ARG]...
                 [--cmd ARG]... [--env K=V]... [--user USER] [--workdir DIR]

`ctr images import` (containerd) and `docker load` both read the result, so no
Docker engine or registry is needed to get an image onto a node. Layers are
uncompressed tars (the node imports them once, on loopback; gzip would only
cost time) and are referenced by digest, so the same layer in two images is
stored once. Each --name is one entry of the index, named by the
`io.containerd.image.name` annotation (containerd) and
`org.opencontainers.image.ref.name` (the OCI tag): one image, several names.
"""

import argparse
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile

CHUNK = 1 << 20


def digest_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return "sha256:" + h.hexdigest(), os.path.getsize(path)


def add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--name", action="append", required=True)
    p.add_argument("--layer", action="append", default=[])
    p.add_argument("--entrypoint", action="append")
    p.add_argument("--cmd", action="append")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--user")
    p.add_argument("--workdir")
    a = p.parse_args()

    layers = [(path, *digest_of(path)) for path in a.layer]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": a.env or ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        # Uncompressed layers: each diff ID is the layer's own digest.
        "rootfs": {"type": "layers", "diff_ids": [d for _, d, _ in layers]},
        "history": [{"created_by": "smelter tests/images"} for _ in layers],
    }
    for key, value in (("Entrypoint", a.entrypoint), ("Cmd", a.cmd), ("User", a.user), ("WorkingDir", a.workdir)):
        if value:
            config["config"][key] = value
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_digest = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": len(config_bytes),
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": s}
            for _, d, s in layers
        ],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    manifest_digest = "sha256:" + hashlib.sha256(manifest_bytes).hexdigest()
    def tag_of(name):
        last = name.rsplit("/", 1)[-1]
        return last.rsplit(":", 1)[1] if ":" in last else "latest"

    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": len(manifest_bytes),
                "annotations": {
                    "io.containerd.image.name": name,
                    "org.opencontainers.image.ref.name": tag_of(name),
                },
            }
            for name in a.name
        ],
    }

    # Written beside OUT and renamed into place: a half-written archive is
    # never mistaken for a built image.
    out_dir = os.path.dirname(os.path.abspath(a.out))
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f, tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tar:
            add_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
            add_bytes(tar, "index.json", json.dumps(index, sort_keys=True).encode())
            add_bytes(tar, "blobs/sha256/" + manifest_digest[7:], manifest_bytes)
            add_bytes(tar, "blobs/sha256/" + config_digest[7:], config_bytes)
            seen = set()
            for path, d, _ in layers:
                if d not in seen:
                    seen.add(d)
                    tar.add(path, arcname="blobs/sha256/" + d[7:], recursive=False)
        os.replace(tmp, a.out)
    except BaseException:
        os.unlink(tmp)
        raise


if __name__ == "__main__":
    sys.exit(main())
