//! The admin console. Every page is listed once in the route table below with the `Access` it
//! requires; `guard::require` enforces it before any handler runs, and the authorization matrix
//! test walks the same table, so a new page cannot be added without a rule.

pub mod dashboard;
pub mod guard;
pub mod invitations;
pub mod links;
pub mod list;
pub mod login;
pub mod password;
pub mod session;

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
    "/links", Office => { get: links::list, post: links::create }
    "/links/new", Office => { get: links::new_form }
    "/links/{id}", Office => { get: links::show }
    "/links/{id}/poster", Office => { get: links::poster }
    "/links/{id}/active", Office => { post: links::set_active }
    "/invitations", Office => { get: invitations::list, post: invitations::upload }
    "/invitations/sample.csv", Office => { get: invitations::sample }
}
