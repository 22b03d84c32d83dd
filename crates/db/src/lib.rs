//! Kura's metadata database: SQLite (embedded default) or PostgreSQL, chosen once
//! from the URL. The SQL is written once in the dialect both accept (`$n`
//! parameters, BIGINT millisecond timestamps, partial indexes, RETURNING,
//! recursive CTEs) and runs through sqlx's `Any` driver; what differs per backend
//! (migrations, pool set-up, how a write transaction begins) lives in `pool.rs`.

mod attributes;
mod audit;
mod blobs;
mod client_certs;
mod commit;
mod committer;
mod error;
mod jobs;
mod nodes;
mod otp;
mod path_cache;
mod pool;
mod rows;
mod saved_searches;
mod scans;
mod script;
mod search;
mod session_list;
mod sessions;
mod sso;
mod tenants;
mod thumbnails;
mod tokens;
mod trash;
mod uploads;
mod users;
mod versions;
mod zip_tickets;

pub use attributes::AttrDefRecord;
pub use audit::{AuditEvent, NewAuditEvent};
pub use client_certs::{ClientCaRow, ClientCertSettingsRow, NewClientCa};
pub use commit::{CommitFile, CommitOutcome, ScanRecord};
pub use error::DbError;
pub use jobs::{JOB_THUMBNAIL, Job};
pub use nodes::{ChildCursor, SortKey};
pub use otp::OtpState;
pub use pool::{Backend, Db};
pub use saved_searches::SavedSearch;
pub use scans::{Detection, NewDetection, RescanItem};
pub use search::{AttrCond, Param, SearchCursor, SearchPage, SearchQuery, SearchSort, TokenKind};
pub use session_list::SessionInfo;
pub use sessions::{SessionRecord, TokenInfo, TokenRecord};
pub use sso::{SsoConfigRow, SsoPendingRow};
pub use tenants::{PolicyRow, Usage};
pub use thumbnails::ThumbnailRow;
pub use trash::Purged;
pub use uploads::{UploadPart, UploadRow};
pub use zip_tickets::{TreeItem, ZipTicketRow};
