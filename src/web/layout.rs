//! Page layouts: one for public pages, one for the admin console, one for error pages.

use maud::{DOCTYPE, Markup, html};

use super::assets::STYLESHEET_PATH;
use super::text::Bi;

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

/// A console page; `nav` is the signed-in user's navigation (`admin::menu::Nav`), none on the
/// sign-in page.
pub fn admin_page(title: &str, nav: Option<Markup>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                (head(title))
                meta name="robots" content="noindex";
            }
            body {
                header.site { a href="/admin" { (ADMIN) } }
                @if let Some(nav) = nav { (nav) }
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
