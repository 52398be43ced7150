//! ogi's contracts: the shared types, the events and their envelope, and one gRPC service per
//! service, generated from `proto/ogi/v1/`.

#![allow(clippy::all, clippy::pedantic)]

pub mod v1 {
    tonic::include_proto!("ogi.v1");
}

/// The encoded file descriptor set of every ogi proto file, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/ogi_descriptor.bin"));

pub use v1::*;
