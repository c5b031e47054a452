//! sea-orm entities: the tables' shape only; behaviour lives in `store/`.
pub mod attempt_item;
pub mod blob;
pub mod login_failure;
pub mod one_time_token;
pub mod outbox;
pub mod question;
pub mod question_version;
pub mod setting;
pub mod topic;
pub mod unit;
pub mod user;
pub mod user_role;
