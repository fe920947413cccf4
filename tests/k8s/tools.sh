#!/usr/bin/env bash
# tests/k8s/tools.sh: builds the upstream binaries of the test Kubernetes
# (etcd, the Kubernetes components, kubectl, helm, the cf CLI) from the Go
# module proxy, and the S3-compatible test server s3s-fs from crates.io, at
# the versions pinned in tests/k8s/versions.env. On request only, never by
# default: korifi-api, the peer API server that `benches/run reads` times the
# api-shim against (with Korifi's CRDs beside it, from the same module zip).
#
# Usage:
#   tools.sh build [NAME...]   build, or reuse, the named tools (default: all
#                              but korifi-api)
#   tools.sh path              print a PATH fragment with every tool directory
#   tools.sh bin NAME          print the absolute path of one built binary
#   tools.sh verify [NAME...]  run each built binary's version command
#   tools.sh pin [GROUP...]    regenerate the wrapper modules in gomod/ from
#                              versions.env (groups: kubernetes etcd helm cf
#                              coredns traefik kube-router korifi)
#
# Why wrapper modules (tests/k8s/gomod/<group>/): k8s.io/kubernetes cannot be
# `go install`ed, because its go.mod replaces every k8s.io/* staging module
# with ./staging/..., which the module zip does not contain. A module of our
# own that requires it and points each staging module at its published
# release builds fine. The other tools get a wrapper too, so that every
# transitive dependency is pinned by the committed go.sum, not resolved anew.
#
# s3s-fs is `cargo install --locked`ed: the crate's published Cargo.lock pins
# its dependencies as go.sum pins the Go tools', so it needs no wrapper.
#
# Binaries go outside the repository, keyed by version, and are reused:
#   ${SMELTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/smelter}/tools/<name>-<version>/<name>
#   (s3s-fs: .../tools/s3s-fs-<version>/bin/s3s-fs, cargo install's layout;
#   korifi-api: its CRDs in .../tools/korifi-api-<version>/crds/)
# Go's module and build caches stay at Go's defaults, so rebuilds are fast.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=versions.env
source "$here/versions.env"

cache_root=${SMELTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/smelter}
tools_dir=$cache_root/tools
gomod_dir=$here/gomod

# The Go toolchain: whatever is on PATH, else the usual install location.
if ! command -v go >/dev/null 2>&1; then
  PATH=/usr/local/go/bin:$PATH
fi
# Only the proxy, never direct VCS: there is no internet besides the proxy,
# and go.sum was taken from the proxy's copies.
export GOPROXY=https://proxy.golang.org
# Never fetch another toolchain; the machine's Go builds everything.
export GOTOOLCHAIN=local
# Static binaries, no C toolchain needed (upstream releases are built so too).
export CGO_ENABLED=0
# A go.work somewhere above must not change what the wrapper modules resolve.
export GOWORK=off
# Builds must not touch go.mod/go.sum (-mod=readonly): a missing hash is an
# error, not a silent download. -trimpath keeps local paths out of binaries;
# -buildvcs=false because the wrapper's VCS state says nothing about upstream.
export GOFLAGS="-mod=readonly -trimpath -buildvcs=false"

die() {
  echo "tools.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# v1.34.4 -> v0.34.4: the staging modules are tagged v0.<minor>.<patch>.
k8s_staging_version() {
  echo "v0.${KUBERNETES_VERSION#v1.}"
}

k8s_version_ldflags() {
  local major minor rest pkg out=""
  IFS=. read -r major minor rest <<<"${KUBERNETES_VERSION#v}"
  : "$rest"
  # Without these, /version and --version report v0.0.0-master.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    out+=" -X $pkg.gitVersion=$KUBERNETES_VERSION"
    out+=" -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    out+=" -X $pkg.gitTreeState=clean"
  done
  echo "$out"
}

default_tools() {
  # shellcheck disable=SC2086 # the component list is space-separated words
  echo etcd $KUBERNETES_COMPONENTS helm cf coredns traefik kube-router s3s-fs
}

has_word() {
  local word=$1 w
  shift
  for w in "$@"; do
    [[ $w == "$word" ]] && return 0
  done
  return 1
}

# tool_spec NAME: sets the spec_* variables describing how to build NAME.
tool_spec() {
  local name=$1
  spec_name=$name
  spec_crate=""
  spec_vercheck=run # run: its version command; gomod: the module version `go version -m` reads
  spec_post=""      # a step that adds files beside the binary before it is moved in place
  case $name in
    s3s-fs)
      spec_crate=s3s-fs
      spec_version=$S3S_FS_VERSION
      spec_vercmd=(--version)
      spec_expect="s3s-fs $S3S_FS_VERSION"
      spec_dir=$tools_dir/$name-$spec_version
      spec_bin=$spec_dir/bin/$name
      return 0
      ;;
    etcd)
      spec_group=etcd
      spec_module=go.etcd.io/etcd/server/v3
      spec_pkg=go.etcd.io/etcd/server/v3 # main package; `-o etcd`, else it is named v3
      spec_version=$ETCD_VERSION
      spec_ldflags="-s -w"
      spec_vercmd=(--version)
      spec_expect="etcd Version: ${ETCD_VERSION#v}"
      ;;
    helm)
      local minor
      minor=$(cut -d. -f2 <<<"$KUBERNETES_VERSION")
      spec_group=helm
      spec_module=helm.sh/helm/v3
      spec_pkg=helm.sh/helm/v3/cmd/helm
      spec_version=$HELM_VERSION
      # version: else `helm version` says just "v3.21". k8sVersion*: the
      # Kubernetes version `helm template` assumes without a cluster (upstream
      # sets its client-go's, default 1.20); ours is the one the tests target.
      spec_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
      spec_ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1"
      spec_ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
      spec_ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1"
      spec_ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
      spec_vercmd=(version --short)
      spec_expect=$HELM_VERSION
      ;;
    cf)
      spec_group=cf
      spec_module=code.cloudfoundry.org/cli/v8
      spec_pkg=code.cloudfoundry.org/cli/v8 # main package at the module root
      spec_version=$CF_VERSION
      # Else `cf version` reports 0.0.0-unknown-version.
      spec_ldflags="-s -w -X code.cloudfoundry.org/cli/v8/version.binaryVersion=${CF_VERSION#v}"
      spec_vercmd=(version)
      spec_expect="cf version ${CF_VERSION#v}"
      ;;
    coredns)
      spec_group=coredns
      spec_module=github.com/coredns/coredns
      spec_pkg=github.com/coredns/coredns # main package at the module root
      spec_version=$COREDNS_VERSION
      # Else `coredns -version` names no commit; the version itself is a constant upstream.
      spec_ldflags="-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION"
      spec_vercmd=(-version)
      spec_expect="CoreDNS-${COREDNS_VERSION#v}"
      ;;
    traefik)
      spec_group=traefik
      spec_module=github.com/traefik/traefik/v3
      spec_pkg=github.com/traefik/traefik/v3/cmd/traefik
      spec_version=$TRAEFIK_VERSION
      # Else `traefik version` says "dev".
      spec_ldflags="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION"
      spec_vercmd=(version)
      spec_expect=$TRAEFIK_VERSION
      ;;
    kube-router)
      spec_group=kube-router
      spec_module=github.com/cloudnativelabs/kube-router/v2
      spec_pkg=github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
      spec_version=$KUBE_ROUTER_VERSION
      # Else `kube-router --version` names no version.
      spec_ldflags="-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION"
      spec_vercmd=(--version)
      spec_expect="kube-router version $KUBE_ROUTER_VERSION,"
      ;;
    korifi-api)
      spec_group=korifi
      spec_module=code.cloudfoundry.org/korifi
      spec_pkg=code.cloudfoundry.org/korifi/api
      spec_version=$KORIFI_VERSION
      # As Korifi's image build sets it: its start-up log names the version.
      spec_ldflags="-s -w -X code.cloudfoundry.org/korifi/version.Version=$KORIFI_VERSION"
      # It has no version flag (it panics without its config), but the binary records
      # the version of every module it was built from.
      spec_vercheck=gomod
      spec_expect="$spec_module $KORIFI_VERSION"
      spec_post=korifi_crds
      ;;
    *)
      # shellcheck disable=SC2086 # space-separated word list
      if ! has_word "$name" $KUBERNETES_PINNED_COMMANDS; then
        die "unknown tool '$name' (known: etcd helm cf coredns traefik kube-router s3s-fs korifi-api $KUBERNETES_PINNED_COMMANDS)"
      fi
      spec_group=kubernetes
      spec_module=k8s.io/kubernetes
      spec_pkg=k8s.io/kubernetes/cmd/$name
      spec_version=$KUBERNETES_VERSION
      spec_ldflags="-s -w$(k8s_version_ldflags)"
      if [[ $name == kubectl ]]; then
        spec_vercmd=(version --client)
      else
        spec_vercmd=(--version)
      fi
      spec_expect=$KUBERNETES_VERSION
      ;;
  esac
  spec_dir=$tools_dir/$name-$spec_version
  spec_bin=$spec_dir/$name
}

# Refuse to build from a wrapper module that does not match versions.env:
# the cache key is the version, so a stale wrapper would poison the cache.
check_pinned() {
  local modfile=$gomod_dir/$spec_group/go.mod
  [[ -f $modfile && -f $gomod_dir/$spec_group/go.sum ]] ||
    die "$modfile or its go.sum is missing; run: tests/k8s/tools.sh pin $spec_group"
  grep -Eq "^[[:space:]]*(require[[:space:]]+)?${spec_module//./\\.}[[:space:]]+${spec_version//./\\.}([[:space:]]|$)" "$modfile" ||
    die "$modfile does not require $spec_module $spec_version (versions.env); run: tests/k8s/tools.sh pin $spec_group"
  grep -Fq "\"$spec_pkg\"" "$gomod_dir/$spec_group/tools.go" ||
    die "$spec_pkg is not pinned in $gomod_dir/$spec_group/tools.go; add it to versions.env and run: tests/k8s/tools.sh pin $spec_group"
}

# Runs BIN's version command and checks it names the pinned version.
check_version() {
  local bin=$1 out home
  if [[ $spec_vercheck == gomod ]]; then
    out=$(go version -m "$bin") || die "go version -m $bin failed"
    # "<tab>mod<tab>MODULE<tab>VERSION<tab>h1:...": the module of the command built (a
    # module that is only a dependency of it would be a "dep" line).
    awk -v want="$spec_expect" '$1 == "mod" && ($2 " " $3) == want { found = 1 } END { exit !found }' <<<"$out" ||
      die "$bin was not built from $spec_expect (go version -m: $(grep -F "$spec_module" <<<"$out" | head -n1))"
    echo "$spec_name: $spec_expect"
    return 0
  fi
  # cf and helm may write per-user state; keep it out of $HOME.
  home=$(mktemp -d)
  if ! out=$(CF_HOME=$home HELM_CONFIG_HOME=$home HELM_CACHE_HOME=$home HELM_DATA_HOME=$home \
    KUBECONFIG=$home/none "$bin" "${spec_vercmd[@]}" 2>&1); then
    rm -rf "$home"
    die "$bin ${spec_vercmd[*]} failed: $out"
  fi
  rm -rf "$home"
  grep -Fq -- "$spec_expect" <<<"$out" ||
    die "$bin ${spec_vercmd[*]} printed '$out', expected it to contain '$spec_expect'"
  echo "$spec_name: $(head -n1 <<<"$out")"
}

# go_build_cmd DIR: the build of a Go tool into DIR, run from its wrapper module.
go_build_cmd() {
  cd "$gomod_dir/$spec_group" && exec setsid go build -ldflags "$spec_ldflags" -o "$1/$spec_name" "$spec_pkg"
}

# korifi_crds DIR: Korifi's CRDs, from the module zip the binary was built from (the
# wrapper module's go.sum pins it), into DIR/crds: read, never committed.
korifi_crds() {
  local moddir src
  moddir=$(cd "$gomod_dir/$spec_group" && go list -m -f '{{.Dir}}' "$spec_module") ||
    die "cannot find $spec_module in the module cache"
  src=$moddir/helm/korifi/controllers/crds
  compgen -G "$src/*.yaml" >/dev/null || die "no CRDs in $src"
  mkdir -p "$1/crds"
  cp "$src"/*.yaml "$1/crds/"
  # The module cache is read-only; the copies need not be.
  chmod u+w "$1/crds"/*.yaml
}

# cargo_install_cmd DIR: the build of a crates.io tool into DIR/bin. Its own target
# directory (inside DIR, removed after), never CARGO_TARGET_DIR: that may be a
# workspace's, whose lock would hold up other builds for the whole install.
cargo_install_cmd() {
  exec setsid cargo install --quiet --locked "$spec_crate@$spec_version" --features binary \
    --root "$1" --target-dir "$1/target"
}

elapsed() { # elapsed START_EPOCHREALTIME -> "12.3s"
  local us=$((${EPOCHREALTIME/./} - ${1/./}))
  printf '%d.%01ds' $((us / 1000000)) $((us % 1000000 / 100000))
}

tmp_dir=""
build_pid=""
cleanup() {
  if [[ -n $build_pid ]]; then
    # Interrupted: stop the whole build (go and its compile/link children).
    kill -TERM -- "-$build_pid" 2>/dev/null || true
    wait "$build_pid" 2>/dev/null || true
  fi
  if [[ -n $tmp_dir ]]; then rm -rf "$tmp_dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

build_one() {
  local name=$1 lock_fd start
  tool_spec "$name"
  mkdir -p "$spec_dir"
  # One lock per tool and version: two runs at once build it once, the
  # second waits and then reuses the result.
  exec {lock_fd}>"$spec_dir.lock"
  flock "$lock_fd"
  if [[ -x $spec_bin ]]; then
    echo "$name $spec_version: cached, $spec_bin"
    exec {lock_fd}>&-
    return 0
  fi
  if [[ -z $spec_crate ]]; then check_pinned; fi
  # Holding the lock, any build directory here is a killed build's leftover.
  rm -rf "$spec_dir"/.build.*
  echo "$name $spec_version: building ${spec_crate:-$spec_pkg} ..."
  start=$EPOCHREALTIME
  # Build in a temporary directory beside the final one and rename when done
  # and checked: rename is atomic, so a killed build never leaves a half
  # binary that looks done. (Same file name, as cf prints its argv[0].)
  tmp_dir=$spec_dir/.build.$$
  mkdir -p "$tmp_dir"
  # In its own process group (setsid), so an interruption can stop all of
  # it; waited for with `wait`, which a signal interrupts (a foreground
  # command would delay our traps until the build ends).
  if [[ -n $spec_crate ]]; then
    (cargo_install_cmd "$tmp_dir") &
  else
    (go_build_cmd "$tmp_dir") &
  fi
  build_pid=$!
  wait "$build_pid"
  build_pid=""
  local built=$tmp_dir/${spec_bin#"$spec_dir"/}
  check_version "$built" >/dev/null
  if [[ -n $spec_post ]]; then
    "$spec_post" "$tmp_dir"
    # Beside files first, the binary last: a binary in place means all is there.
    if [[ -d $tmp_dir/crds ]]; then
      rm -rf "$spec_dir/crds"
      mv "$tmp_dir/crds" "$spec_dir/crds"
    fi
  fi
  mkdir -p "$(dirname "$spec_bin")"
  mv -f "$built" "$spec_bin"
  rm -rf "$tmp_dir"
  tmp_dir=""
  echo "$name $spec_version: built in $(elapsed "$start"), $spec_bin"
  exec {lock_fd}>&-
}

cmd_build() {
  local names=("$@") name total
  # shellcheck disable=SC2207 # default_tools prints plain words
  ((${#names[@]})) || names=($(default_tools))
  for name in "${names[@]}"; do tool_spec "$name"; done # fail early on typos
  total=$EPOCHREALTIME
  for name in "${names[@]}"; do build_one "$name"; done
  echo "all done in $(elapsed "$total")"
}

cmd_path() {
  local name out=""
  for name in $(default_tools); do
    tool_spec "$name"
    [[ -x $spec_bin ]] || echo "tools.sh: warning: $name not built yet (tools.sh build $name)" >&2
    out+=${out:+:}$(dirname "$spec_bin")
  done
  echo "$out"
}

cmd_bin() {
  (($# == 1)) || usage
  tool_spec "$1"
  [[ -x $spec_bin ]] || die "$1 $spec_version is not built; run: tests/k8s/tools.sh build $1"
  echo "$spec_bin"
}

cmd_verify() {
  local names=("$@") name
  # shellcheck disable=SC2207 # default_tools prints plain words
  ((${#names[@]})) || names=($(default_tools))
  for name in "${names[@]}"; do
    tool_spec "$name"
    [[ -x $spec_bin ]] || die "$name $spec_version is not built; run: tests/k8s/tools.sh build $name"
    check_version "$spec_bin"
  done
}

# pin GROUP: rewrite gomod/GROUP/{go.mod,tools.go} from versions.env, then let
# `go mod tidy` fill in go.mod and go.sum. Needs the module proxy; sum.golang.org
# is not reachable here, so the hashes come from the proxy's copies
# (GOSUMDB=off) and are committed, which pins them for every later build.
pin_group() {
  local group=$1 module version pkgs=() c dir tmp upstream staging=() m upgrades=()
  case $group in
    kubernetes)
      module=k8s.io/kubernetes version=$KUBERNETES_VERSION
      for c in $KUBERNETES_PINNED_COMMANDS; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
      ;;
    etcd) module=go.etcd.io/etcd/server/v3 version=$ETCD_VERSION pkgs=("$module") ;;
    helm) module=helm.sh/helm/v3 version=$HELM_VERSION pkgs=(helm.sh/helm/v3/cmd/helm) ;;
    cf) module=code.cloudfoundry.org/cli/v8 version=$CF_VERSION pkgs=("$module") ;;
    coredns) module=github.com/coredns/coredns version=$COREDNS_VERSION pkgs=("$module") ;;
    traefik)
      module=github.com/traefik/traefik/v3 version=$TRAEFIK_VERSION
      pkgs=(github.com/traefik/traefik/v3/cmd/traefik)
      ;;
    kube-router)
      module=github.com/cloudnativelabs/kube-router/v2 version=$KUBE_ROUTER_VERSION
      pkgs=(github.com/cloudnativelabs/kube-router/v2/cmd/kube-router)
      ;;
    korifi)
      module=code.cloudfoundry.org/korifi version=$KORIFI_VERSION pkgs=(code.cloudfoundry.org/korifi/api)
      # shellcheck disable=SC2206 # space-separated MODULE@VERSION words
      upgrades=($KORIFI_UPGRADES)
      ;;
    *) die "unknown group '$group' (known: kubernetes etcd helm cf coredns traefik kube-router korifi)" ;;
  esac
  dir=$gomod_dir/$group
  mkdir -p "$dir"
  echo "pin $group: $module $version"

  # The upstream go.mod, for its go and godebug lines (they set the GODEBUG
  # defaults of the binary, which belong to the main module, now ours) and,
  # for Kubernetes, the list of staging modules.
  tmp=$(mktemp -d)
  upstream=$(cd "$tmp" && GOFLAGS='' go mod download -json "$module@$version" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
  rmdir "$tmp"
  [[ -f $upstream ]] || die "could not download $module@$version"

  if [[ $group == kubernetes ]]; then
    # Staging modules: replaced with ./staging/... upstream AND required (as
    # v0.0.0) by k8s.io/kubernetes; the sample-* ones are not required.
    while read -r m; do
      if grep -Eq "^[[:space:]]+${m//./\\.} v0\.0\.0$" "$upstream"; then staging+=("$m"); fi
    done < <(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*#\1#p' "$upstream")
    ((${#staging[@]})) || die "found no staging modules in $upstream"
  fi

  {
    echo "// Generated by tests/k8s/tools.sh pin from tests/k8s/versions.env; do not edit."
    echo "// A wrapper module so tools.sh can build $module from the proxy"
    echo "// with every dependency pinned by go.sum."
    echo
    echo "module smelter.local/tests/k8s/gomod/$group"
    echo
    grep -m1 '^go ' "$upstream"
    # godebug: one line or a block.
    awk '/^godebug \($/ {b=1} b || /^godebug / {print} b && /^\)$/ {b=0}' "$upstream"
    echo
    echo "require $module $version"
    if ((${#upgrades[@]})); then
      echo
      echo "// Raised above what $module requires (versions.env says why)."
      echo "require ("
      for m in "${upgrades[@]}"; do echo "	${m%@*} ${m#*@}"; done
      echo ")"
    fi
    if ((${#staging[@]})); then
      echo
      echo "// The staging modules, which k8s.io/kubernetes takes from ./staging,"
      echo "// at their published release."
      echo "replace ("
      for m in "${staging[@]}"; do echo "	$m => $m $(k8s_staging_version)"; done
      echo ")"
    elif grep -q '=>' "$upstream"; then
      # Replace directives apply only in the main module, so upstream's (forks at
      # published versions, for Traefik) must be ours too; local-path ones cannot be.
      echo
      echo "// Upstream's replace directives (forks), which only the main module's count."
      echo "replace ("
      awk '/^replace \($/ {b=1; next} b && /^\)$/ {b=0} b || /^replace [^(]/ {print}' "$upstream" |
        sed 's/^replace //; s/^[[:space:]]*//' | grep '=>' | grep -v '=> *\.' | sed 's/^/\t/'
      echo ")"
    fi
  } >"$dir/go.mod"

  {
    echo "//go:build tools"
    echo
    echo "// Code generated by tests/k8s/tools.sh pin; DO NOT EDIT."
    echo
    echo "// Package tools names the upstream commands this wrapper module builds, so"
    echo "// that go mod tidy keeps everything they need in go.mod and go.sum. The"
    echo "// build tag keeps it out of real builds: these are main packages."
    echo "package tools"
    echo
    echo "import ("
    # Sorted byte-wise, as gofmt wants imports.
    printf '%s\n' "${pkgs[@]}" | LC_ALL=C sort | while read -r m; do echo "	_ \"$m\""; done
    echo ")"
  } >"$dir/tools.go"

  rm -f "$dir/go.sum"
  (cd "$dir" && GOFLAGS='' GOSUMDB=off go mod tidy)
  # Prove the committed files suffice: resolve every pinned package with
  # -mod=readonly (GOFLAGS), as a build will.
  (cd "$dir" && go list -deps "${pkgs[@]}" >/dev/null)
  echo "pin $group: wrote $dir/{go.mod,go.sum,tools.go}"
}

cmd_pin() {
  local groups=("$@") g
  ((${#groups[@]})) || groups=(kubernetes etcd helm cf coredns traefik kube-router korifi)
  for g in "${groups[@]}"; do pin_group "$g"; done
}

(($# >= 1)) || usage
cmd=$1
shift
case $cmd in
  build) cmd_build "$@" ;;
  path) (($# == 0)) || usage; cmd_path ;;
  bin) cmd_bin "$@" ;;
  verify) cmd_verify "$@" ;;
  pin) cmd_pin "$@" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
