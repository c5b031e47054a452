//! Queries and transactions per aggregate, returning domain-shaped values.
pub mod blobs;
pub mod classes;
pub mod counters;
pub mod courses;
pub mod login_failures;
pub mod outbox;
pub mod outcomes;
pub mod question_stats;
pub mod questions;
pub mod settings;
pub mod signing_keys;
pub mod tokens;
pub mod units;
pub mod users;
