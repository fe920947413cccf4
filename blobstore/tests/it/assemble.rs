use std::path::{Path, PathBuf};

use smelter_blobstore::{Limits, PackageError, Resource, ResourcePool, assemble};

use crate::support::{
    Kind, Spec, TestStore, ZipEntry, backend_tests, files_under, read_zip, sha1_hex, sha256_hex,
    write_zip,
};

// The tests that move bits through the resource pool, against both backends; the rest only
// check zips, and use the filesystem.
backend_tests!(
    round_trip_keeps_modes_links_and_contents_and_seeds_the_pool,
    matched_only_package,
    bad_matched_resources_are_refused,
);

struct Env {
    store: TestStore,
    pool: ResourcePool,
}

impl Env {
    async fn new(kind: Kind) -> Self {
        let store = TestStore::new(kind).await;
        let pool = ResourcePool::load(store.store.clone()).await.expect("pool");
        std::fs::create_dir(store.dir.path().join("out")).expect("out dir");
        Self { store, pool }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.store.dir.path().join(name)
    }

    fn out(&self) -> PathBuf {
        self.path("out/package.zip")
    }

    /// Seeds the pool with `data` and returns it as a matched resource at `path`.
    async fn pooled(&self, path: &str, mode: &str, data: &[u8]) -> Resource {
        let file = self.path(&format!("seed-{}", sha1_hex(data)));
        std::fs::write(&file, data).expect("seed file");
        self.pool.add_file(&file).await.expect("seed the pool");
        Resource {
            path: path.into(),
            mode: mode.into(),
            sha1: sha1_hex(data),
            size: data.len() as u64,
        }
    }

    /// Assembles `specs` as the upload and expects a refusal with exactly `message`, with
    /// nothing left in the output directory.
    async fn refused(
        &self,
        specs: &[Spec<'_>],
        matched: &[Resource],
        limits: &Limits,
        message: &str,
    ) {
        let upload = self.path("upload.zip");
        write_zip(&upload, specs);
        self.refused_zip(Some(&upload), matched, limits, message)
            .await;
    }

    async fn refused_zip(
        &self,
        upload: Option<&Path>,
        matched: &[Resource],
        limits: &Limits,
        message: &str,
    ) {
        let err = assemble(upload, matched, &self.pool, limits, &self.out())
            .await
            .expect_err("assemble should refuse");
        assert_eq!(err.to_string(), message);
        assert!(err.is_invalid(), "{err:?}");
        assert_eq!(files_under(&self.path("out")), Vec::<PathBuf>::new());
        assert!(
            std::fs::read_dir(self.path("out"))
                .expect("out dir")
                .next()
                .is_none()
        );
    }
}

const FILE: u32 = 0o100_000;
const DIR: u32 = 0o040_000;
const LINK: u32 = 0o120_000;

fn entry(name: &str, mode: u32, data: &[u8]) -> ZipEntry {
    ZipEntry {
        name: name.into(),
        mode,
        data: data.to_vec(),
    }
}

async fn round_trip_keeps_modes_links_and_contents_and_seeds_the_pool(kind: Kind) {
    let env = Env::new(kind).await;
    let upload = env.path("upload.zip");
    write_zip(
        &upload,
        &[
            Spec::File("bin/run", b"#!/bin/sh\necho hi\n", 0o755),
            Spec::File("README", b"read me", 0o644),
            Spec::Dir("lib/"),
            Spec::Symlink("lib/readme", "../README"),
            Spec::File("empty", b"", 0o644),
        ],
    );
    let matched = [env.pooled("vendor/big.txt", "644", b"already stored").await];

    let out = env.out();
    let assembled = assemble(Some(&upload), &matched, &env.pool, &Limits::default(), &out)
        .await
        .unwrap();

    assert_eq!(
        read_zip(&out),
        vec![
            entry("README", FILE | 0o644, b"read me"),
            entry("bin/", DIR | 0o755, b""),
            entry("bin/run", FILE | 0o755, b"#!/bin/sh\necho hi\n"),
            entry("empty", FILE | 0o644, b""),
            entry("lib/", DIR | 0o755, b""),
            entry("lib/readme", LINK | 0o777, b"../README"),
            entry("vendor/", DIR | 0o755, b""),
            entry("vendor/big.txt", FILE | 0o644, b"already stored"),
        ]
    );
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(assembled.size, bytes.len() as u64);
    assert_eq!(assembled.sha1, sha1_hex(&bytes));
    assert_eq!(assembled.sha256, sha256_hex(&bytes));
    assert_eq!(assembled.file_count, 5);
    // Only the package: staging and temp files are gone.
    assert_eq!(files_under(&env.path("out")), vec![out.clone()]);

    // The uploaded non-empty files are in the pool now, so the next push skips them.
    let next_push = [
        Resource {
            path: "bin/run".into(),
            mode: "755".into(),
            sha1: sha1_hex(b"#!/bin/sh\necho hi\n"),
            size: 18,
        },
        Resource {
            path: "empty".into(),
            mode: "644".into(),
            sha1: sha1_hex(b""),
            size: 0,
        },
    ];
    assert_eq!(env.pool.matches(&next_push), vec![next_push[0].clone()]);
    // And in the store, for the next api-shim that loads the pool.
    let reloaded = ResourcePool::load(env.store.store.clone()).await.unwrap();
    assert!(reloaded.contains(&next_push[0].sha1, 18));

    // Same input, same bytes.
    let again = env.path("out/again.zip");
    let second = assemble(
        Some(&upload),
        &matched,
        &env.pool,
        &Limits::default(),
        &again,
    )
    .await
    .unwrap();
    assert_eq!(second, assembled);
}

async fn matched_only_package(kind: Kind) {
    let env = Env::new(kind).await;
    let matched = [
        env.pooled("app.py", "0644", b"print('hi')").await,
        env.pooled("run.sh", "755", b"#!/bin/sh").await,
    ];
    let out = env.out();
    let assembled = assemble(None, &matched, &env.pool, &Limits::default(), &out)
        .await
        .unwrap();
    assert_eq!(assembled.file_count, 2);
    assert_eq!(
        read_zip(&out),
        vec![
            entry("app.py", FILE | 0o644, b"print('hi')"),
            entry("run.sh", FILE | 0o755, b"#!/bin/sh"),
        ]
    );
}

const INVALID: &str = "The uploaded package is invalid";

#[tokio::test]
async fn unsafe_paths_are_refused() {
    let env = Env::new(Kind::Filesystem).await;
    let limits = Limits::default();
    for name in [
        "../x",
        "a/../../x",
        "/etc/passwd",
        "C:/Windows/x",
        "..\\..\\x",
    ] {
        env.refused(
            &[
                Spec::File("ok", b"fine", 0o644),
                Spec::File(name, b"evil", 0o644),
            ],
            &[],
            &limits,
            &format!("{INVALID}: path '{name}' escapes the package"),
        )
        .await;
    }
}

#[tokio::test]
async fn escaping_symlinks_are_refused() {
    let env = Env::new(Kind::Filesystem).await;
    let limits = Limits::default();
    for (link, target) in [
        ("a", "../outside"),
        ("d/a", "../../outside"),
        ("a", "/etc/passwd"),
        ("a", "sub/../../x"),
    ] {
        env.refused(
            &[Spec::Symlink(link, target)],
            &[],
            &limits,
            &format!("{INVALID}: symlink '{link}' points outside the package"),
        )
        .await;
    }
}

#[tokio::test]
async fn entries_through_a_symlink_or_twice_are_refused() {
    let env = Env::new(Kind::Filesystem).await;
    let limits = Limits::default();
    env.refused(
        &[
            Spec::Symlink("l", "sub"),
            Spec::File("l/passwd", b"x", 0o644),
        ],
        &[],
        &limits,
        &format!("{INVALID}: path 'l/passwd' is below 'l', which is not a directory"),
    )
    .await;
    env.refused(
        &[Spec::File("a", b"1", 0o644), Spec::File("./a", b"2", 0o644)],
        &[],
        &limits,
        &format!("{INVALID}: path 'a' appears more than once"),
    )
    .await;
    // An uploaded file and a matched resource at one path collide too.
    let matched = [env.pooled("a", "644", b"pooled").await];
    env.refused(
        &[Spec::File("a", b"uploaded", 0o644)],
        &matched,
        &limits,
        &format!("{INVALID}: path 'a' appears more than once"),
    )
    .await;
}

#[tokio::test]
async fn zip_bomb_and_too_many_entries_are_refused() {
    let env = Env::new(Kind::Filesystem).await;
    let zeros = vec![0u8; 4 << 20];
    let limits = Limits {
        max_uncompressed: 1 << 20,
        ..Limits::default()
    };
    env.refused(
        &[Spec::File("zeros", &zeros, 0o644)],
        &[],
        &limits,
        &format!("{INVALID}: uncompressed size exceeds 1048576 bytes"),
    )
    .await;

    let limits = Limits {
        max_entries: 2,
        ..Limits::default()
    };
    env.refused(
        &[
            Spec::File("a", b"1", 0o644),
            Spec::File("b", b"2", 0o644),
            Spec::File("c", b"3", 0o644),
        ],
        &[],
        &limits,
        &format!("{INVALID}: more than 2 entries"),
    )
    .await;

    let limits = Limits {
        max_package_bytes: 100,
        ..Limits::default()
    };
    let noise: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    env.refused(
        &[Spec::File("noise", &noise, 0o644)],
        &[],
        &limits,
        &format!("{INVALID}: package size exceeds 100 bytes"),
    )
    .await;
}

#[tokio::test]
async fn truncated_and_corrupt_archives_are_refused() {
    let env = Env::new(Kind::Filesystem).await;
    let limits = Limits::default();
    let message = format!("{INVALID}: the zip archive is truncated or corrupt");
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 97) as u8).collect();
    let good = crate::support::zip_bytes(&[Spec::File("data", &data, 0o644)]);

    let upload = env.path("upload.zip");
    std::fs::write(&upload, &good[..good.len() / 2]).unwrap();
    env.refused_zip(Some(&upload), &[], &limits, &message).await;

    std::fs::write(&upload, b"not a zip at all").unwrap();
    env.refused_zip(Some(&upload), &[], &limits, &message).await;

    // Flip a byte inside the compressed data: the CRC (or inflate) must catch it.
    let mut flipped = good.clone();
    flipped[100] ^= 0xff;
    std::fs::write(&upload, &flipped).unwrap();
    env.refused_zip(Some(&upload), &[], &limits, &message).await;
}

async fn bad_matched_resources_are_refused(kind: Kind) {
    let env = Env::new(kind).await;
    let limits = Limits::default();
    let good = env.pooled("ok", "644", b"pooled").await;

    let escaping = Resource {
        path: "../x".into(),
        ..good.clone()
    };
    env.refused_zip(None, &[escaping], &limits, "File path '../x' is not safe.")
        .await;

    let read_only = Resource {
        mode: "444".into(),
        ..good.clone()
    };
    env.refused_zip(
        None,
        &[read_only],
        &limits,
        "File mode '444' is invalid. Minimum file mode is '0600'",
    )
    .await;

    let unknown = Resource {
        sha1: sha1_hex(b"never stored"),
        ..good.clone()
    };
    env.refused_zip(
        None,
        &[unknown],
        &limits,
        &format!(
            "{INVALID}: resource {} is not in the resource pool",
            sha1_hex(b"never stored")
        ),
    )
    .await;

    let wrong_size = Resource { size: 99, ..good };
    env.refused_zip(
        None,
        &[wrong_size],
        &limits,
        &format!(
            "{INVALID}: resource {} is not in the resource pool",
            sha1_hex(b"pooled")
        ),
    )
    .await;
}

#[tokio::test]
async fn refusal_does_not_replace_an_existing_package() {
    let env = Env::new(Kind::Filesystem).await;
    std::fs::write(env.out(), b"previous").unwrap();
    let upload = env.path("upload.zip");
    write_zip(&upload, &[Spec::File("../x", b"evil", 0o644)]);
    let err = assemble(
        Some(&upload),
        &[],
        &env.pool,
        &Limits::default(),
        &env.out(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, PackageError::UnsafePath { .. }));
    assert_eq!(std::fs::read(env.out()).unwrap(), b"previous");
    assert_eq!(files_under(&env.path("out")), vec![env.out()]);
}
