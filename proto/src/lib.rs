//! Tradeport's wire types and gRPC service stubs, generated from proto/.
//! Hand-written logic never lives here: this crate is the API contract only.

#![allow(clippy::all, missing_docs)]

pub mod tradeport {
    pub mod common {
        pub mod v1 {
            tonic::include_proto!("tradeport.common.v1");
        }
    }
    pub mod identity {
        pub mod v1 {
            tonic::include_proto!("tradeport.identity.v1");
        }
    }
    pub mod catalog {
        pub mod v1 {
            tonic::include_proto!("tradeport.catalog.v1");
        }
    }
    pub mod orders {
        pub mod v1 {
            tonic::include_proto!("tradeport.orders.v1");
        }
    }
    pub mod sync {
        pub mod v1 {
            tonic::include_proto!("tradeport.sync.v1");
        }
    }
}

/// Google's common types the API uses (google.type.Date), generated from
/// the copy vendored under proto/google/ as Google publishes it.
pub mod google {
    pub mod r#type {
        // prost names the file after the module, keyword escape and all.
        tonic::include_proto!("google.r#type");
    }
}

pub use tradeport::catalog::v1 as catalog;
pub use tradeport::common::v1 as common;
pub use tradeport::identity::v1 as identity;
pub use tradeport::orders::v1 as orders;
pub use tradeport::sync::v1 as sync;

/// The encoded `FileDescriptorSet` of every Tradeport proto, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/tradeport_descriptor.bin"));
