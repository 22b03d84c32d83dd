//! API integration tests against an in-process server on port 0. Every test
//! runs twice: on SQLite and on PostgreSQL (a fresh database each).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(dead_code, unused_imports)]

#[macro_use]
mod common;

mod admin;
mod attributes;
mod auth;
mod browser;
mod browser_account;
mod browser_security;
mod client_cert;
mod crash;
mod files;
mod folders;
mod ip_allowlist;
mod isolation;
mod openapi;
mod otp;
mod password_policy;
mod pki;
mod quota;
mod scan;
mod search;
mod sso;
mod sso_forged;
mod sso_settings;
mod thumbnails;
mod trash;
mod tus;
mod versions;
mod zip;
