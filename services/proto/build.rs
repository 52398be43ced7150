//! Compiles `proto/ogi/v1/*.proto` in pure Rust (protox), keeps the descriptor set for gRPC
//! reflection, and generates prost messages and tonic clients and servers.

use std::path::PathBuf;

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files = [
        "types",
        "events",
        "intake",
        "validation",
        "approval",
        "publishing",
        "reporting",
        "accounts",
        "cases",
    ]
    .map(|name| root.join(format!("ogi/v1/{name}.proto")));
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let descriptors = protox::compile(&files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("ogi_descriptor.bin"), descriptors.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
