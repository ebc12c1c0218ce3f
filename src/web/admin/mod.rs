//! The admin console. Every page is listed once in the route table below with the `Access` it
//! requires; `guard::require` enforces it before any handler runs, and the authorization matrix
//! test walks the same table, so a new page cannot be added without a rule.

pub mod api_keys;
pub mod appeals;
pub mod audit;
pub mod cases;
pub mod dashboard;
pub mod departments;
pub mod exports;
pub mod guard;
pub mod invitations;
pub mod labels;
pub mod links;
pub mod list;
pub mod login;
pub mod params;
pub mod password;
pub mod periods;
pub mod phone;
pub mod questionnaires;
pub mod responses;
pub mod review;
pub mod schemes;
pub mod session;
pub mod users;

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::domain::account::Access;

/// One admin route: method, full path and who may use it.
#[derive(Debug, Clone, Copy)]
pub struct AdminRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// Declares the route table (`ROUTES`) and registers it (`register`) from one list, so the two
/// cannot drift apart. Paths are relative to `/admin`; one access rule per path.
macro_rules! admin_routes {
    ($( $path:literal, $access:ident => { $( $method:ident : $handler:path ),+ $(,)? } )*) => {
        /// Every signed-in admin route with its access rule.
        pub const ROUTES: &[AdminRoute] = &[
            $( $( AdminRoute {
                method: stringify!($method),
                path: concat!("/admin", $path),
                access: Access::$access,
            }, )+ )*
        ];

        /// Registers the table's routes inside the `/admin` scope, each behind its guard.
        pub fn register(cfg: &mut web::ServiceConfig) {
            $(
                cfg.service(
                    web::resource($path)
                        .wrap(from_fn(guard::require(Access::$access)))
                        $( .route(web::$method().to($handler)) )+
                );
            )*
        }
    };
}

admin_routes! {
    "", SignedIn => { get: dashboard::show }
    "/password", SignedIn => { get: password::show, post: password::submit }
    "/departments", Office => { get: departments::list, post: departments::create }
    "/departments/new", Office => { get: departments::new_form }
    "/departments/import", Office => { get: departments::import_form, post: departments::import }
    "/departments/template.csv", Office => { get: departments::template }
    "/departments/categories", Office => { post: departments::add_category }
    "/departments/{id}", Office => { get: departments::show, post: departments::update }
    "/questionnaires", Office => { get: questionnaires::list, post: questionnaires::create }
    "/questionnaires/new", Office => { get: questionnaires::new_form }
    "/questionnaires/{id}/edit", Office => { get: questionnaires::edit_form, post: questionnaires::save }
    "/questionnaires/{id}/versions/{number}", Office => { get: questionnaires::show_version }
    "/questionnaires/{id}/versions/{number}/publish", Office => { post: questionnaires::publish }
    "/responses", Results => { get: responses::list }
    "/responses/{id}", Results => { get: responses::show }
    "/responses/{id}/review", Office => { post: responses::review_one }
    "/responses/{id}/appeal", Results => { post: appeals::submit }
    "/cases", Results => { get: cases::list }
    "/cases/{id}", Results => { get: cases::show }
    "/cases/{id}/reply", Results => { post: cases::reply }
    "/cases/{id}/verify", Office => { post: cases::verify }
    "/appeals", Results => { get: appeals::list }
    "/appeals/{id}/decide", Office => { post: appeals::decide }
    "/exports", Office => { get: exports::show }
    "/exports/sheet", Office => { get: exports::sheet }
    "/exports/responses", Office => { get: exports::responses }
    "/exports/files/{id}", Office => { get: exports::file }
    "/periods", Results => { get: periods::index }
    "/periods/{period}", Results => { get: periods::show }
    "/periods/{period}/publish", Office => { post: periods::publish }
    "/periods/{period}/versions/{version}", Results => { get: periods::version }
    "/periods/{period}/sheet", Office => { get: periods::sheet }
    "/phone", PhoneEntry => { get: phone::show, post: phone::submit }
    "/review", Office => { get: review::show, post: review::decide_many }
    "/schemes", Office => { get: schemes::show, post: schemes::save }
    "/users", Admin => { get: users::list, post: users::create }
    "/users/new", Admin => { get: users::new_form }
    "/users/{id}", Admin => { get: users::show, post: users::update }
    "/users/{id}/password", Admin => { post: users::reset_password }
    "/api-keys", Admin => { get: api_keys::list, post: api_keys::create }
    "/api-keys/{id}/revoke", Admin => { post: api_keys::revoke }
    "/audit", Office => { get: audit::list }
    "/links", Office => { get: links::list, post: links::create }
    "/links/new", Office => { get: links::new_form }
    "/links/{id}", Office => { get: links::show }
    "/links/{id}/poster", Office => { get: links::poster }
    "/links/{id}/active", Office => { post: links::set_active }
    "/invitations", Office => { get: invitations::list, post: invitations::upload }
    "/invitations/sample.csv", Office => { get: invitations::sample }
}
