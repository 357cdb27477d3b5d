//! The `identity.v1` wire contract, generated from `proto/identity/v1/*.proto`.
//! Plain data and client/server stubs; no logic lives here.

/// Generated messages and services of package `identity.v1`.
pub mod identity {
    pub mod v1 {
        #![allow(clippy::all, clippy::pedantic, missing_docs)]
        tonic::include_proto!("identity.v1");
    }
}

pub use identity::v1;

/// The encoded `FileDescriptorSet` of `identity.v1`, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("identity_v1_descriptor");

/// `google.rpc.ErrorInfo.domain` of every error identity-core returns: the
/// service's name (AIP-193), the same for every reason.
pub const ERROR_DOMAIN: &str = "identity.example.com";

/// The well-known types used by the contract (`FieldMask`, `Timestamp`).
pub use prost_types;
