//! The authorization matrix (issue 10): every route of the OpenAPI document
//! and every HTML page and form, for each role and for someone acting on a
//! resource that belongs to someone else, with the status each must get.
//!
//! A route missing from a table fails the test (so a new route cannot ship
//! without a decision), and so does a table row naming a route that no
//! longer exists. The API routes come from `/api/openapi.json`; the pages
//! from the route attributes in `src/routes/pages/*.rs` and the few other
//! files serving HTML or public files. Every POST form is also sent with a
//! forged CSRF token and with none, by someone it is open to: both must be
//! refused with 403 before anything happens.
//!
//! The rules (api.md): 401 without a login on the API (pages send the
//! visitor to the login form instead), 403 where the caller may know the
//! thing exists but lacks the right (an admin route, another unit's report,
//! a class they do not run, a course they are not enrolled in), 404 for
//! things private to another person (their attempts, answers, marks,
//! certificates), and never a 5xx.
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    PASSWORD, TestApp, basic_session, graded_attempt, json as body, spawn_app_with,
};

/// Who sends a request. The first six are the table's columns; the others
/// act on resources that belong to someone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Who {
    Anonymous,
    /// Enrolled in the class, registered in the sessions, owner of the
    /// attempts, the quiz, the certificate, the appeal; in unit 1.
    Learner,
    /// Runs the class and proctors the session.
    Trainer,
    /// Head of the practical session's marking board.
    Marker,
    /// Unit manager of unit 1.
    UnitManager,
    Admin,
    /// Another learner, enrolled and registered too, in unit 1.
    Learner2,
    /// A learner in no class and no session.
    Learner3,
    /// A trainer who runs no class and proctors no session; author of the
    /// drafts the others approve.
    Trainer2,
    /// A marker not on the session's board.
    Marker2,
    /// Unit manager of unit 2, a sibling of unit 1.
    UnitManager2,
}

use Who::*;

const COLUMNS: [Who; 6] = [Anonymous, Learner, Trainer, Marker, UnitManager, Admin];

/// The expected answer.
#[derive(Clone, Copy, Debug)]
enum E {
    /// Exactly this status.
    S(u16),
    /// Let through: the exact code depends on state (201 or 200, 409 for a
    /// repeat, 422 for a body refused on its merits), so anything but 401,
    /// 403, 404, a redirect to the login form or a 5xx.
    Allow,
    /// A page sending an anonymous visitor to `/login?next=…`.
    Login,
    /// 303 to a location starting with this (a form done, or its refusal
    /// shown as a message on the page it came from).
    To(&'static str),
}

use E::*;

struct Row {
    method: &'static str,
    path: &'static str,
    /// anonymous, learner, trainer, marker, unit manager, admin.
    cells: [E; 6],
    /// Someone acting on another person's (or another unit's, class's,
    /// session's) resource.
    others: &'static [(Who, E)],
}

const fn r(
    method: &'static str,
    path: &'static str,
    cells: [E; 6],
    others: &'static [(Who, E)],
) -> Row {
    Row {
        method,
        path,
        cells,
        others,
    }
}

const U: E = S(401);
const F: E = S(403);
const NF: E = S(404);
const OK: E = S(200);
const CR: E = S(201);

/// Every route of the OpenAPI document, in the order they are tried (reads
/// before the calls that change state).
#[rustfmt::skip]
const API: &[Row] = &[
    // Auth: public.
    r("POST", "/api/v1/auth/token", [OK; 6], &[]),
    r("POST", "/api/v1/auth/password-reset", [S(202); 6], &[]),
    r("POST", "/api/v1/auth/password-reset/confirm", [S(410); 6], &[]),
    // The caller's own things.
    r("GET", "/api/v1/me", [U, OK, OK, OK, OK, OK], &[]),
    r("POST", "/api/v1/me/password", [U, S(422), S(422), S(422), S(422), S(422)], &[]),
    r("GET", "/api/v1/me/progress", [U, OK, OK, OK, OK, OK], &[]),
    r("GET", "/api/v1/me/certificates", [U, OK, OK, OK, OK, OK], &[]),
    r("GET", "/api/v1/me/appeals", [U, OK, OK, OK, OK, OK], &[]),
    // People.
    r("POST", "/api/v1/users", [U, F, F, F, F, CR], &[]),
    r("GET", "/api/v1/users", [U, F, OK, F, OK, OK], &[(UnitManager2, F)]),
    // Imports answer 200 or 422 by what the file holds, not by who sends it.
    r("POST", "/api/v1/users/import", [U, F, F, F, F, Allow], &[]),
    r("GET", "/api/v1/users/import/template", [U, F, OK, OK, OK, OK], &[]),
    r("GET", "/api/v1/users/{id}", [U, OK, OK, NF, OK, OK], &[(Learner2, NF), (UnitManager2, NF)]),
    r("PATCH", "/api/v1/users/{id}", [U, F, F, F, F, OK], &[]),
    // Units: the tree is reference data every logged-in user may read.
    r("POST", "/api/v1/units", [U, F, F, F, F, CR], &[]),
    r("GET", "/api/v1/units", [U, OK, OK, OK, OK, OK], &[]),
    r("POST", "/api/v1/units/import", [U, F, F, F, F, Allow], &[]),
    r("GET", "/api/v1/units/{id}", [U, OK, OK, OK, OK, OK], &[(UnitManager2, OK)]),
    r("PATCH", "/api/v1/units/{id}", [U, F, F, F, F, OK], &[]),
    r("POST", "/api/v1/units/{id}/close", [U, F, F, F, F, OK], &[]),
    // Question bank: trainers and admins.
    r("GET", "/api/v1/questions", [U, F, OK, F, F, OK], &[]),
    r("GET", "/api/v1/questions/counts", [U, F, OK, F, F, OK], &[]),
    r("POST", "/api/v1/questions/import", [U, F, Allow, F, F, Allow], &[]),
    r("GET", "/api/v1/questions/export", [U, F, OK, F, F, OK], &[]),
    r("POST", "/api/v1/questions", [U, F, CR, F, F, CR], &[]),
    r("POST", "/api/v1/questions/retire", [U, F, OK, F, F, OK], &[]),
    r("GET", "/api/v1/questions/{id}", [U, F, OK, F, F, OK], &[]),
    r("GET", "/api/v1/questions/{id}/versions", [U, F, OK, F, F, OK], &[]),
    r("PUT", "/api/v1/questions/{id}", [U, F, OK, F, F, OK], &[]),
    // The trainer approves another's draft; the admin then finds it approved;
    // the author may not approve their own.
    r("POST", "/api/v1/questions/{id}/approve", [U, F, OK, F, F, S(409)], &[(Trainer2, F)]),
    r("POST", "/api/v1/media", [U, F, CR, F, F, CR], &[]),
    // Courses and lessons: staff see all; a learner their class's course.
    r("GET", "/api/v1/courses", [U, OK, OK, OK, OK, OK], &[]),
    r("GET", "/api/v1/lessons/{id}", [U, OK, OK, OK, OK, OK], &[(Learner3, F)]),
    r("POST", "/api/v1/lessons/{id}/open", [U, OK, OK, OK, OK, OK], &[(Learner3, F)]),
    // Opened a moment ago: too early to complete.
    r("POST", "/api/v1/lessons/{id}/complete", [U, S(409), S(409), S(409), S(409), S(409)], &[(Learner3, F)]),
    r("POST", "/api/v1/lessons/{id}/quiz", [U, OK, OK, OK, OK, OK], &[(Learner3, F)]),
    r("GET", "/api/v1/quizzes/{id}", [U, OK, NF, NF, NF, NF], &[(Learner2, NF)]),
    r("POST", "/api/v1/quizzes/{id}/submit", [U, OK, NF, NF, NF, NF], &[(Learner2, NF)]),
    // Classes: admins create; admins and the class's trainers manage.
    r("POST", "/api/v1/classes", [U, F, F, F, F, CR], &[]),
    r("GET", "/api/v1/classes/{id}", [U, F, OK, F, F, OK], &[(Trainer2, F)]),
    r("POST", "/api/v1/classes/{id}/enrolments", [U, F, OK, F, F, OK], &[(Trainer2, F)]),
    r("POST", "/api/v1/classes/{id}/attendance", [U, F, OK, F, F, OK], &[(Trainer2, F)]),
    r("POST", "/api/v1/classes/{id}/exceptions", [U, F, CR, F, F, CR], &[(Trainer2, F)]),
    r("GET", "/api/v1/classes/{id}/progress", [U, F, OK, F, F, OK], &[(Trainer2, F)]),
    // Exams.
    r("GET", "/api/v1/blueprints", [U, F, OK, OK, OK, OK], &[]),
    r("POST", "/api/v1/blueprints", [U, F, F, F, F, CR], &[]),
    r("POST", "/api/v1/exam-sessions", [U, F, F, F, F, CR], &[]),
    r("POST", "/api/v1/exam-sessions/{id}/registrations", [U, F, F, F, F, CR], &[]),
    // Only registered candidates start; the learner resumes the attempt.
    r("POST", "/api/v1/exam-sessions/{id}/attempts", [U, OK, F, F, F, F], &[(Learner3, F)]),
    r("GET", "/api/v1/attempts/{id}", [U, OK, NF, NF, NF, NF], &[(Learner2, NF)]),
    r("PUT", "/api/v1/attempts/{id}/answers/{position}", [U, OK, NF, NF, NF, NF], &[(Learner2, NF)]),
    r("POST", "/api/v1/attempts/{id}/submit", [U, OK, NF, NF, NF, NF], &[(Learner2, NF)]),
    // Proctors: admins, and the trainers assigned to the session. The
    // attempt is submitted by now (no extra time); the trainer reopens it,
    // so the admin finds it in progress.
    r("POST", "/api/v1/attempts/{id}/extra-time", [U, F, S(409), F, F, S(409)], &[(Trainer2, F)]),
    r("GET", "/api/v1/exam-sessions/{id}/board", [U, F, OK, F, F, OK], &[(Trainer2, F)]),
    r("POST", "/api/v1/attempts/{id}/reopen", [U, F, OK, F, F, S(409)], &[(Trainer2, F)]),
    r("GET", "/api/v1/attempts/{id}/audit", [U, F, F, F, F, OK], &[]),
    r("POST", "/api/v1/exam-sessions/{id}/approve", [U, F, F, F, F, OK], &[]),
    r("GET", "/api/v1/exam-sessions/{id}/records", [U, F, F, F, F, OK], &[]),
    // Certificates: verification is public; the PDF is the holder's.
    r("GET", "/api/v1/certificates/{code}", [OK; 6], &[]),
    r("GET", "/api/v1/certificates/{code}/credential", [OK; 6], &[]),
    r("GET", "/api/v1/certificates/{code}/credential.json", [OK; 6], &[]),
    r("GET", "/api/v1/certificates/{code}/pdf", [U, OK, NF, NF, NF, OK], &[(Learner2, NF)]),
    r("GET", "/api/v1/certificates", [U, F, F, F, F, OK], &[]),
    r("POST", "/api/v1/certificates/revoke", [U, F, F, F, F, OK], &[]),
    // Not revoked, so nothing to reinstate.
    r("POST", "/api/v1/certificates/{code}/reinstate", [U, F, F, F, F, S(409)], &[]),
    r("POST", "/api/v1/certificates/{code}/reissue", [U, F, F, F, F, OK], &[]),
    r("GET", "/api/v1/certificates/{code}/events", [U, F, F, F, F, OK], &[]),
    r("GET", "/api/v1/status-lists/{id}", [OK; 6], &[]),
    r("POST", "/api/v1/credentials/verify", [OK; 6], &[]),
    r("POST", "/api/v1/signing-keys/rotate", [U, F, F, F, F, OK], &[]),
    // The practical part.
    r("POST", "/api/v1/practical-tasks", [U, F, CR, F, F, CR], &[]),
    r("GET", "/api/v1/practical-tasks", [U, F, OK, OK, OK, OK], &[]),
    r("POST", "/api/v1/practical-tasks/{id}/files", [U, F, CR, F, F, CR], &[]),
    // Staff, and candidates whose paper holds the task.
    r("GET", "/api/v1/practical-tasks/{id}/files/{name}", [U, OK, OK, OK, OK, OK], &[(Learner2, NF)]),
    r("POST", "/api/v1/practical-papers", [U, F, CR, F, F, CR], &[]),
    r("GET", "/api/v1/practical-papers", [U, F, OK, OK, OK, OK], &[]),
    r("POST", "/api/v1/exam-sessions/{id}/practical-attempts", [U, OK, F, F, F, F], &[(Learner3, F)]),
    r("GET", "/api/v1/practical-attempts/{id}", [U, OK, NF, NF, NF, OK], &[(Learner2, NF)]),
    // Submitted already, so the upload is refused on the attempt's state.
    r("POST", "/api/v1/practical-attempts/{id}/tasks/{position}/uploads", [U, S(409), NF, NF, NF, NF], &[(Learner2, NF)]),
    r("POST", "/api/v1/practical-attempts/{id}/submit", [U, OK, NF, NF, NF, NF], &[(Learner2, NF)]),
    r("POST", "/api/v1/exam-sessions/{id}/markers", [U, F, F, F, F, CR], &[]),
    r("GET", "/api/v1/marking/queue", [U, F, F, OK, F, OK], &[]),
    r("GET", "/api/v1/marking/submissions/{id}", [U, F, F, OK, F, OK], &[(Marker2, F)]),
    r("GET", "/api/v1/marking/submissions/{id}/files/{upload_id}", [U, F, F, OK, F, OK], &[(Marker2, F)]),
    // A mark for one criterion only: refused on the rubric's terms.
    r("POST", "/api/v1/marking/submissions/{id}/marks", [U, F, F, Allow, F, Allow], &[(Marker2, F)]),
    r("GET", "/api/v1/exam-sessions/{id}/marking-board", [U, F, F, OK, F, OK], &[(Marker2, F)]),
    r("GET", "/api/v1/exam-sessions/{id}/anonymous-numbers", [U, F, F, F, F, OK], &[(Marker2, F)]),
    // Appeals: the candidate's own attempt (one is pending already); admins decide.
    r("POST", "/api/v1/attempts/{id}/appeals", [U, S(409), NF, NF, NF, NF], &[(Learner2, NF)]),
    r("GET", "/api/v1/appeals", [U, F, F, F, F, OK], &[]),
    r("POST", "/api/v1/appeals/{id}/decide", [U, F, F, F, F, OK], &[]),
    // Reports: admins, and unit managers for their own subtree.
    r("GET", "/api/v1/reports/units", [U, F, F, F, OK, OK], &[(UnitManager2, F)]),
    r("GET", "/api/v1/reports/units/people", [U, F, F, F, OK, OK], &[(UnitManager2, F)]),
];

/// Every HTML page and form, and the public files served beside them.
#[rustfmt::skip]
const PAGES: &[Row] = &[
    r("GET", "/health", [OK; 6], &[]),
    r("GET", "/.well-known/jwks.json", [OK; 6], &[]),
    r("GET", "/.well-known/did.json", [OK; 6], &[]),
    r("GET", "/static/{path:.*}", [OK; 6], &[]),
    r("GET", "/media/{sha}/{name}", [OK; 6], &[]),
    r("GET", "/", [Login, OK, OK, OK, OK, OK], &[]),
    r("GET", "/lang/{code}", [To("/"); 6], &[]),
    // Account.
    r("GET", "/login", [OK, To("/"), To("/"), To("/"), To("/"), To("/")], &[]),
    r("POST", "/login", [To("/"); 6], &[]),
    r("POST", "/logout", [To("/login"); 6], &[]),
    r("GET", "/account", [Login, OK, OK, OK, OK, OK], &[]),
    // The two new passwords differ: the form says so and changes nothing.
    r("POST", "/account/password", [ Login, To("/account"), To("/account"), To("/account"), To("/account"), To("/account"), ], &[]),
    r("GET", "/password/forgot", [OK; 6], &[]),
    r("POST", "/password/forgot", [To("/login"); 6], &[]),
    r("GET", "/password/reset/{token}", [S(410); 6], &[]),
    r("POST", "/password/reset/{token}", [S(410); 6], &[]),
    r("GET", "/setup/{token}", [S(410); 6], &[]),
    r("POST", "/setup/{token}", [S(410); 6], &[]),
    // Units and people.
    r("GET", "/admin/units", [Login, F, F, F, F, OK], &[]),
    r("POST", "/admin/units", [Login, F, F, F, F, To("/admin/units")], &[]),
    r("POST", "/admin/units/{id}/close", [Login, F, F, F, F, To("/admin/units")], &[]),
    r("POST", "/admin/units/import", [Login, F, F, F, F, Allow], &[]),
    r("GET", "/admin/users", [Login, F, OK, F, OK, OK], &[(UnitManager2, F)]),
    r("GET", "/admin/users/new", [Login, F, F, F, F, OK], &[]),
    r("POST", "/admin/users/new", [Login, F, F, F, F, To("/admin/users")], &[]),
    r("GET", "/admin/users/import", [Login, F, F, F, F, OK], &[]),
    r("POST", "/admin/users/import", [Login, F, F, F, F, Allow], &[]),
    r("GET", "/admin/users/import/template.{ext}", [Login, F, OK, OK, OK, OK], &[]),
    r("GET", "/admin/users/{id}", [Login, F, F, F, F, OK], &[]),
    r("POST", "/admin/users/{id}", [Login, F, F, F, F, To("/admin/users/")], &[]),
    r("POST", "/admin/users/{id}/reset", [Login, F, F, F, F, To("/admin/users/")], &[]),
    // Question bank.
    r("GET", "/questions", [Login, F, OK, F, F, OK], &[]),
    r("GET", "/questions/new", [Login, F, OK, F, F, OK], &[]),
    r("POST", "/questions/new", [Login, F, To("/questions/"), F, F, To("/questions/")], &[]),
    r("POST", "/questions/preview", [Login, F, OK, F, F, OK], &[]),
    r("POST", "/questions/retire", [Login, F, To("/questions"), F, F, To("/questions")], &[]),
    r("GET", "/questions/import", [Login, F, OK, F, F, OK], &[]),
    r("POST", "/questions/import", [Login, F, Allow, F, F, Allow], &[]),
    r("GET", "/questions/{id}", [Login, F, OK, F, F, OK], &[]),
    r("GET", "/questions/{id}/edit", [Login, F, OK, F, F, OK], &[]),
    r("POST", "/questions/{id}/edit", [Login, F, To("/questions/"), F, F, To("/questions/")], &[]),
    // The admin finds it approved already (a message on the page); the
    // author may not approve their own draft.
    r("POST", "/questions/{id}/approve", [Login, F, To("/questions/"), F, F, To("/questions/")], &[(Trainer2, F)]),
    // Studying.
    r("GET", "/courses/{id}", [Login, OK, OK, OK, OK, OK], &[(Learner3, F)]),
    r("GET", "/lessons/{id}", [Login, OK, OK, OK, OK, OK], &[(Learner3, F)]),
    r("POST", "/lessons/{id}/complete", [ Login, To("/lessons/"), To("/lessons/"), To("/lessons/"), To("/lessons/"), To("/lessons/"), ], &[(Learner3, F)]),
    r("GET", "/lessons/{id}/quiz", [Login, OK, OK, OK, OK, OK], &[(Learner3, F)]),
    r("POST", "/quizzes/{id}/submit", [Login, OK, NF, NF, NF, NF], &[(Learner2, NF)]),
    // Classes.
    r("GET", "/classes", [Login, F, OK, F, F, OK], &[]),
    r("POST", "/classes", [Login, F, F, F, F, To("/classes/")], &[]),
    r("GET", "/classes/{id}", [Login, F, OK, F, F, OK], &[(Trainer2, F)]),
    r("GET", "/classes/{id}/export.{ext}", [Login, F, OK, F, F, OK], &[(Trainer2, F)]),
    r("POST", "/classes/{id}/enrol", [Login, F, To("/classes/"), F, F, To("/classes/")], &[(Trainer2, F)]),
    // A roster creates accounts: admins only.
    r("POST", "/classes/{id}/enrol-roster", [Login, F, F, F, F, Allow], &[(Trainer2, F)]),
    r("POST", "/classes/{id}/attendance", [Login, F, To("/classes/"), F, F, To("/classes/")], &[(Trainer2, F)]),
    r("POST", "/classes/{id}/exceptions", [Login, F, To("/classes/"), F, F, To("/classes/")], &[(Trainer2, F)]),
    // Lesson authoring.
    r("GET", "/admin/lessons/new", [Login, F, OK, F, F, OK], &[]),
    r("POST", "/admin/lessons/new", [Login, F, To("/admin/lessons/"), F, F, To("/admin/lessons/")], &[]),
    r("GET", "/admin/lessons/{id}/edit", [Login, F, OK, F, F, OK], &[]),
    // A lesson without a title is refused on its merits (nothing saved).
    r("POST", "/admin/lessons/{id}/edit", [Login, F, S(422), F, F, S(422)], &[]),
    r("POST", "/admin/lessons/preview", [Login, F, OK, F, F, OK], &[]),
    r("POST", "/admin/lessons/{id}/move", [Login, F, To("/courses/"), F, F, To("/courses/")], &[]),
    // Sessions and proctoring.
    r("GET", "/exam-sessions", [Login, F, OK, F, F, OK], &[]),
    r("POST", "/exam-sessions", [Login, F, F, F, F, To("/exam-sessions/")], &[]),
    r("GET", "/exam-sessions/{id}", [Login, F, OK, F, F, OK], &[(Trainer2, F)]),
    r("POST", "/exam-sessions/{id}/register", [Login, F, F, F, F, To("/exam-sessions/")], &[]),
    r("POST", "/exam-sessions/{id}/approve-form", [Login, F, F, F, F, To("/exam-sessions/")], &[]),
    r("POST", "/attempts/{id}/extra-time-form", [Login, F, To("/exam-sessions/"), F, F, To("/exam-sessions/")], &[(Trainer2, F)]),
    r("POST", "/attempts/{id}/reopen-form", [Login, F, To("/exam-sessions/"), F, F, To("/exam-sessions/")], &[(Trainer2, F)]),
    r("GET", "/attempts/{id}/audit", [Login, F, F, F, F, OK], &[]),
    r("GET", "/exam-sessions/{id}/records", [Login, F, F, F, F, OK], &[]),
    r("GET", "/attempts/{id}/paper", [Login, F, F, F, F, OK], &[]),
    // The candidate's pages. Starting is for registered candidates; anyone
    // else is told so on the exams page (as a wrong access code is).
    r("GET", "/exams", [Login, OK, OK, OK, OK, OK], &[]),
    r("POST", "/exams/{id}/start", [ Login, To("/attempts/"), To("/exams"), To("/exams"), To("/exams"), To("/exams"), ], &[(Learner3, To("/exams"))]),
    r("GET", "/attempts/{id}", [Login, OK, NF, NF, NF, NF], &[(Learner2, NF)]),
    r("POST", "/attempts/{id}/submit", [Login, To("/attempts/"), NF, NF, NF, NF], &[(Learner2, NF)]),
    r("POST", "/exams/{id}/practical", [ Login, To("/practical/"), To("/exams"), To("/exams"), To("/exams"), To("/exams"), ], &[(Learner3, To("/exams"))]),
    r("GET", "/practical/{id}", [Login, OK, NF, NF, NF, OK], &[(Learner2, NF)]),
    r("POST", "/practical/{id}/tasks/{position}", [Login, To("/practical/"), NF, NF, NF, NF], &[(Learner2, NF)]),
    r("POST", "/practical/{id}/submit", [Login, To("/practical/"), NF, NF, NF, NF], &[(Learner2, NF)]),
    // Marking.
    r("GET", "/marking", [Login, F, F, OK, F, OK], &[]),
    r("GET", "/marking/{id}", [Login, F, F, OK, F, OK], &[(Marker2, F)]),
    // A mark for one criterion only: the form says what is missing.
    r("POST", "/marking/{id}", [Login, F, F, To("/marking"), F, To("/marking")], &[(Marker2, F)]),
    r("GET", "/exam-sessions/{id}/marking-board", [Login, F, F, OK, F, OK], &[(Marker2, F)]),
    // Reports.
    r("GET", "/reports/units", [Login, F, F, F, OK, OK], &[(UnitManager2, F)]),
    r("GET", "/reports/units/people", [Login, F, F, F, OK, OK], &[(UnitManager2, F)]),
    // Certificates.
    r("GET", "/verify", [OK; 6], &[]),
    r("GET", "/verify/{code}", [OK; 6], &[]),
    r("GET", "/certificates/{code}", [Login, OK, NF, NF, NF, OK], &[(Learner2, NF)]),
    r("GET", "/admin/certificates", [Login, F, F, F, F, OK], &[]),
    r("POST", "/admin/certificates/revoke", [Login, F, F, F, F, To("/admin/certificates")], &[]),
    // Not revoked, so nothing to reinstate: said on the certificate's page.
    r("POST", "/certificates/{code}/reinstate", [Login, F, F, F, F, To("/certificates/")], &[]),
    r("POST", "/certificates/{code}/reissue", [Login, F, F, F, F, To("/certificates/")], &[]),
];

/// The files outside `src/routes/pages` whose routes are pages or public files.
const OTHER_ROUTE_FILES: &[&str] = &["health.rs", "wellknown.rs", "media.rs", "static_files.rs"];

/// The CSRF cookie every browser here carries (the double-submit token).
const CSRF: &str = "authzmatrixcsrftoken0123456789abcdefABCDEF";

const SHEET: &[u8] = include_bytes!("../fixtures/practical/sheet_good.xlsx");
const LETTER: &[u8] = include_bytes!("../fixtures/practical/letter_good.docx");
const SLIDES: &[u8] = include_bytes!("../fixtures/practical/slides_good.pptx");
const SHEET_ODS: &[u8] = include_bytes!("../fixtures/practical/sheet.ods");
const LETTER_ODT: &[u8] = include_bytes!("../fixtures/practical/letter.odt");
const SLIDES_ODP: &[u8] = include_bytes!("../fixtures/practical/slides.odp");

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0x0f, 0x00, 0x00,
    0x01, 0x01, 0x00, 0x05, 0x18, 0xd8, 0x4d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

fn upload_fixture(kind: &str) -> Option<&'static [u8]> {
    Some(match kind {
        "xlsx" => SHEET,
        "docx" => LETTER,
        "pptx" => SLIDES,
        "ods" => SHEET_ODS,
        "odt" => LETTER_ODT,
        "odp" => SLIDES_ODP,
        _ => return None,
    })
}

fn email(who: Who) -> String {
    format!("{}@authz.vn", format!("{who:?}").to_lowercase())
}

/// Everything the requests point at.
struct Fx {
    tokens: HashMap<Who, String>,
    ids: HashMap<Who, Uuid>,
    root: Uuid,
    unit1: Uuid,
    unit_close_api: Uuid,
    unit_close_page: Uuid,
    throwaway_user: Uuid,
    course: Uuid,
    lesson: Uuid,
    lesson_to_move: Uuid,
    quiz: Uuid,
    class: Uuid,
    /// Drafts written by Trainer2.
    question: Uuid,
    question_own: Uuid,
    question_edit: Uuid,
    question_page: Uuid,
    media_url: String,
    blueprint: Uuid,
    /// The theory session: the learner (and Learner2) registered, the
    /// trainer proctoring, the learner's attempt in it.
    session: Uuid,
    attempt: Uuid,
    /// A session with nobody in it, for approving.
    session_to_approve: Uuid,
    /// Learner2's submitted attempt in the theory session.
    finished: Uuid,
    /// The learner's passed attempt (inserted as graded) and its certificate.
    graded: Uuid,
    cert_code: String,
    credential: String,
    appeal: Uuid,
    /// The two-part session: the learner's practical attempt, submitted,
    /// with one upload; the marker heads its board.
    psession: Uuid,
    pattempt: Uuid,
    position: i32,
    upload_name: String,
    upload_bytes: &'static [u8],
    submission: Uuid,
    upload: Uuid,
    starter_task: Uuid,
    starter_name: String,
    /// A spreadsheet task the trainer wrote (for starter-file uploads).
    own_task: Uuid,
    today: chrono::NaiveDate,
    tz: chrono_tz::Tz,
}

fn id_of(v: &Value) -> Uuid {
    Uuid::parse_str(v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}"))).unwrap()
}

async fn created(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let b = r.text().await.unwrap();
    assert!(
        status == StatusCode::CREATED || status == StatusCode::OK,
        "{what}: {status} {b}"
    );
    serde_json::from_str(&b).unwrap()
}

async fn fixtures(app: &TestApp) -> Fx {
    ictskills::seed::on_first_start(&app.state.db)
        .await
        .unwrap();
    let admin_id = app.create_user(&email(Admin), &["admin"]).await;
    let admin = app.token(&email(Admin)).await;
    let unit = |name: &'static str, code: &'static str, parent: Option<Uuid>| {
        let admin = admin.clone();
        async move {
            let r = app
                .post_json(
                    "/api/v1/units",
                    &admin,
                    &json!({"name": name, "kind": "phường", "code": code, "parent_id": parent}),
                )
                .await;
            id_of(&created(r, name).await)
        }
    };
    let root = unit("Tỉnh Ma Trận", "AUTHZ-0", None).await;
    let unit1 = unit("Phường Một", "AUTHZ-1", Some(root)).await;
    let unit2 = unit("Phường Hai", "AUTHZ-2", Some(root)).await;
    let unit_close_api = unit("Phường Đóng Một", "AUTHZ-3", Some(root)).await;
    let unit_close_page = unit("Phường Đóng Hai", "AUTHZ-4", Some(root)).await;

    let mut ids = HashMap::from([(Admin, admin_id)]);
    for (who, role, unit) in [
        (Learner, "learner", Some(unit1)),
        (Learner2, "learner", Some(unit1)),
        (Learner3, "learner", None),
        (Trainer, "trainer", None),
        (Trainer2, "trainer", None),
        (Marker, "marker", None),
        (Marker2, "marker", None),
        (UnitManager, "unit_manager", Some(unit1)),
        (UnitManager2, "unit_manager", Some(unit2)),
    ] {
        ids.insert(who, app.create_user_in(&email(who), &[role], unit).await);
    }
    let throwaway_user = app
        .create_user_in("throwaway@authz.vn", &["learner"], Some(unit1))
        .await;
    app.create_user("login@authz.vn", &["learner"]).await;
    let mut tokens = HashMap::from([(Admin, admin.clone())]);
    for who in ids.keys() {
        if *who != Admin {
            tokens.insert(*who, app.token(&email(*who)).await);
        }
    }
    let tok = |w: Who| tokens[&w].clone();
    let id = |w: Who| ids[&w];

    // The shipped course, a published lesson with a practice quiz, another to move.
    let courses = body(app.get("/api/v1/courses", &admin).await).await;
    let course = id_of(&courses["items"][0]);
    use ictskills::entities::lesson;
    let lessons = lesson::Entity::find()
        .filter(lesson::Column::CourseId.eq(course))
        .filter(lesson::Column::Status.eq("published"))
        .order_by_asc(lesson::Column::Position)
        .all(&app.state.db)
        .await
        .unwrap();
    let with_quiz = lessons
        .iter()
        .find(|l| l.quiz_questions > 0)
        .expect("a lesson with a practice quiz");
    let lesson = with_quiz.id;
    let lesson_to_move = lessons.iter().rev().find(|l| l.id != lesson).unwrap().id;

    // A class in unit 1 run by the trainer, the two learners enrolled.
    let today = chrono::Utc::now().date_naive();
    let r = app
        .post_json(
            "/api/v1/classes",
            &admin,
            &json!({"name": "Lớp ma trận", "course_id": course, "unit_id": unit1,
                    "starts_on": today - chrono::Duration::days(30),
                    "ends_on": today + chrono::Duration::days(300),
                    "rule": {"all_modules_complete": true}, "trainer_ids": [id(Trainer)]}),
        )
        .await;
    let class = id_of(&created(r, "class").await);
    let r = app
        .post_json(
            &format!("/api/v1/classes/{class}/enrolments"),
            &admin,
            &json!({"user_ids": [id(Learner), id(Learner2)]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_json(
            &format!("/api/v1/lessons/{lesson}/quiz"),
            &tok(Learner),
            &json!({}),
        )
        .await;
    let quiz = id_of(&created(r, "quiz").await);

    // Drafts by Trainer2.
    let mut drafts = Vec::new();
    for i in 0..4 {
        let r = app
            .post_json(
                "/api/v1/questions",
                &tok(Trainer2),
                &question_json(&format!("draft {i}")),
            )
            .await;
        drafts.push(id_of(&created(r, "draft").await));
    }
    let r = app
        .post_bytes("/api/v1/media?name=dot.png", &tok(Trainer), PNG.to_vec())
        .await;
    let media_url = created(r, "media").await["url"]
        .as_str()
        .unwrap()
        .to_string();

    // The theory session, proctored by the trainer.
    let bps = body(app.get("/api/v1/blueprints", &admin).await).await;
    let blueprint = id_of(
        bps["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == "Basic theory exam")
            .unwrap(),
    );
    let now = chrono::Utc::now();
    let session_json = |title: &str| {
        json!({"title": title, "blueprint_id": blueprint,
               "opens_at": now - chrono::Duration::hours(1),
               "closes_at": now + chrono::Duration::hours(3),
               "registration": "open", "attempts_allowed": 3,
               "proctor_ids": [id(Trainer)]})
    };
    let r = app
        .post_json("/api/v1/exam-sessions", &admin, &session_json("Ca ma trận"))
        .await;
    let session = id_of(&created(r, "session").await);
    let r = app
        .post_json(
            "/api/v1/exam-sessions",
            &admin,
            &session_json("Ca phê duyệt"),
        )
        .await;
    let session_to_approve = id_of(&created(r, "session to approve").await);
    for who in [Learner, Learner2] {
        let r = app
            .post_json(
                &format!("/api/v1/exam-sessions/{session}/registrations"),
                &admin,
                &json!({"user_id": id(who)}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = app
        .post_json(
            &format!("/api/v1/exam-sessions/{session}/attempts"),
            &tok(Learner),
            &json!({}),
        )
        .await;
    let attempt = id_of(&created(r, "attempt").await);
    // Learner2's attempt, submitted: a finished paper for the record.
    let r = app
        .post_json(
            &format!("/api/v1/exam-sessions/{session}/attempts"),
            &tok(Learner2),
            &json!({}),
        )
        .await;
    let finished = id_of(&created(r, "attempt of learner 2").await);
    let r = app
        .post_json(
            &format!("/api/v1/attempts/{finished}/submit"),
            &tok(Learner2),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // A passed attempt with its certificate, and an appeal on it.
    let s2 = basic_session(app).await;
    let graded = graded_attempt(app, s2, &id(Learner).to_string(), true).await;
    ictskills::services::certificates::issue_for_attempt(&app.state.db, &app.state.issuer, graded)
        .await
        .unwrap();
    use ictskills::entities::certificate;
    let cert = certificate::Entity::find()
        .filter(certificate::Column::AttemptId.eq(graded))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the certificate");
    let r = app
        .post_json(
            &format!("/api/v1/attempts/{graded}/appeals"),
            &tok(Learner),
            &json!({"part": "theory", "reason": "Xin phúc khảo"}),
        )
        .await;
    let appeal = id_of(&created(r, "appeal").await);

    // The two-part session: the learner's practical attempt with one upload,
    // submitted; the marker heads the board.
    let papers = body(app.get("/api/v1/practical-papers", &admin).await).await;
    let paper = id_of(
        papers["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "Basic practical exam")
            .unwrap(),
    );
    let mut ps = session_json("Ca hai phần");
    ps["practical_paper_id"] = json!(paper);
    let r = app.post_json("/api/v1/exam-sessions", &admin, &ps).await;
    let psession = id_of(&created(r, "practical session").await);
    let r = app
        .post_json(
            &format!("/api/v1/exam-sessions/{psession}/registrations"),
            &admin,
            &json!({"user_id": id(Learner)}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post_json(
            &format!("/api/v1/exam-sessions/{psession}/markers"),
            &admin,
            &json!({"user_id": id(Marker), "is_head": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post_json(
            &format!("/api/v1/exam-sessions/{psession}/practical-attempts"),
            &tok(Learner),
            &json!({}),
        )
        .await;
    let pa = created(r, "practical attempt").await;
    let pattempt = id_of(&pa);
    let tasks = pa["tasks"].as_array().unwrap();
    let (position, kind, upload_bytes) = tasks
        .iter()
        .find_map(|t| {
            let kind = t["expected_types"][0].as_str()?;
            Some((
                t["position"].as_i64()? as i32,
                kind.to_string(),
                upload_fixture(kind)?,
            ))
        })
        .expect("a task taking an office file");
    let upload_name = format!("bai-lam.{kind}");
    let r = app
        .post_bytes(
            &format!(
                "/api/v1/practical-attempts/{pattempt}/tasks/{position}/uploads?name={upload_name}"
            ),
            &tok(Learner),
            upload_bytes.to_vec(),
        )
        .await;
    let upload = id_of(&created(r, "upload").await);
    let starter_url = tasks
        .iter()
        .find_map(|t| t["starter_files"][0]["url"].as_str())
        .expect("a task with a starter file")
        .to_string();
    let (starter_task, starter_name) = starter_url
        .strip_prefix("/api/v1/practical-tasks/")
        .and_then(|s| s.split_once("/files/"))
        .map(|(t, n)| (Uuid::parse_str(t).unwrap(), n.to_string()))
        .unwrap();
    use ictskills::entities::practical_submission;
    let submission = practical_submission::Entity::find()
        .filter(practical_submission::Column::AttemptId.eq(pattempt))
        .filter(practical_submission::Column::Position.eq(position))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = app
        .post_json(
            &format!("/api/v1/practical-attempts/{pattempt}/submit"),
            &tok(Learner),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_json(
            "/api/v1/practical-tasks",
            &tok(Trainer),
            &task_json("Bảng kinh phí"),
        )
        .await;
    let own_task = id_of(&created(r, "task").await);

    Fx {
        tokens,
        ids,
        root,
        unit1,
        unit_close_api,
        unit_close_page,
        throwaway_user,
        course,
        lesson,
        lesson_to_move,
        quiz,
        class,
        question: drafts[0],
        question_own: drafts[1],
        question_edit: drafts[2],
        question_page: drafts[3],
        media_url,
        blueprint,
        session,
        attempt,
        session_to_approve,
        finished,
        graded,
        cert_code: cert.code,
        credential: cert.credential,
        appeal,
        psession,
        pattempt,
        position,
        upload_name,
        upload_bytes,
        submission,
        upload,
        starter_task,
        starter_name,
        own_task,
        today,
        tz: app.state.settings.time_zone(),
    }
}

fn question_json(stem: &str) -> Value {
    json!({"module": "IU01", "difficulty": "easy", "type": "single",
           "stem": format!("Câu hỏi ma trận: {stem}?"),
           "options": [{"text": "Đúng", "correct": true}, {"text": "Sai"}]})
}

fn task_json(title: &str) -> Value {
    json!({"module": "IU04", "title": title, "instructions": "Lập bảng.",
           "expected_types": ["xlsx"],
           "rubric": [{"criterion": "Bảng đúng", "points": 6}, {"criterion": "Trình bày", "points": 4}]})
}

/// The concrete address of a route for `who`: fixture ids in the path, and
/// the query the route needs.
fn fill(template: &str, who: Who, fx: &Fx) -> String {
    let w = format!("{who:?}").to_lowercase();
    match template {
        "/api/v1/users" | "/admin/users" => format!("{template}?unit={}", fx.unit1),
        "/api/v1/users/import" | "/api/v1/units/import" => format!("{template}?dry_run=true"),
        "/api/v1/users/{id}" => format!("/api/v1/users/{}", fx.ids[&Learner]),
        "/api/v1/units/{id}" => format!("/api/v1/units/{}", fx.unit1),
        "/api/v1/units/{id}/close" => format!("/api/v1/units/{}/close", fx.unit_close_api),
        "/api/v1/questions/import" => format!("{template}?format=gift&dry_run=true"),
        "/api/v1/questions/export" => format!("{template}?format=gift"),
        // Read and edited: a draft nobody approves.
        "/api/v1/questions/{id}" | "/questions/{id}/edit" => {
            template.replace("{id}", &fx.question_edit.to_string())
        }
        "/api/v1/questions/{id}/versions" | "/questions/{id}" => {
            template.replace("{id}", &fx.question.to_string())
        }
        "/api/v1/questions/{id}/approve" | "/questions/{id}/approve" => {
            let q = match (who, template.starts_with("/api")) {
                (Trainer2, _) => fx.question_own,
                (_, true) => fx.question,
                (_, false) => fx.question_page,
            };
            template.replace("{id}", &q.to_string())
        }
        "/api/v1/media" => format!("{template}?name={w}.png"),
        "/api/v1/lessons/{id}"
        | "/api/v1/lessons/{id}/open"
        | "/api/v1/lessons/{id}/complete"
        | "/api/v1/lessons/{id}/quiz"
        | "/lessons/{id}"
        | "/lessons/{id}/complete"
        | "/lessons/{id}/quiz"
        | "/admin/lessons/{id}/edit" => template.replace("{id}", &fx.lesson.to_string()),
        "/admin/lessons/{id}/move" => template.replace("{id}", &fx.lesson_to_move.to_string()),
        "/admin/lessons/new" => format!("{template}?course={}", fx.course),
        "/courses/{id}" => template.replace("{id}", &fx.course.to_string()),
        "/api/v1/quizzes/{id}" | "/api/v1/quizzes/{id}/submit" | "/quizzes/{id}/submit" => {
            template.replace("{id}", &fx.quiz.to_string())
        }
        "/classes/{id}/export.{ext}" => format!("/classes/{}/export.csv", fx.class),
        t if t.starts_with("/api/v1/classes/{id}") || t.starts_with("/classes/{id}") => {
            t.replace("{id}", &fx.class.to_string())
        }
        "/api/v1/exam-sessions/{id}/approve" | "/exam-sessions/{id}/approve-form" => {
            template.replace("{id}", &fx.session_to_approve.to_string())
        }
        "/api/v1/exam-sessions/{id}/practical-attempts"
        | "/api/v1/exam-sessions/{id}/markers"
        | "/api/v1/exam-sessions/{id}/marking-board"
        | "/api/v1/exam-sessions/{id}/anonymous-numbers"
        | "/exams/{id}/practical"
        | "/exam-sessions/{id}/marking-board" => template.replace("{id}", &fx.psession.to_string()),
        t if t.starts_with("/api/v1/exam-sessions/{id}")
            || t.starts_with("/exam-sessions/{id}")
            || t.starts_with("/exams/{id}") =>
        {
            t.replace("{id}", &fx.session.to_string())
        }
        "/api/v1/attempts/{id}/answers/{position}" => {
            format!("/api/v1/attempts/{}/answers/1", fx.attempt)
        }
        "/api/v1/attempts/{id}/appeals" => template.replace("{id}", &fx.graded.to_string()),
        "/attempts/{id}/paper" => template.replace("{id}", &fx.finished.to_string()),
        t if t.starts_with("/api/v1/attempts/{id}") || t.starts_with("/attempts/{id}") => {
            t.replace("{id}", &fx.attempt.to_string())
        }
        t if t.contains("{code}") && !t.starts_with("/lang") => t.replace("{code}", &fx.cert_code),
        "/api/v1/status-lists/{id}" => "/api/v1/status-lists/1".into(),
        "/api/v1/practical-tasks/{id}/files" => format!(
            "/api/v1/practical-tasks/{}/files?name={w}.xlsx",
            fx.own_task
        ),
        "/api/v1/practical-tasks/{id}/files/{name}" => format!(
            "/api/v1/practical-tasks/{}/files/{}",
            fx.starter_task, fx.starter_name
        ),
        "/api/v1/practical-attempts/{id}/tasks/{position}/uploads" => format!(
            "/api/v1/practical-attempts/{}/tasks/{}/uploads?name={}",
            fx.pattempt, fx.position, fx.upload_name
        ),
        "/practical/{id}/tasks/{position}" => {
            format!("/practical/{}/tasks/{}", fx.pattempt, fx.position)
        }
        t if t.starts_with("/api/v1/practical-attempts/{id}")
            || t.starts_with("/practical/{id}") =>
        {
            t.replace("{id}", &fx.pattempt.to_string())
        }
        "/api/v1/marking/submissions/{id}/files/{upload_id}" => format!(
            "/api/v1/marking/submissions/{}/files/{}",
            fx.submission, fx.upload
        ),
        t if t.starts_with("/api/v1/marking/submissions/{id}") || t == "/marking/{id}" => {
            t.replace("{id}", &fx.submission.to_string())
        }
        "/api/v1/appeals/{id}/decide" => template.replace("{id}", &fx.appeal.to_string()),
        "/api/v1/reports/units" | "/reports/units" => format!("{template}?root={}", fx.unit1),
        "/api/v1/reports/units/people" | "/reports/units/people" => {
            format!("{template}?unit={}&metric=assigned", fx.unit1)
        }
        "/static/{path:.*}" => "/static/css/app.css".into(),
        "/media/{sha}/{name}" => fx.media_url.clone(),
        "/lang/{code}" => "/lang/en?next=/".into(),
        "/password/reset/{token}" | "/setup/{token}" => {
            template.replace("{token}", "not-a-real-token")
        }
        "/admin/users/import/template.{ext}" => "/admin/users/import/template.xlsx".into(),
        "/admin/users/{id}" | "/admin/users/{id}/reset" => {
            template.replace("{id}", &fx.throwaway_user.to_string())
        }
        "/admin/units/{id}/close" => template.replace("{id}", &fx.unit_close_page.to_string()),
        t => {
            assert!(!t.contains('{'), "no fixture for {t}");
            t.to_string()
        }
    }
}

enum Body {
    Empty,
    Json(Value),
    Raw(Vec<u8>),
}

/// A body valid enough to get past the extractors, so that what answers is
/// the authorization (and then the route's own rules).
fn api_body(method: &str, template: &str, who: Who, fx: &Fx) -> Body {
    let w = format!("{who:?}").to_lowercase();
    let l = fx.ids[&Learner];
    Body::Json(match (method, template) {
        ("GET", _) => return Body::Empty,
        ("POST", "/api/v1/auth/token") => json!({"email": "login@authz.vn", "password": PASSWORD}),
        ("POST", "/api/v1/auth/password-reset") => json!({"email": "nobody@authz.vn"}),
        ("POST", "/api/v1/auth/password-reset/confirm") => {
            json!({"token": "not-a-real-token", "password": "a long enough password"})
        }
        ("POST", "/api/v1/me/password") => json!({"current_password": "not my password at all",
                                                   "new_password": "another long password"}),
        ("POST", "/api/v1/users") => json!({"email": format!("new-{w}@authz.vn"),
            "full_name": "Trần Thị Bình", "date_of_birth": "1990-01-02", "place_of_birth": "Huế",
            "sex": "female", "roles": ["learner"], "password": PASSWORD}),
        ("POST", "/api/v1/users/import") | ("POST", "/api/v1/units/import") => {
            return Body::Raw(b"code,name,kind,parent_code\n".to_vec());
        }
        ("PATCH", "/api/v1/users/{id}") => json!({"job_title": "Chuyên viên"}),
        ("POST", "/api/v1/units") => {
            json!({"name": format!("Xã {w}"), "kind": "xã", "parent_id": fx.root})
        }
        ("PATCH", "/api/v1/units/{id}") => json!({}),
        ("POST", "/api/v1/units/{id}/close") => json!({}),
        ("POST", "/api/v1/questions/import") => {
            return Body::Raw(
                format!("$CATEGORY: IU01\n\n::{w}:: Câu nhập {w}? {{=Đúng ~Sai}}\n").into_bytes(),
            );
        }
        ("POST", "/api/v1/questions") | ("PUT", "/api/v1/questions/{id}") => {
            question_json(&format!("{method} {w}"))
        }
        ("POST", "/api/v1/questions/retire") => json!({"ids": []}),
        ("POST", "/api/v1/media") => return Body::Raw(PNG.to_vec()),
        ("POST", "/api/v1/quizzes/{id}/submit") => json!({"answers": {}}),
        ("POST", "/api/v1/classes") => json!({"name": format!("Lớp {w}"), "course_id": fx.course,
            "starts_on": fx.today, "ends_on": fx.today + chrono::Duration::days(60),
            "rule": {"all_modules_complete": true}}),
        ("POST", "/api/v1/classes/{id}/enrolments") => json!({"user_ids": [l]}),
        ("POST", "/api/v1/classes/{id}/attendance") => {
            json!({"date": fx.today, "present_user_ids": [l]})
        }
        ("POST", "/api/v1/classes/{id}/exceptions") => {
            json!({"user_id": l, "reason": "Ốm dài ngày, có giấy"})
        }
        ("POST", "/api/v1/blueprints") => json!({"name": format!("Đề {w}"),
            "time_limit_seconds": 1800, "pass_score": 5.0, "multiple_scoring": "all_or_nothing",
            "sections": [{"module": "IU01", "count": 2}]}),
        ("POST", "/api/v1/exam-sessions") => {
            let now = chrono::Utc::now();
            json!({"title": format!("Ca {w}"), "blueprint_id": fx.blueprint,
                   "opens_at": now + chrono::Duration::days(1),
                   "closes_at": now + chrono::Duration::days(2), "registration": "open"})
        }
        ("POST", "/api/v1/exam-sessions/{id}/registrations") => {
            json!({"user_id": fx.ids[&Learner2]})
        }
        ("PUT", "/api/v1/attempts/{id}/answers/{position}") => json!({"option_ids": []}),
        ("POST", "/api/v1/attempts/{id}/extra-time") => {
            json!({"seconds": 60, "reason": "Mất điện"})
        }
        ("POST", "/api/v1/attempts/{id}/reopen") => json!({"minutes": 5, "reason": "Mất điện"}),
        ("POST", "/api/v1/certificates/revoke") => json!({"codes": ["ZZZZZZZZZZZZ"],
            "reason": "issuer_error", "note": "Kiểm thử"}),
        ("POST", "/api/v1/certificates/{code}/reinstate") => json!({"reason": "Nhầm lẫn"}),
        ("POST", "/api/v1/certificates/{code}/reissue") => json!({"note": "Mất bản gốc"}),
        ("POST", "/api/v1/credentials/verify") => json!({"credential": fx.credential}),
        ("POST", "/api/v1/practical-tasks") => task_json(&format!("Bài {w}")),
        ("POST", "/api/v1/practical-tasks/{id}/files") => return Body::Raw(SHEET.to_vec()),
        ("POST", "/api/v1/practical-papers") => json!({"name": format!("Đề thực hành {w}"),
            "time_limit_seconds": 3600, "sections": [{"module": "IU04", "count": 1}]}),
        ("POST", "/api/v1/practical-attempts/{id}/tasks/{position}/uploads") => {
            return Body::Raw(fx.upload_bytes.to_vec());
        }
        ("POST", "/api/v1/exam-sessions/{id}/markers") => {
            json!({"user_id": fx.ids[&Marker], "is_head": true})
        }
        ("POST", "/api/v1/marking/submissions/{id}/marks") => {
            json!({"marks": [{"criterion": 1, "points": 0}]})
        }
        ("POST", "/api/v1/attempts/{id}/appeals") => {
            json!({"part": "theory", "reason": "Xin phúc khảo lần nữa"})
        }
        ("POST", "/api/v1/appeals/{id}/decide") => json!({"note": "Đã xem lại"}),
        _ => json!({}),
    })
}

/// A form's fields (the CSRF token is added when sent), or a multipart
/// form with a file.
enum Form {
    Fields(Vec<(&'static str, String)>),
    Multipart(Vec<(&'static str, String)>, String, Vec<u8>),
}

fn page_form(template: &str, who: Who, fx: &Fx) -> Form {
    let w = format!("{who:?}").to_lowercase();
    let s = |v: &str| v.to_string();
    let question = || {
        vec![
            ("module", s("IU01")),
            ("difficulty", s("easy")),
            ("type", s("single")),
            ("stem", format!("Câu hỏi trang {w} {template}?")),
            ("opt1", s("Đúng")),
            ("ok1", s("on")),
            ("opt2", s("Sai")),
        ]
    };
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&fx.tz).format("%Y-%m-%dT%H:%M").to_string()
    };
    Form::Fields(match template {
        "/login" => vec![
            ("email", s("login@authz.vn")),
            ("password", s(PASSWORD)),
            ("next", s("/")),
        ],
        "/account/password" => vec![
            ("current_password", s("not my password at all")),
            ("new_password", s("one new password")),
            ("confirm_password", s("another new password")),
        ],
        "/password/forgot" => vec![("email", s("nobody@authz.vn"))],
        "/password/reset/{token}" => vec![
            ("new_password", s("a long enough password")),
            ("confirm_password", s("a long enough password")),
        ],
        "/setup/{token}" => vec![
            ("email", s("setup@authz.vn")),
            ("full_name", s("Quản Trị")),
            ("new_password", s("a long enough password")),
            ("confirm_password", s("a long enough password")),
        ],
        "/admin/units" => vec![
            ("name", format!("Xã trang {w}")),
            ("kind", s("xã")),
            ("code", s("")),
            ("parent_id", fx.root.to_string()),
        ],
        "/admin/units/import" | "/admin/users/import" | "/classes/{id}/enrol-roster" => {
            return Form::Multipart(
                vec![("dry_run", s("1"))],
                s("tep.csv"),
                b"code,name,kind,parent_code\n".to_vec(),
            );
        }
        "/admin/users/new" => vec![
            ("email", format!("page-{w}@authz.vn")),
            ("full_name", s("Lê Văn Cường")),
            ("date_of_birth", s("1988-03-04")),
            ("place_of_birth", s("Đà Nẵng")),
            ("sex", s("male")),
            ("role", s("learner")),
            ("password", s(PASSWORD)),
        ],
        "/admin/users/{id}" => vec![
            ("full_name", s("Người Dùng Tạm")),
            ("date_of_birth", s("1985-04-12")),
            ("place_of_birth", s("Hà Nội")),
            ("sex", s("male")),
            ("unit", s("AUTHZ-1")),
            ("is_active", s("on")),
            ("role", s("learner")),
        ],
        "/questions/new" | "/questions/{id}/edit" | "/questions/preview" => question(),
        "/questions/import" => {
            return Form::Multipart(
                vec![("format", s("gift")), ("dry_run", s("1"))],
                s("cau-hoi.gift"),
                format!("$CATEGORY: IU01\n\n::p{w}:: Câu trang {w}? {{=Đúng ~Sai}}\n").into_bytes(),
            );
        }
        "/classes" => vec![
            ("name", format!("Lớp trang {w}")),
            ("course_id", fx.course.to_string()),
            ("starts_on", fx.today.to_string()),
            (
                "ends_on",
                (fx.today + chrono::Duration::days(60)).to_string(),
            ),
            ("all_modules_complete", s("on")),
        ],
        "/classes/{id}/enrol" => vec![("emails", email(Learner))],
        "/classes/{id}/attendance" => vec![
            ("date", fx.today.to_string()),
            ("present", fx.ids[&Learner].to_string()),
        ],
        "/classes/{id}/exceptions" => vec![
            ("user_id", fx.ids[&Learner].to_string()),
            ("reason", s("Ốm dài ngày, có giấy")),
        ],
        "/admin/lessons/new" => vec![
            ("module", s("IU01")),
            ("title", format!("Bài trang {w}")),
            ("body", s("Nội dung **bài học**.")),
            ("minutes", s("5")),
        ],
        "/admin/lessons/{id}/edit" => {
            vec![("module", s("IU01")), ("title", s("")), ("body", s(""))]
        }
        "/admin/lessons/preview" => vec![("body", s("**Xem trước**"))],
        "/admin/lessons/{id}/move" => vec![("direction", s("down"))],
        "/exam-sessions" => {
            let now = chrono::Utc::now();
            vec![
                ("title", format!("Ca trang {w}")),
                ("blueprint_id", fx.blueprint.to_string()),
                ("opens_at", local(now + chrono::Duration::days(1))),
                ("closes_at", local(now + chrono::Duration::days(2))),
                ("registration", s("open")),
            ]
        }
        "/exam-sessions/{id}/register" => vec![("emails", email(Learner2))],
        "/attempts/{id}/extra-time-form" | "/attempts/{id}/reopen-form" => vec![
            ("amount", s("5")),
            ("reason", s("Mất điện")),
            ("session", fx.session.to_string()),
        ],
        "/practical/{id}/tasks/{position}" => {
            return Form::Multipart(Vec::new(), fx.upload_name.clone(), fx.upload_bytes.to_vec());
        }
        "/marking/{id}" => vec![("points_1", s("0"))],
        "/admin/certificates/revoke" => vec![
            ("lookups", s("ZZZZZZZZZZZZ")),
            ("reason", s("issuer_error")),
            ("note", s("Kiểm thử")),
        ],
        "/certificates/{code}/reinstate" => vec![("reason", s("Nhầm lẫn"))],
        "/certificates/{code}/reissue" => vec![("note", s("Mất bản gốc"))],
        _ => Vec::new(),
    })
}

struct Answer {
    status: StatusCode,
    location: String,
}

fn meets(e: E, a: &Answer) -> bool {
    let s = a.status.as_u16();
    match e {
        S(x) => s == x,
        Allow => {
            !matches!(s, 401 | 403 | 404)
                && s < 500
                && !(s == 303 && a.location.starts_with("/login"))
        }
        Login => s == 303 && a.location.starts_with("/login?next="),
        To(prefix) => {
            s == 303 && a.location.starts_with(prefix) && !a.location.starts_with("/login?next=")
        }
    }
}

/// A new client address for every request (the app trusts
/// `X-Forwarded-For` here): the per-address abuse limits (lookups, resets,
/// imports) count each cell on its own, so the matrix tests authorization,
/// not how many times it asked.
fn address() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).unwrap()
}

async fn call_api(app: &TestApp, fx: &Fx, who: Who, row: &Row) -> (String, Answer) {
    let url = fill(row.path, who, fx);
    let mut req = app
        .api
        .request(method(row.method), app.url(&url))
        .header("x-forwarded-for", address());
    if who != Anonymous {
        req = req.bearer_auth(&fx.tokens[&who]);
    }
    req = match api_body(row.method, row.path, who, fx) {
        Body::Empty => req,
        Body::Json(v) => req.json(&v),
        Body::Raw(b) => req.body(b),
    };
    let r = req.send().await.unwrap();
    (url, answer(r))
}

fn answer(r: reqwest::Response) -> Answer {
    Answer {
        status: r.status(),
        location: r
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_string(),
    }
}

/// A browser request: the session cookie (the same signed token the API
/// takes) and the CSRF cookie; `csrf` is the token the form carries.
async fn call_page(
    app: &TestApp,
    fx: &Fx,
    who: Who,
    row: &Row,
    csrf: Option<&str>,
) -> (String, Answer) {
    let url = fill(row.path, who, fx);
    let cookie = match who {
        Anonymous => format!("csrf={CSRF}"),
        w => format!("ictskills_session={}; csrf={CSRF}", fx.tokens[&w]),
    };
    let mut req = app
        .api
        .request(method(row.method), app.url(&url))
        .header(COOKIE, cookie)
        .header("x-forwarded-for", address());
    if row.method != "GET" {
        let with_token = |mut fields: Vec<(&'static str, String)>| {
            if let Some(t) = csrf {
                fields.push(("csrf_token", t.to_string()));
            }
            fields
        };
        req = match page_form(row.path, who, fx) {
            Form::Fields(f) => {
                let encoded: String = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(with_token(f))
                    .finish();
                req.header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(encoded)
            }
            Form::Multipart(f, name, bytes) => {
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in with_token(f) {
                    form = form.text(k, v);
                }
                form = form.part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                );
                req.multipart(form)
            }
        };
    }
    let r = req.send().await.unwrap();
    (url, answer(r))
}

/// Every (method, path) the OpenAPI document lists.
async fn openapi_routes(app: &TestApp) -> BTreeSet<(String, String)> {
    let r = app
        .api
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc = body(r).await;
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in ["get", "post", "put", "patch", "delete", "head", "options"] {
            if item.get(m).is_some() {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// Every (method, path) of the actix route attributes in `files`.
fn attribute_routes(files: &[std::path::PathBuf]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        for line in text.lines().map(str::trim) {
            for m in ["get", "post", "put", "patch", "delete", "head"] {
                if let Some(rest) = line.strip_prefix(&format!("#[{m}(\"")) {
                    let path = &rest[..rest.find('"').unwrap()];
                    out.insert((m.to_uppercase(), path.to_string()));
                }
            }
            if let Some(rest) = line.strip_prefix("#[route(\"") {
                let path = &rest[..rest.find('"').unwrap()];
                for part in rest.split("method").skip(1) {
                    if let Some(m) = part.split('"').nth(1) {
                        out.insert((m.to_uppercase(), path.to_string()));
                    }
                }
            }
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    files
}

/// The table against the routes that exist: each missing row and each stale
/// row is a failure.
fn compare(
    what: &str,
    table: &[Row],
    routes: &BTreeSet<(String, String)>,
    failures: &mut Vec<String>,
) {
    let rows: BTreeSet<(String, String)> = table
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(
        rows.len(),
        table.len(),
        "{what}: a route is in the table twice"
    );
    for (m, p) in routes.difference(&rows) {
        failures.push(format!(
            "{what}: {m} {p} has no row in the matrix: decide who may call it"
        ));
    }
    for (m, p) in rows.difference(routes) {
        failures.push(format!(
            "{what}: the matrix names {m} {p}, which is not a route"
        ));
    }
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_matrix_says() {
    let app = spawn_app_with(|s| s.server.trust_forwarded_for = true).await;
    let mut failures = Vec::new();

    // The tables cover exactly the routes that exist.
    let api_routes = openapi_routes(&app).await;
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let declared_api: BTreeSet<(String, String)> = attribute_routes(&rust_files(&src.join("api")))
        .into_iter()
        .map(|(m, p)| (m, format!("/api/v1{p}")))
        .collect();
    for (m, p) in declared_api.difference(&api_routes) {
        failures.push(format!(
            "API: {m} {p} is served but missing from the OpenAPI document"
        ));
    }
    compare("API", API, &api_routes, &mut failures);
    let mut page_files = rust_files(&src.join("pages"));
    page_files.extend(OTHER_ROUTE_FILES.iter().map(|f| src.join(f)));
    let page_routes = attribute_routes(&page_files);
    assert!(
        page_routes.len() > 50,
        "found only {} page routes",
        page_routes.len()
    );
    compare("pages", PAGES, &page_routes, &mut failures);

    let fx = fixtures(&app).await;
    let mut sent = 0;
    for row in API {
        let cells = COLUMNS
            .iter()
            .copied()
            .zip(row.cells)
            .chain(row.others.iter().copied());
        for (who, expected) in cells {
            let (url, a) = call_api(&app, &fx, who, row).await;
            sent += 1;
            if !meets(expected, &a) {
                failures.push(format!(
                    "{} {url} as {who:?}: expected {expected:?}, got {} {}",
                    row.method, a.status, a.location
                ));
            }
        }
    }
    for row in PAGES {
        let cells = COLUMNS
            .iter()
            .copied()
            .zip(row.cells)
            .chain(row.others.iter().copied());
        for (who, expected) in cells {
            let (url, a) = call_page(&app, &fx, who, row, Some(CSRF)).await;
            sent += 1;
            if !meets(expected, &a) {
                failures.push(format!(
                    "{} {url} as {who:?}: expected {expected:?}, got {} {}",
                    row.method, a.status, a.location
                ));
            }
        }
        // A form posted from another site: the token it carries is not the
        // browser's, or it carries none. Refused before anything happens,
        // for someone the form is otherwise open to.
        if row.method == "POST" {
            let who = COLUMNS
                .iter()
                .copied()
                .zip(row.cells)
                .filter(|(_, e)| !matches!(e, S(401 | 403 | 404) | Login))
                .map(|(w, _)| w)
                .next_back()
                .expect("someone may post the form");
            for (forged, label) in [
                (Some("forged-token-from-another-site-000000"), "a forged"),
                (None, "no"),
            ] {
                let (url, a) = call_page(&app, &fx, who, row, forged).await;
                sent += 1;
                if a.status != StatusCode::FORBIDDEN {
                    failures.push(format!(
                        "POST {url} as {who:?} with {label} CSRF token: expected 403, got {} {}",
                        a.status, a.location
                    ));
                }
            }
        }
    }
    println!(
        "authorization matrix: {} API routes, {} pages and forms, {sent} requests",
        api_routes.len(),
        page_routes.len()
    );
    assert!(
        failures.is_empty(),
        "{} cells of the authorization matrix fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
