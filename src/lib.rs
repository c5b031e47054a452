//! ictskills: training, exams and certificates for the Vietnamese basic
//! ICT skills standard (Thông tư 03/2014/TT-BTTTT).
pub mod auth;
pub mod backup;
pub mod cli;
pub mod configuration;
pub mod db;
pub mod domain;
pub mod entities;
pub mod error;
pub mod formats;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod render;
pub mod routes;
pub mod seed;
pub mod services;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod templates;
