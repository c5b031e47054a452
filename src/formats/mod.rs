//! File formats people already use: parsers and writers.
pub mod aiken;
pub mod certificate_pdf;
pub mod course_dir;
pub mod gift;
pub mod moodle_xml;
pub mod question_sheet;
pub mod table;
pub mod units_csv;
