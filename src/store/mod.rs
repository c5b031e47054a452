//! Queries and transactions per aggregate, returning domain-shaped values.
pub mod login_failures;
pub mod outbox;
pub mod settings;
pub mod tokens;
pub mod units;
pub mod users;
