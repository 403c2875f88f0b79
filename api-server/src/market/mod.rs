//! Market data services: bucketing and summary changes ([`aggregate`]), the response cache
//! ([`cache`]), file parsers ([`import`]) and the `market import` command ([`cli`]).
//! Types and price rules are in [`crate::domain::market`].

pub mod aggregate;
pub mod cache;
pub mod cli;
pub mod import;

pub use cache::MarketCache;
