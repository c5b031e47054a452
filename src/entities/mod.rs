//! sea-orm entities: the tables' shape only; behaviour lives in `store/`.
pub mod login_failure;
pub mod one_time_token;
pub mod outbox;
pub mod setting;
pub mod unit;
pub mod user;
pub mod user_role;
