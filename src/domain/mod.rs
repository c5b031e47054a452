//! Pure rules: no database, no HTTP.
pub mod blueprint;
pub mod certificate;
pub mod charts;
pub mod cidr;
pub mod eligibility;
pub mod office;
pub mod office_checks;
pub mod office_read;
pub mod paper;
pub mod person;
pub mod practical;
pub mod question;
pub mod report;
pub mod role;
pub mod roster;
pub mod taxonomy;
pub mod unit_path;
