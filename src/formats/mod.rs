//! File formats people already use: parsers and writers.
pub mod table;
pub mod units_csv;
