//! The application: state, the one route table, middleware, the server.
use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use sea_orm::DatabaseConnection;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;

use crate::auth::token::TokenKeys;
use crate::configuration::Settings;
use crate::i18n::{Catalogue, Lang};
use crate::routes;

/// What every handler can reach.
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Settings,
    pub tera: tera::Tera,
    pub catalogue: Catalogue,
    pub tokens: TokenKeys,
    pub default_lang: Lang,
    pub issuer: crate::services::certificates::Issuer,
    /// Rate limits (certificate lookups, password resets, imports).
    pub limits: crate::routes::limits::Limits,
    /// The instance's group-commit writer for answer saves.
    pub answers: crate::services::answer_writer::AnswerWriter,
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    stop_worker: tokio::sync::watch::Sender<bool>,
    worker: tokio::task::JoinHandle<()>,
}

impl Application {
    /// Connects, migrates, loads the shipped content on first start, binds
    /// the listener (port 0 picks a free port) and prepares the server.
    pub async fn build(mut settings: Settings) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.server.bind)?;
        let port = listener.local_addr()?.port();
        if settings.server.base_url.is_none() {
            let host = listener.local_addr()?.ip();
            let host = if host.is_unspecified() {
                "localhost".to_string()
            } else {
                host.to_string()
            };
            settings.server.base_url = Some(format!("http://{host}:{port}"));
        }
        crate::configuration::set_local_tz(settings.time_zone());
        let db = crate::db::connect(&settings).await?;
        crate::db::migrate(&db).await?;
        let tokens = TokenKeys::load(&db, settings.auth.token_ttl_seconds).await?;
        crate::store::signing_keys::ensure(&db).await?;
        crate::store::outcomes::backfill(&db).await?;
        let state = web::Data::new(AppState {
            tera: crate::templates::load()?,
            catalogue: Catalogue::load()?,
            default_lang: Lang::parse(&settings.site.default_lang).unwrap_or_default(),
            db: db.clone(),
            issuer: crate::services::certificates::Issuer::from_settings(&settings),
            limits: crate::routes::limits::Limits::from_settings(&settings),
            settings: settings.clone(),
            tokens,
            answers: crate::services::answer_writer::AnswerWriter::start(db.clone()),
        });

        let server_state = state.clone();
        let mut server = HttpServer::new(move || {
            let state = server_state.clone();
            let (app, api) = App::new()
                .into_utoipa_app()
                .app_data(state.clone())
                .app_data(routes::json_config())
                .app_data(routes::query_config())
                .app_data(routes::path_config())
                .app_data(routes::form_config())
                .service(utoipa_actix_web::scope("/api/v1").configure(routes::api::configure))
                .split_for_parts();
            let api = routes::openapi::finish(api);
            app.configure(routes::configure)
                .service(
                    utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}")
                        .url("/api/openapi.json", api),
                )
                .default_service(web::to(routes::not_found))
                .wrap(from_fn(routes::pages::errors::html_errors))
                .wrap(from_fn(crate::auth::csrf::ensure_cookie))
                .wrap(from_fn(routes::language))
                .wrap(from_fn(routes::limits::timeouts))
                .wrap(from_fn(routes::headers::security_headers))
                .wrap(Compress::default())
                .wrap(TracingLogger::default())
        })
        .listen(listener)?
        .shutdown_timeout(30);
        if let Some(w) = settings.server.workers {
            server = server.workers(w);
        }
        let server = server.run();

        let (stop_worker, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(crate::services::exams::run_sweeper(
            db.clone(),
            settings.grace(),
            stop_rx.clone(),
        ));
        tokio::spawn(crate::services::audit::run_sealer(
            db.clone(),
            stop_rx.clone(),
        ));
        tokio::spawn(crate::services::certificates::run_issuer(
            db.clone(),
            crate::services::certificates::Issuer::from_settings(&settings),
            std::time::Duration::from_secs(settings.certificates.issuer_interval_seconds.max(1)),
            stop_rx.clone(),
        ));
        if settings.reminders.enabled {
            tokio::spawn(crate::jobs::reminders::run(
                db.clone(),
                settings.clone(),
                stop_rx.clone(),
            ));
        }
        let worker = tokio::spawn(crate::mail::worker::run(db, settings, stop_rx));
        Ok(Application {
            port,
            server,
            state,
            stop_worker,
            worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGTERM/SIGINT; in-flight requests may finish (30 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        let _ = self.stop_worker.send(true);
        let _ = self.worker.await;
        result
    }
}
