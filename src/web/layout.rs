//! Page layouts: one for public pages, one for the admin console, one for error pages.

use maud::{DOCTYPE, Markup, html};

use super::assets::STYLESHEET_PATH;
use super::text::Bi;
use crate::domain::account::{Access, Role};

const SITE: Bi = Bi("政务公开社会评议", "Public appraisal of government disclosure");
const ADMIN: Bi = Bi("评议管理后台", "pingyi admin");
const FOOTER: Bi = Bi("评议 pingyi · 政务公开社会评议系统", "");

fn head(title: &str) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) }
        link rel="stylesheet" href=(STYLESHEET_PATH);
    }
}

/// A page residents see: mobile-first, no scripts, no external assets.
pub fn public_page(title: &str, body: Markup) -> Markup {
    public_page_with_head(title, html! {}, body)
}

/// A public page with extra `<head>` content (share metadata).
pub fn public_page_with_head(title: &str, extra_head: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head { (head(title)) (extra_head) }
            body {
                header.site { a href="/" { (SITE) } }
                main { (body) }
                footer { (FOOTER.zh()) }
            }
        }
    }
}

/// The console's menu; each entry shows only to roles that may open it (the routes check again).
const ADMIN_MENU: [(&str, Bi, Access); 16] = [
    ("/admin", Bi("概览", "Dashboard"), Access::SignedIn),
    ("/admin/phone", Bi("电话录入", "Phone entry"), Access::PhoneEntry),
    ("/admin/responses", Bi("评价记录", "Responses"), Access::Results),
    ("/admin/review", Bi("审核", "Review"), Access::Office),
    ("/admin/cases", Bi("整改", "Cases"), Access::Results),
    ("/admin/appeals", Bi("申诉", "Appeals"), Access::Results),
    ("/admin/periods", Bi("考核结果", "Results"), Access::Results),
    ("/admin/exports", Bi("导出", "Exports"), Access::Office),
    ("/admin/departments", Bi("单位", "Departments"), Access::Office),
    (
        "/admin/questionnaires",
        Bi("问卷", "Questionnaires"),
        Access::Office,
    ),
    ("/admin/links", Bi("评价链接", "Links"), Access::Office),
    ("/admin/invitations", Bi("邀请", "Invitations"), Access::Office),
    ("/admin/schemes", Bi("考核方案", "Schemes"), Access::Office),
    ("/admin/users", Bi("用户与密钥", "Users & keys"), Access::Admin),
    ("/admin/audit", Bi("审计日志", "Audit log"), Access::Office),
    ("/admin/password", Bi("修改密码", "Password"), Access::SignedIn),
];

/// The signed-in user as the admin navigation shows them.
pub struct AdminUser<'a> {
    pub display_name: &'a str,
    pub role: Role,
    pub role_label: &'a str,
    pub csrf_token: &'a str,
}

pub fn admin_page(title: &str, user: Option<&AdminUser<'_>>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                (head(title))
                meta name="robots" content="noindex";
            }
            body {
                header.site { a href="/admin" { (ADMIN) } }
                @if let Some(user) = user {
                    nav.admin {
                        @for (path, label, access) in ADMIN_MENU {
                            @if access.allows(user.role) {
                                a href=(path) { (label) }
                            }
                        }
                        span.muted { (user.display_name) " · " (user.role_label) }
                        form method="post" action="/admin/logout" {
                            input type="hidden" name="csrf" value=(user.csrf_token);
                            button.secondary type="submit" { "退出" span.en { "Sign out" } }
                        }
                    }
                }
                main.wide { (body) }
            }
        }
    }
}

/// Error pages say what happened in both languages and where to go next.
pub fn error_page(heading: Bi, detail: Bi, extra: Option<&str>) -> Markup {
    public_page(
        &heading.plain(),
        html! {
            div.card {
                h1 { (heading) }
                p { (detail) }
                @if let Some(extra) = extra { p.muted { (extra) } }
                p { a href="/" { "返回首页" span.en { "Back to the home page" } } }
            }
        },
    )
}
