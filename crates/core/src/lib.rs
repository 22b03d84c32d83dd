//! Kura's domain: tenants, users, nodes (files and folders), versions, names and
//! paths, sizes, and the clock. No I/O lives here.

pub mod allowlist;
pub mod attributes;
pub mod clock;
pub mod error;
pub mod model;
pub mod name;
pub mod size;
pub mod thumbnail;
pub mod zip_format;

pub use clock::{Clock, SystemClock, Timestamp};
pub use error::CoreError;
pub use model::*;
pub use name::{Name, NodePath, TenantCode};
