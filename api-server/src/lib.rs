//! `ogf-api`: the Oil & Gas Finder marketplace API.
//!
//! - [`domain`]: listing, account and audit types and rules (no I/O);
//! - [`backup`]: encrypted, verified backups and restores of either store;
//! - [`auth`]: passwords, tokens, sessions, lockout, the first admin;
//! - [`store`]: the [`store::Store`] traits with embedded (SQLite) and MongoDB backends;
//! - [`demo`]: deterministic demo data;
//! - [`market`]: market data aggregation, cache and importer;
//! - [`analytics`]: listing activity recording, seller dashboards, the admin overview;
//! - [`cache`]: the listing-search, analytics and profile caches;
//! - [`http`]: the axum router ([`http::app`]) and its [`settings`];
//! - [`clock`]: time behind a trait (tests move it by hand).

pub mod analytics;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod market;
pub mod migrate;
pub mod settings;
pub mod store;
