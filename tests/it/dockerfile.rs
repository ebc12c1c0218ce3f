//! The Dockerfile cannot be built in CI (no container engine, no image registry), so this checks
//! what can go wrong without one: the build context it copies holds every file the build reads,
//! and its steps are the ones the README gives.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(name: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The sources of the `COPY` instructions that copy from the build context (not `--from`).
fn copied(dockerfile: &str) -> Vec<String> {
    dockerfile
        .lines()
        .filter_map(|line| line.trim().strip_prefix("COPY "))
        .filter(|args| !args.trim_start().starts_with("--from"))
        .flat_map(|args| {
            let words: Vec<&str> = args.split_whitespace().collect();
            words[..words.len() - 1]
                .iter()
                .map(|w| w.trim_end_matches('/').to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The files `cargo build --release` reads, relative to the package root: the manifest and lock
/// file, the build script, every target Cargo.toml declares or finds by convention, and the
/// files the sources embed at compile time.
fn build_inputs(root: &Path, manifest: &str) -> Vec<PathBuf> {
    let toml: toml::Table = manifest.parse().expect("Cargo.toml parses");
    let mut inputs: Vec<PathBuf> = ["Cargo.toml", "Cargo.lock", "src/lib.rs", "src/main.rs"]
        .iter()
        .map(PathBuf::from)
        .collect();
    let package = toml["package"].as_table().expect("[package]");
    match package.get("build").and_then(|b| b.as_str()) {
        Some(build) => inputs.push(build.into()),
        None if root.join("build.rs").exists() => inputs.push("build.rs".into()),
        None => {}
    }
    // Cargo checks every declared target's file when it reads the manifest, so a missing
    // bench breaks `cargo build` too.
    for (kind, dir) in [
        ("bin", "src/bin"),
        ("bench", "benches"),
        ("test", "tests"),
        ("example", "examples"),
    ] {
        for target in toml.get(kind).and_then(|t| t.as_array()).into_iter().flatten() {
            let path = match (target.get("path"), target.get("name")) {
                (Some(path), _) => path.as_str().expect("a path").into(),
                (None, Some(name)) => format!("{dir}/{}.rs", name.as_str().expect("a name")),
                (None, None) => panic!("a [[{kind}]] without a name or path"),
            };
            inputs.push(path.into());
        }
    }
    inputs.extend(embedded(root, &root.join("src")));
    inputs
}

/// Paths named by `include_str!`/`include_bytes!` (relative to the file) and
/// `embed_migrations!` (relative to the package root) under `dir`.
fn embedded(root: &Path, dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(embedded(root, &path));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let file_dir = path.parent().unwrap().strip_prefix(root).unwrap();
        for (marker, base) in [
            ("include_str!(\"", file_dir),
            ("include_bytes!(\"", file_dir),
            ("embed_migrations!(\"", Path::new("")),
        ] {
            for piece in text.split(marker).skip(1) {
                let name = piece.split('"').next().unwrap();
                found.push(base.join(name));
            }
        }
    }
    found
}

/// Build inputs that the Dockerfile's `COPY` instructions leave out.
fn missing_from_context(root: &Path, dockerfile: &str, manifest: &str) -> Vec<PathBuf> {
    let copied = copied(dockerfile);
    build_inputs(root, manifest)
        .into_iter()
        .filter(|input| {
            let input = input.to_string_lossy().replace('\\', "/");
            !copied
                .iter()
                .any(|c| input == *c || input.starts_with(&format!("{c}/")))
        })
        .collect()
}

#[test]
fn every_file_the_dockerfile_copies_exists() {
    let dockerfile = read("Dockerfile");
    let sources = copied(&dockerfile);
    assert!(sources.len() >= 5, "{sources:?}");
    for source in sources {
        assert!(
            Path::new(ROOT).join(&source).exists(),
            "COPY {source}: no such file"
        );
    }
}

#[test]
fn the_build_context_holds_every_file_the_build_reads() {
    let missing = missing_from_context(Path::new(ROOT), &read("Dockerfile"), &read("Cargo.toml"));
    assert!(missing.is_empty(), "the Dockerfile does not copy {missing:?}");
}

#[test]
fn a_context_without_the_declared_bench_is_caught() {
    // The Dockerfile before this check: cargo refused its manifest for want of benches/load.rs.
    let old = "FROM rust:1-bookworm AS build\n\
               COPY Cargo.toml Cargo.lock build.rs rustfmt.toml clippy.toml ./\n\
               COPY migrations migrations\n\
               COPY src src\n\
               COPY --from=build /src/target/release/pingyi /usr/local/bin/pingyi\n";
    let missing = missing_from_context(Path::new(ROOT), old, &read("Cargo.toml"));
    assert_eq!(
        missing,
        vec![
            PathBuf::from("benches/load.rs"),
            PathBuf::from("bench/ranking.rs")
        ]
    );
}

#[test]
fn the_image_is_built_as_the_readme_says_and_needs_no_system_libpq() {
    let dockerfile = read("Dockerfile");
    let readme = read("README.md");
    let deployment = read("docs/deployment.md");
    assert!(
        dockerfile.contains("RUN cargo build --release --locked"),
        "the image builds the default features, as the README does"
    );
    assert!(dockerfile.contains("/src/target/release/pingyi /usr/local/bin/pingyi"));
    assert!(
        readme.contains("target/release/pingyi"),
        "the README says where the binary is"
    );
    assert!(deployment.contains("docker build -t pingyi ."));
    // The default features compile libpq and OpenSSL in; the image must not need them.
    let manifest: toml::Table = read("Cargo.toml").parse().unwrap();
    let defaults = manifest["features"]["default"].as_array().unwrap();
    assert!(
        defaults.iter().any(|f| f.as_str() == Some("bundled-pq")),
        "{defaults:?}"
    );
    for package in ["libpq-dev", "libpq5", "pkg-config", "libssl"] {
        assert!(!dockerfile.contains(package), "the Dockerfile installs {package}");
    }
}
