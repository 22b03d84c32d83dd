//! Kura's metadata database: SQLite (embedded default) or PostgreSQL, chosen once
//! from the URL. The SQL is written once in the dialect both accept (`$n`
//! parameters, BIGINT millisecond timestamps, partial indexes, RETURNING,
//! recursive CTEs) and runs through sqlx's `Any` driver; what differs per backend
//! (migrations, pool set-up, how a write transaction begins) lives in `pool.rs`.

mod audit;
mod blobs;
mod error;
mod nodes;
mod path_cache;
mod pool;
mod rows;
mod scans;
mod session_list;
mod sessions;
mod sso;
mod tenants;
mod trash;
mod users;
mod versions;

pub use audit::{AuditEvent, NewAuditEvent};
pub use error::DbError;
pub use nodes::{ChildCursor, CommitFile, CommitOutcome, ScanRecord, SortKey};
pub use pool::{Backend, Db};
pub use scans::{Detection, NewDetection, RescanItem};
pub use session_list::SessionInfo;
pub use sessions::{SessionRecord, TokenInfo, TokenRecord};
pub use sso::{SsoConfigRow, SsoPendingRow};
pub use tenants::{PolicyRow, Usage};
pub use trash::Purged;
