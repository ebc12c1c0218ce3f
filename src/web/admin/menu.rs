//! The console's navigation for the signed-in user: the entries of `MENU` (declared with the
//! routes in `admin::ROUTES`) that the user's role may open, by group, then who is signed in
//! and the sign-out button.

use maud::{Markup, Render, html};

use super::components::CsrfField;
use super::{MENU, MenuEntry, MenuGroup};
use crate::domain::account::Role;

const SIGN_OUT: crate::web::text::Bi = crate::web::text::Bi("退出", "Sign out");

/// The menu entries `role` may open, in menu order (the routes check the same rule again).
pub fn entries_for(role: Role) -> impl Iterator<Item = &'static MenuEntry> {
    MENU.iter().filter(move |e| e.access.allows(role))
}

/// `entries` split where the group changes.
fn grouped(entries: impl Iterator<Item = &'static MenuEntry>) -> Vec<(MenuGroup, Vec<&'static MenuEntry>)> {
    let mut groups: Vec<(MenuGroup, Vec<&MenuEntry>)> = Vec::new();
    for entry in entries {
        match groups.last_mut() {
            Some((group, list)) if *group == entry.group => list.push(entry),
            _ => groups.push((entry.group, vec![entry])),
        }
    }
    groups
}

/// The navigation bar of a signed-in user.
pub struct Nav<'a> {
    pub display_name: &'a str,
    pub role: Role,
    pub csrf: &'a str,
}

impl Render for Nav<'_> {
    fn render(&self) -> Markup {
        html! {
            nav.admin {
                @for (group, entries) in grouped(entries_for(self.role)) {
                    span.menu-group role="group" aria-label=(group.label().plain()) {
                        @for e in entries { a href=(e.path) { (e.label) } }
                    }
                }
                span.muted { (self.display_name) " · " (self.role.label_zh()) }
                form method="post" action="/admin/logout" {
                    (CsrfField(self.csrf))
                    button.secondary type="submit" { (SIGN_OUT) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::admin::ROUTES;

    fn paths(role: Role) -> Vec<&'static str> {
        entries_for(role).map(|e| e.path).collect()
    }

    #[test]
    fn every_entry_is_a_page_of_the_route_table_with_its_rule() {
        for entry in MENU {
            assert!(
                ROUTES
                    .iter()
                    .any(|r| r.method == "get" && r.path == entry.path && r.access == entry.access),
                "{} has no GET route with the same access",
                entry.path
            );
        }
    }

    #[test]
    fn groups_stand_together_in_their_order() {
        let order = [
            MenuGroup::Overview,
            MenuGroup::Work,
            MenuGroup::Setup,
            MenuGroup::System,
            MenuGroup::Account,
        ];
        let groups: Vec<MenuGroup> = grouped(MENU.iter()).into_iter().map(|(g, _)| g).collect();
        assert_eq!(groups, order, "each group once, in order");
    }

    #[test]
    fn the_menu_keeps_its_entries_and_order() {
        let labels: Vec<&str> = entries_for(Role::Admin).map(|e| e.label.zh()).collect();
        assert_eq!(
            labels,
            [
                "概览",
                "电话录入",
                "评价记录",
                "审核",
                "整改",
                "申诉",
                "考核结果",
                "导出",
                "单位",
                "问卷",
                "评价链接",
                "邀请",
                "考核方案",
                "用户与密钥",
                "审计日志",
                "修改密码"
            ]
        );
    }

    #[test]
    fn each_role_sees_only_what_it_may_open() {
        assert_eq!(
            paths(Role::Operator),
            ["/admin", "/admin/phone", "/admin/password"]
        );
        assert_eq!(
            paths(Role::Department),
            [
                "/admin",
                "/admin/responses",
                "/admin/cases",
                "/admin/appeals",
                "/admin/periods",
                "/admin/password"
            ]
        );
        let assessor = paths(Role::Assessor);
        assert!(assessor.contains(&"/admin/audit") && !assessor.contains(&"/admin/users"));
        let html = Nav {
            display_name: "<b>张三</b>",
            role: Role::Operator,
            csrf: "tok",
        }
        .render()
        .into_string();
        assert!(html.contains(r#"href="/admin/phone""#) && !html.contains(r#"href="/admin/links""#));
        assert!(
            html.contains("&lt;b&gt;张三") && html.contains(r#"name="csrf" value="tok""#),
            "{html}"
        );
        assert!(
            html.contains(r#"role="group" aria-label="概览 Overview""#),
            "{html}"
        );
    }
}
