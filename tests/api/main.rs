//! Integration tests: one binary, the real application on port 0 with a
//! fresh database per test (SQLite file, or a PostgreSQL database created
//! and dropped per test when TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod authz;
mod browser;
mod certificates;
mod cli;
mod courses;
mod crash;
mod exams;
mod health;
mod helpers;
mod loadday;
mod mail;
mod pages;
mod practical;
mod questions;
mod reliability;
mod reports;
mod roster;
mod units;
mod users;
