//! Use cases shared by the API, the pages and the CLI: each validates with
//! `domain`, decides, and writes through `store` in one transaction.
pub mod accounts;
pub mod answer_writer;
pub mod audit;
pub mod certificates;
pub mod courses;
pub mod exams;
pub mod loadtest;
pub mod practical;
pub mod questions;
pub mod quizzes;
pub mod records;
pub mod reports;
pub mod roster;
pub mod units;
