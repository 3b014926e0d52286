//! The township web console (DESIGN.md §12, issue 18): server-rendered pages under
//! `/console/` on the township server's port, for township staff, village cadres, grid
//! workers and shops, on a phone or an office PC, with no front-end build step.
//!
//! Every page asks `township::console` who is signed in and checks the role itself, on
//! the server: a grid worker's page holds only their grid, a cadre's only their village,
//! a shop's only its vouchers; anything else is a 403. Forms carry the session's CSRF
//! token (the login form a double-submit one), and cookies are HttpOnly, SameSite=Strict,
//! and Secure behind HTTPS. Storage calls run on tokio's blocking pool.

mod drafts;
mod feedback;
mod pages;
mod render;
mod session;
mod vouchers;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::domain::clock::Clock;
use crate::township::TownshipStorage;

/// The console's routes, to be served beside the kiosks' `/v1`.
pub fn router(storage: Arc<dyn TownshipStorage>, clock: Arc<dyn Clock>) -> Router {
    let state = ConsoleState {
        storage,
        clock,
        pages: Arc::new(render::templates()),
    };
    Router::new()
        .route("/console", get(pages::to_home))
        .route("/console/", get(pages::home))
        .route("/console/console.css", get(render::stylesheet))
        .route("/console/fonts/{name}", get(render::font))
        .route("/console/login", get(session::login_page).post(session::login))
        .route("/console/logout", post(session::logout))
        .route("/console/reports", get(pages::reports))
        .route("/console/village/{code}", get(pages::village))
        .route("/console/merchant", get(pages::merchant))
        .route("/console/audit", get(pages::audit))
        .route(
            "/console/drafts",
            get(drafts::drafts_page)
                .post(drafts::add)
                .layer(DefaultBodyLimit::max(drafts::FORM_BYTES)),
        )
        .route(
            "/console/drafts/{id}",
            get(drafts::draft_page)
                .post(drafts::change)
                .layer(DefaultBodyLimit::max(drafts::FORM_BYTES)),
        )
        .route("/console/drafts/{id}/drop", post(drafts::drop))
        .route("/console/drafts/{id}/photos/{sha256}", get(drafts::photo))
        .route("/console/publish", post(drafts::publish))
        .route("/console/v", get(vouchers::show).post(vouchers::take))
        .route("/console/feedback", get(feedback::sheet))
        .with_state(state)
}

#[derive(Clone)]
struct ConsoleState {
    storage: Arc<dyn TownshipStorage>,
    clock: Arc<dyn Clock>,
    pages: Arc<minijinja::Environment<'static>>,
}
