//! The admin console. Every page is listed once in the route table below with the `Access` it
//! requires; `guard::require` enforces it before any handler runs, and the authorization matrix
//! test walks the same table, so a new page cannot be added without a rule. The menu is read
//! from the same table: an entry names its route's label and group, and shows to the roles the
//! route's `Access` allows.

pub mod api_keys;
pub mod appeals;
pub mod audit;
pub mod cases;
pub mod components;
pub mod dashboard;
pub mod departments;
pub mod exports;
pub mod guard;
pub mod invitations;
pub mod labels;
pub mod links;
pub mod list;
pub mod login;
pub mod menu;
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
use crate::web::text::Bi;

/// One admin route: method, full path and who may use it.
#[derive(Debug, Clone, Copy)]
pub struct AdminRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// The parts of the console's menu, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuGroup {
    Overview,
    Work,
    Setup,
    System,
    Account,
}

impl MenuGroup {
    pub fn label(self) -> Bi {
        match self {
            MenuGroup::Overview => Bi("概览", "Overview"),
            MenuGroup::Work => Bi("日常工作", "Daily work"),
            MenuGroup::Setup => Bi("基础设置", "Setup"),
            MenuGroup::System => Bi("系统管理", "System"),
            MenuGroup::Account => Bi("账户", "Account"),
        }
    }
}

/// A menu entry: a page of the route table with its label, group and the route's access rule.
#[derive(Debug, Clone, Copy)]
pub struct MenuEntry {
    pub path: &'static str,
    pub label: Bi,
    pub group: MenuGroup,
    pub access: Access,
}

/// Declares the route table (`ROUTES`), the menu (`MENU`, in table order) and registers the
/// routes (`register`) from one list, so the three cannot drift apart. Paths are relative to
/// `/admin`; one access rule per path; `menu(label, group)` puts the path's page in the menu.
macro_rules! admin_routes {
    ($(
        $path:literal, $access:ident $(, menu($label:expr, $group:ident))?
            => { $( $method:ident : $handler:path ),+ $(,)? }
    )*) => {
        /// Every signed-in admin route with its access rule.
        pub const ROUTES: &[AdminRoute] = &[
            $( $( AdminRoute {
                method: stringify!($method),
                path: concat!("/admin", $path),
                access: Access::$access,
            }, )+ )*
        ];

        /// The console's menu, in the order shown; each entry for the roles its route allows.
        pub const MENU: &[MenuEntry] = &[
            $( $( MenuEntry {
                path: concat!("/admin", $path),
                label: $label,
                group: MenuGroup::$group,
                access: Access::$access,
            }, )? )*
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

// In menu order; within a prefix, fixed paths (`/new`) come before `{id}`, which would match them.
admin_routes! {
    "", SignedIn, menu(Bi("概览", "Dashboard"), Overview) => { get: dashboard::show }

    "/phone", PhoneEntry, menu(Bi("电话录入", "Phone entry"), Work) => { get: phone::show, post: phone::submit }
    "/responses", Results, menu(Bi("评价记录", "Responses"), Work) => { get: responses::list }
    "/responses/{id}", Results => { get: responses::show }
    "/responses/{id}/review", Office => { post: responses::review_one }
    "/responses/{id}/appeal", Results => { post: appeals::submit }
    "/review", Office, menu(Bi("审核", "Review"), Work) => { get: review::show, post: review::decide_many }
    "/cases", Results, menu(Bi("整改", "Cases"), Work) => { get: cases::list }
    "/cases/{id}", Results => { get: cases::show }
    "/cases/{id}/reply", Results => { post: cases::reply }
    "/cases/{id}/verify", Office => { post: cases::verify }
    "/appeals", Results, menu(Bi("申诉", "Appeals"), Work) => { get: appeals::list }
    "/appeals/{id}/decide", Office => { post: appeals::decide }
    "/periods", Results, menu(Bi("考核结果", "Results"), Work) => { get: periods::index }
    "/periods/{period}", Results => { get: periods::show }
    "/periods/{period}/publish", Office => { post: periods::publish }
    "/periods/{period}/versions/{version}", Results => { get: periods::version }
    "/periods/{period}/versions/{version}/public", Office => { post: periods::set_public }
    "/periods/{period}/departments/{code}", Results => { get: periods::department }
    "/periods/{period}/sheet", Office => { get: periods::sheet }
    "/exports", Office, menu(Bi("导出", "Exports"), Work) => { get: exports::show }
    "/exports/sheet", Office => { get: exports::sheet }
    "/exports/responses", Office => { get: exports::responses }
    "/exports/files/{id}", Office => { get: exports::file }

    "/departments", Office, menu(Bi("单位", "Departments"), Setup) => { get: departments::list, post: departments::create }
    "/departments/new", Office => { get: departments::new_form }
    "/departments/import", Office => { get: departments::import_form, post: departments::import }
    "/departments/template.csv", Office => { get: departments::template }
    "/departments/categories", Office => { post: departments::add_category }
    "/departments/{id}", Office => { get: departments::show, post: departments::update }
    "/questionnaires", Office, menu(Bi("问卷", "Questionnaires"), Setup) => { get: questionnaires::list, post: questionnaires::create }
    "/questionnaires/new", Office => { get: questionnaires::new_form }
    "/questionnaires/{id}/edit", Office => { get: questionnaires::edit_form, post: questionnaires::save }
    "/questionnaires/{id}/versions/{number}", Office => { get: questionnaires::show_version }
    "/questionnaires/{id}/versions/{number}/publish", Office => { post: questionnaires::publish }
    "/links", Office, menu(Bi("评价链接", "Links"), Setup) => { get: links::list, post: links::create }
    "/links/new", Office => { get: links::new_form }
    "/links/{id}", Office => { get: links::show }
    "/links/{id}/poster", Office => { get: links::poster }
    "/links/{id}/active", Office => { post: links::set_active }
    "/invitations", Office, menu(Bi("邀请", "Invitations"), Setup) => { get: invitations::list, post: invitations::upload }
    "/invitations/sample.csv", Office => { get: invitations::sample }
    "/schemes", Office, menu(Bi("考核方案", "Schemes"), Setup) => { get: schemes::show, post: schemes::save }

    "/users", Admin, menu(Bi("用户与密钥", "Users & keys"), System) => { get: users::list, post: users::create }
    "/users/new", Admin => { get: users::new_form }
    "/users/{id}", Admin => { get: users::show, post: users::update }
    "/users/{id}/password", Admin => { post: users::reset_password }
    "/api-keys", Admin => { get: api_keys::list, post: api_keys::create }
    "/api-keys/{id}/revoke", Admin => { post: api_keys::revoke }
    "/audit", Office, menu(Bi("审计日志", "Audit log"), System) => { get: audit::list }

    "/password", SignedIn, menu(Bi("修改密码", "Password"), Account) => { get: password::show, post: password::submit }
}
