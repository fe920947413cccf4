#!/usr/bin/env bash
# tests/images/build.sh: the images the test node runs, built without Docker
# or a registry, as OCI archives that `ctr images import` loads (and
# `docker load` too). Dockerfiles for the same images are in images/.
#
# Usage:
#   build.sh stack           the cflinuxfs4-like stack image (Debian bookworm
#                            rootfs by debootstrap, with the vcap user); prints
#                            the archive's path. Cached by its recipe.
#   build.sh smelter BINDIR  the Smelter image: the stack's rootfs plus the
#                            operator, api-shim and lifecycle binaries from
#                            BINDIR (cargo's target/<profile>); prints the path.
#
# Image names are the chart's and the operator's defaults, at the workspace
# version: smelter/cflinuxfs4:V (stack), smelter/smelter:V and
# smelter/lifecycle:V (one image, two names: the lifecycle programs need
# nothing the Smelter binaries don't).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
cache=${SMELTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/smelter}/images
mkdir -p "$cache"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)
[[ -n $version ]] || { echo "build.sh: no workspace version in Cargo.toml" >&2; exit 1; }

# What classic buildpacks expect of cflinuxfs4 that this stack provides:
# bash, coreutils, curl, tar/gzip/xz/unzip, CA certificates, tzdata, and
# busybox (its httpd serves the staticfile buildpack's sites).
stack_packages=busybox,ca-certificates,curl,netbase,tzdata,xz-utils,unzip,procps,locales
suite=bookworm
mirror=${SMELTER_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# layer DIR OUT: a reproducible tar of DIR (sorted, fixed mtime, numeric
# owners; no device nodes or kernel filesystems).
layer() {
  tar --sort=name --mtime=@0 --numeric-owner --exclude='./dev/*' --exclude='./proc/*' \
    --exclude='./sys/*' -C "$1" -cf "$2.tmp" .
  mv -f "$2.tmp" "$2"
}

# stack_layer: prints the path of the stack rootfs layer, building it once
# per recipe (this file's stack lines); debootstrap takes about a minute.
stack_layer() {
  local key out work
  key=$(printf '%s\n' "$suite" "$stack_packages" "$(sed -n '/^stack_rootfs()/,/^}/p' "$0")" | sha256sum | cut -c1-16)
  out=$cache/stack-$suite-$key.layer.tar
  if [[ ! -f $out ]]; then
    work=$(mktemp -d "$cache/stack.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    stack_rootfs "$work/rootfs" >&2
    layer "$work/rootfs" "$out"
    rm -rf "$work"
    trap - EXIT
  fi
  echo "$out"
}

stack_rootfs() {
  local r=$1
  echo "build.sh: debootstrap $suite into $r ($stack_packages)"
  debootstrap --variant=minbase --include="$stack_packages" "$suite" "$r" "$mirror" >"$r.log" 2>&1 ||
    { tail -20 "$r.log"; exit 1; }
  # vcap (2000:2000), the user CF runs staging and apps as, home /home/vcap.
  chroot "$r" groupadd -g 2000 vcap
  chroot "$r" useradd -u 2000 -g 2000 -m -d /home/vcap -s /bin/bash vcap
  # The locale the launcher sets (LANG=en_US.UTF-8).
  sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' "$r/etc/locale.gen"
  chroot "$r" locale-gen >/dev/null
  # No package cache or lists in the image.
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r"/var/log/*
}

cmd=${1:-}
case $cmd in
  stack)
    l=$(stack_layer)
    out=$cache/cflinuxfs4-$version.tar
    "$here/oci-archive.py" "$out" --name "docker.io/smelter/cflinuxfs4:$version" --layer "$l" \
      --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      --env LANG=en_US.UTF-8
    echo "$out"
    ;;
  smelter)
    bindir=${2:?usage: build.sh smelter BINDIR}
    l=$(stack_layer)
    work=$(mktemp -d "$cache/smelter.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/root/lifecycle" "$work/root/usr/local/bin"
    # Stripped: a debug build's symbols are most of its size (hundreds of MB),
    # and the node imports this image on every test run.
    for b in fetcher builder launcher; do install -s -m 0755 "$bindir/$b" "$work/root/lifecycle/$b"; done
    install -s -m 0755 "$bindir/operator" "$work/root/usr/local/bin/smelter-operator"
    install -s -m 0755 "$bindir/api-shim" "$work/root/usr/local/bin/smelter-api-shim"
    layer "$work/root" "$work/bin.layer.tar"
    out=$cache/smelter-$version.tar
    "$here/oci-archive.py" "$out" --name "docker.io/smelter/smelter:$version" \
      --name "docker.io/smelter/lifecycle:$version" --layer "$l" --layer "$work/bin.layer.tar" \
      --user 2000:2000 --env PATH=/usr/local/bin:/usr/bin:/bin
    echo "$out"
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
