//! The console's survey links: creating (with mistakes shown in place), listing with filters
//! and paging, switching off and on (audited), the QR code and the printable poster.

use chrono_tz::Asia::Shanghai;
use diesel::prelude::*;
use pingyi::db::schema::{audit_log, links};
use pingyi::domain::account::Role;

use crate::fixtures::example_db;
use crate::helpers::{TestApp, backends, signed_in_as};

fn link_count(conn: &mut pingyi::db::AnyConnection) -> i64 {
    links::table.count().get_result(conn).unwrap()
}

fn audit_actions(conn: &mut pingyi::db::AnyConnection, entity_id: &str) -> Vec<(String, Option<i64>)> {
    audit_log::table
        .filter(audit_log::entity.eq("link"))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::id)
        .select((audit_log::action, audit_log::actor_id))
        .load(conn)
        .unwrap()
}

#[test]
fn the_office_creates_a_link_and_switches_it_off_and_on() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "kaohe", Role::Assessor, None);
        let user_id: i64 = pingyi::db::schema::users::table
            .filter(pingyi::db::schema::users::username.eq("kaohe"))
            .select(pingyi::db::schema::users::id)
            .first(&mut conn)
            .unwrap();

        let empty = office.get("/admin/links");
        assert_eq!(empty.status, 200, "{backend:?}");
        assert!(empty.body.contains("没有符合条件的链接"));
        let form = office.get("/admin/links/new");
        assert_eq!(form.status, 200);
        assert!(form.body.contains(r#"value="JYJ""#) && form.body.contains(r#"value="q""#));
        assert!(
            !form.body.contains(r#"<option value="phone""#),
            "phone is no link channel"
        );

        // Mistakes: each is explained beside its field, the input is kept, nothing is stored.
        let script = "<script>alert(1)</script>二楼大厅";
        let bad = office.post_form(
            "/admin/links",
            &[
                ("csrf", &csrf),
                ("department", "JYJ"),
                ("questionnaire", "q"),
                ("channel", "onsite"),
                ("label", script),
                ("until", "2000-01-01"),
                ("cap", "0"),
            ],
        );
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.body.contains("有效期不能早于今天") && bad.body.contains("数量上限应为"));
        assert!(bad.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;二楼大厅"));
        assert!(!bad.body.contains("<script>alert(1)"));
        assert!(bad.body.contains(r#"value="2000-01-01""#) && bad.body.contains(r#"value="0""#));
        let unknown = office.post_form(
            "/admin/links",
            &[
                ("csrf", &csrf),
                ("department", "NOPE"),
                ("questionnaire", "nope"),
                ("channel", "web"),
            ],
        );
        assert_eq!(unknown.status, 422);
        assert!(unknown.body.contains("没有这个代码的单位"), "{}", unknown.body);
        let wrong_channel = office.post_form(
            "/admin/links",
            &[
                ("csrf", &csrf),
                ("department", "JYJ"),
                ("questionnaire", "q"),
                ("channel", "email"),
            ],
        );
        assert_eq!(wrong_channel.status, 422);
        assert!(
            wrong_channel
                .body
                .contains("链接渠道应为 web、wechat、newmedia 或 onsite")
        );
        assert_eq!(link_count(&mut conn), 0, "{backend:?}: nothing stored");

        let made = office.post_form(
            "/admin/links",
            &[
                ("csrf", &csrf),
                ("department", "JYJ"),
                ("questionnaire", "q"),
                ("channel", "onsite"),
                ("label", script),
                ("until", "2099-12-31"),
                ("cap", "500"),
            ],
        );
        assert_eq!(made.status, 303, "{}", made.body);
        let location = made.header("location").unwrap().to_string();
        let link: pingyi::db::links::Link = links::table
            .select(pingyi::db::links::Link::as_select())
            .first(&mut conn)
            .unwrap();
        assert_eq!(location, format!("/admin/links/{}?notice=created", link.id));
        assert_eq!(
            (link.channel.as_str(), link.max_responses, link.label.as_str()),
            ("onsite", Some(500), script)
        );
        // The last local day is 2099-12-31: the link closes at local midnight after it.
        let closes = pingyi::domain::clock::local_midnight_utc(
            chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
            Shanghai,
        );
        assert_eq!(link.expires_at, Some(closes));
        assert_eq!(
            audit_actions(&mut conn, &link.id.to_string()),
            vec![("link.create".to_string(), Some(user_id))]
        );

        let url = format!("{}/s/{}", app.base, link.code);
        let page = office.get(&location);
        assert_eq!(page.status, 200);
        assert!(page.body.contains("链接已创建"));
        assert!(
            page.body.contains(&format!(r#"src="/s/{}/qr.svg""#, link.code)),
            "{}",
            page.body
        );
        assert!(page.body.contains(&format!(r#"href="/s/{}/qr.png""#, link.code)));
        assert!(page.body.contains(&url) && page.body.contains("2099-12-31"));
        assert!(page.body.contains(&format!("/admin/links/{}/poster", link.id)));
        assert!(!page.body.contains("<script>alert(1)"));
        let qr = office.get(&format!("/s/{}/qr.svg", link.code));
        assert_eq!(
            (qr.status, qr.header("content-type")),
            (200, Some("image/svg+xml"))
        );

        let list = office.get("/admin/links");
        assert!(list.body.contains(&link.code) && list.body.contains(&url));
        assert!(list.body.contains("市教育局") && list.body.contains("500"));
        assert!(list.body.contains("&lt;script&gt;") && !list.body.contains("<script>alert(1)"));
        for (query, shown) in [
            ("?channel=onsite", true),
            ("?channel=web", false),
            ("?active=yes", true),
            ("?active=no", false),
            (&format!("?department={}", example.departments[1].1), false),
            (&format!("?department={}", example.departments[0].1), true),
        ] {
            let filtered = office.get(&format!("/admin/links{query}"));
            assert_eq!(filtered.status, 200);
            assert_eq!(filtered.body.contains(&url), shown, "{backend:?} {query}");
        }

        // Switched off from the filtered list: back to the same list, audited, closed to residents.
        let off = office.post_form(
            &format!("/admin/links/{}/active", link.id),
            &[
                ("csrf", &csrf),
                ("active", "false"),
                ("back", "/admin/links?channel=onsite"),
            ],
        );
        assert_eq!(off.status, 303);
        assert_eq!(
            off.header("location"),
            Some("/admin/links?channel=onsite&notice=deactivated")
        );
        let active: bool = links::table
            .find(link.id)
            .select(links::active)
            .first(&mut conn)
            .unwrap();
        assert!(!active);
        let resident = app.client().get(&format!("/s/{}", link.code));
        assert_eq!(resident.status, 410);
        assert!(resident.body.contains("该评价链接已停用"));
        assert!(office.get("/admin/links?active=no").body.contains(&url));
        let poster = office.get(&format!("/admin/links/{}/poster", link.id));
        assert!(poster.body.contains("此链接目前不接受评价"));

        let on = office.post_form(
            &format!("/admin/links/{}/active", link.id),
            &[
                ("csrf", &csrf),
                ("active", "true"),
                ("back", "https://elsewhere.example/"),
            ],
        );
        assert_eq!(
            on.header("location"),
            Some(format!("/admin/links/{}?notice=reactivated", link.id).as_str()),
            "only the console's own pages are returned to"
        );
        let active: bool = links::table
            .find(link.id)
            .select(links::active)
            .first(&mut conn)
            .unwrap();
        assert!(active);
        assert_eq!(
            audit_actions(&mut conn, &link.id.to_string())
                .into_iter()
                .map(|(a, _)| a)
                .collect::<Vec<_>>(),
            vec!["link.create", "link.deactivate", "link.reactivate"]
        );
        assert_eq!(app.client().get(&format!("/s/{}", link.code)).status, 200);

        for path in [
            "/admin/links/999999",
            "/admin/links/999999/poster",
            "/admin/links/abc",
        ] {
            assert_eq!(office.get(path).status, 404, "{path}");
        }
        let missing = office.post_form(
            "/admin/links/999999/active",
            &[("csrf", &csrf), ("active", "false")],
        );
        assert_eq!(missing.status, 404);
    }
}

#[test]
fn the_poster_shows_the_qr_code_the_url_and_who_is_rated() {
    for backend in backends() {
        let (db, mut conn, _example) = example_db(backend);
        let code = pingyi::services::links::create(
            &mut conn,
            &crate::helpers::test_ctx(),
            &pingyi::domain::link::LinkRequest {
                department: "WJW".into(),
                questionnaire: "q".into(),
                channel: "onsite".into(),
                label: "大厅".into(),
                until: None,
                cap: None,
            },
        )
        .map(|(_, code)| code)
        .unwrap();
        let id: i64 = links::table
            .filter(links::code.eq(&code))
            .select(links::id)
            .first(&mut conn)
            .unwrap();
        let app = TestApp::spawn(&db);
        let (mut office, _) = signed_in_as(&app, &db, "kaohe", Role::Admin, None);
        let poster = office.get(&format!("/admin/links/{id}/poster"));
        assert_eq!(poster.status, 200, "{backend:?}");
        let body = &poster.body;
        assert!(body.contains(&format!(r#"src="/s/{code}/qr.svg""#)), "{body}");
        assert!(body.contains(&format!("{}/s/{code}", app.base)));
        assert!(body.contains("市卫健委") && body.contains("问卷"));
        assert!(body.contains("请扫码为我们的政务公开服务评价"));
        assert!(body.contains("Scan to rate our government information disclosure service"));
        assert!(body.contains(r#"class="poster""#) && !body.contains("<script"));
        assert!(!body.contains("此链接目前不接受评价"));
    }
}

#[test]
fn the_link_list_pages_and_sorts_on_the_server() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        let mut codes = Vec::new();
        for i in 0..51 {
            let code = pingyi::services::links::create(
                &mut conn,
                &crate::helpers::test_ctx(),
                &pingyi::domain::link::LinkRequest {
                    department: if i % 2 == 0 { "JYJ" } else { "ZYQ" }.into(),
                    questionnaire: "q".into(),
                    channel: "web".into(),
                    ..Default::default()
                },
            )
            .unwrap()
            .1;
            codes.push(code);
        }
        // One link with responses, to sort by.
        diesel::update(links::table.filter(links::code.eq(&codes[7])))
            .set(links::response_count.eq(42))
            .execute(&mut conn)
            .unwrap();
        let app = TestApp::spawn(&db);
        let (mut office, _) = signed_in_as(&app, &db, "kaohe", Role::Assessor, None);
        let rows = |body: &str| body.matches("<tr>").count() - 1; // minus the heading row
        let first = office.get("/admin/links");
        assert!(first.body.contains("第 1 / 2 页，共 51 条"), "{backend:?}");
        assert_eq!(rows(&first.body), 50);
        assert!(first.body.contains(&codes[50]) && !first.body.contains(&format!(">{}<", codes[0])));
        let second = office.get("/admin/links?page=2");
        assert_eq!(rows(&second.body), 1);
        assert!(second.body.contains(&format!(">{}<", codes[0])));
        let by_responses = office.get("/admin/links?sort=responses&dir=desc");
        let first_row = by_responses.body.split("<tbody>").nth(1).unwrap();
        let first_row = first_row.split("</tr>").next().unwrap();
        assert!(first_row.contains(&codes[7]), "{first_row}");
        let county = office.get(&format!("/admin/links?department={}", example.departments[3].1));
        assert!(county.body.contains("共 25 条"), "{backend:?}");
    }
}
