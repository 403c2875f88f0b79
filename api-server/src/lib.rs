//! `ogf-api`: the Oil & Gas Finder marketplace API.
//!
//! - [`domain`]: listing types and rules (no I/O);
//! - [`store`]: the [`store::ListingStore`] trait with embedded (SQLite) and MongoDB backends;
//! - [`demo`]: deterministic demo data;
//! - [`http`]: the axum router ([`http::app`]).

pub mod demo;
pub mod domain;
pub mod http;
pub mod store;
