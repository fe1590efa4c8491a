//! Compiles proto/tradeport/**.proto, and the Google types they import from
//! proto/google/ (vendored: protox itself ships only google/protobuf), with
//! protox (pure Rust, so no protoc is needed on any machine) and generates
//! tonic clients and servers. The encoded descriptor set is written next to
//! the generated code for server reflection.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read when the script runs, not baked in when it is compiled: a
    // script built for a checkout elsewhere must not read that checkout.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let root = root.as_path();
    let trees = [root.join("tradeport"), root.join("google")];
    let mut files = Vec::new();
    for tree in &trees {
        collect_protos(tree, &mut files)?;
    }
    files.sort();
    // Every directory too, so that a new .proto file triggers a rebuild
    // (a directory's mtime changes only with its own entries).
    let mut dirs = trees.to_vec();
    while let Some(dir) = dirs.pop() {
        println!("cargo:rerun-if-changed={}", dir.display());
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            }
        }
    }
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let descriptors = protox::compile(&files, [root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("tradeport_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
