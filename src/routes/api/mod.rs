//! The JSON API (`/api/v1`); every handler is in the OpenAPI document.
pub mod auth;
pub mod certificates;
pub mod classes;
pub mod courses;
pub mod exams;
pub mod me;
pub mod questions;
pub mod records;
pub mod reports;
pub mod units;
pub mod users;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(auth::token)
        .service(auth::request_reset)
        .service(auth::confirm_reset)
        .service(me::me)
        .service(me::change_password)
        .service(users::create)
        .service(users::list)
        .service(users::import)
        .service(users::template)
        .service(users::get)
        .service(users::update)
        .service(units::create)
        .service(units::list)
        .service(units::import)
        .service(units::get)
        .service(units::update)
        .service(units::close)
        .service(questions::list)
        .service(questions::counts)
        .service(questions::import)
        .service(questions::export)
        .service(questions::create)
        .service(questions::retire)
        .service(questions::get)
        .service(questions::versions)
        .service(questions::update)
        .service(questions::approve)
        .service(questions::upload_media)
        .service(courses::list)
        .service(courses::lesson)
        .service(courses::open)
        .service(courses::complete)
        .service(courses::my_progress)
        .service(courses::start_quiz)
        .service(courses::get_quiz)
        .service(courses::submit_quiz)
        .service(classes::create)
        .service(classes::get)
        .service(classes::enrol)
        .service(classes::attendance)
        .service(classes::exception)
        .service(classes::progress)
        .service(exams::blueprints)
        .service(exams::create_blueprint)
        .service(exams::create_session)
        .service(exams::register)
        .service(exams::start)
        .service(exams::get)
        .service(exams::save)
        .service(exams::submit)
        .service(exams::extra_time)
        .service(exams::board)
        .service(exams::reopen)
        .service(exams::audit)
        .service(exams::approve)
        .service(certificates::mine)
        .service(certificates::register)
        .service(certificates::revoke)
        .service(certificates::get)
        .service(certificates::credential)
        .service(certificates::credential_json)
        .service(certificates::pdf)
        .service(certificates::reinstate)
        .service(certificates::reissue)
        .service(certificates::events)
        .service(certificates::status_list)
        .service(certificates::check)
        .service(certificates::rotate_key)
        .service(reports::people)
        .service(reports::units)
        .service(records::session);
}
