//! Departments and categories in the admin console: forms, the list, the CSV import.

use diesel::prelude::*;
use pingyi::db::departments;
use pingyi::db::schema::{audit_log, departments as departments_table};
use pingyi::domain::account::Role;

use crate::fixtures::example_db;
use crate::helpers::{TestApp, backends, signed_in_as};

fn actions(conn: &mut pingyi::db::AnyConnection) -> Vec<String> {
    audit_log::table
        .filter(audit_log::entity.eq_any(["department", "category"]))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(conn)
        .unwrap()
}

fn count(conn: &mut pingyi::db::AnyConnection) -> i64 {
    departments_table::table.count().get_result(conn).unwrap()
}

#[test]
fn departments_are_created_and_edited_and_bad_input_is_kept() {
    for backend in backends() {
        let (db, mut conn, _) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "office", Role::Assessor, None);
        let municipal = departments::category_by_code(&mut conn, "municipal")
            .unwrap()
            .unwrap();
        let county = departments::category_by_code(&mut conn, "county")
            .unwrap()
            .unwrap();
        let before = count(&mut conn);

        let form = office.get("/admin/departments/new");
        assert_eq!(form.status, 200);
        assert!(form.body.contains("市政府工作部门"), "categories offered");

        // Bad input: every problem named, the input kept, nothing stored.
        let bad = office.post_form(
            "/admin/departments",
            &[
                ("csrf", &csrf),
                ("code", "G K"),
                ("name", "市公安局"),
                ("category_id", ""),
                ("contact_emails", "gk@gaj.example.cn, not-an-address"),
                ("active", "1"),
            ],
        );
        assert_eq!(bad.status, 422, "{backend:?}");
        assert!(bad.body.contains("代码须为"), "{}", bad.body);
        assert!(bad.body.contains("请选择类别"));
        assert!(bad.body.contains("邮箱地址无效") && bad.body.contains("not-an-address"));
        assert!(bad.body.contains("value=\"市公安局\""), "input kept");
        assert!(bad.body.contains("gk@gaj.example.cn, not-an-address</textarea>"));
        assert_eq!(count(&mut conn), before);

        let taken = office.post_form(
            "/admin/departments",
            &[
                ("csrf", &csrf),
                ("code", "JYJ"),
                ("name", "另一个教育局"),
                ("category_id", &municipal.id.to_string()),
            ],
        );
        assert_eq!(taken.status, 422);
        assert!(taken.body.contains("代码 JYJ 已被使用"), "{}", taken.body);

        let created = office.post_form(
            "/admin/departments",
            &[
                ("csrf", &csrf),
                ("code", "GAJ"),
                ("name", "市公安局"),
                ("name_en", "Public Security Bureau"),
                ("category_id", &municipal.id.to_string()),
                ("contact_emails", "gk@gaj.example.cn\r\nban@gaj.example.cn"),
                ("active", "1"),
            ],
        );
        assert_eq!(created.status, 303, "{backend:?}: {}", created.body);
        let location = created.header("location").unwrap().to_string();
        let gaj = departments::find_by_code(&mut conn, "GAJ").unwrap().unwrap();
        assert_eq!(location, format!("/admin/departments/{}?saved=1", gaj.id));
        assert_eq!(gaj.contact_emails, "gk@gaj.example.cn\nban@gaj.example.cn");
        assert!(gaj.active);
        let page = office.get(&location);
        assert_eq!(page.status, 200);
        assert!(page.body.contains("已保存"));

        // Edit: the code stays, everything else changes; a bad email is refused in place.
        let path = format!("/admin/departments/{}", gaj.id);
        let bad_edit = office.post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("code", "HACKED"),
                ("name", "市公安局"),
                ("category_id", &county.id.to_string()),
                ("contact_emails", "x@y"),
            ],
        );
        assert_eq!(bad_edit.status, 422);
        assert!(bad_edit.body.contains("x@y</textarea>"));
        let edited = office.post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("code", "HACKED"),
                ("name", "市公安局（改）"),
                ("name_en", ""),
                ("category_id", &county.id.to_string()),
                ("contact_emails", ""),
            ],
        );
        assert_eq!(edited.status, 303, "{}", edited.body);
        let gaj = departments::find(&mut conn, gaj.id).unwrap().unwrap();
        assert_eq!(
            (gaj.code.as_str(), gaj.name.as_str(), gaj.category_id, gaj.active),
            ("GAJ", "市公安局（改）", county.id, false)
        );
        assert_eq!(office.get("/admin/departments/999999").status, 404);

        let (before_state, after_state): (Option<String>, Option<String>) = audit_log::table
            .filter(audit_log::action.eq("department.update"))
            .select((audit_log::before_state, audit_log::after_state))
            .first(&mut conn)
            .unwrap();
        assert!(before_state.unwrap().contains("\"active\":true"));
        assert!(after_state.unwrap().contains("市公安局（改）"));
        assert_eq!(actions(&mut conn), ["department.create", "department.update"]);
    }
}

#[test]
fn the_list_pages_sorts_filters_and_escapes() {
    for backend in backends() {
        let (db, mut conn, _) = example_db(backend);
        let municipal = departments::category_by_code(&mut conn, "municipal")
            .unwrap()
            .unwrap();
        for i in 0..55 {
            departments::create(
                &mut conn,
                departments::NewDepartment {
                    code: &format!("X{i:02}"),
                    name: if i == 7 {
                        "<script>alert(1)</script>"
                    } else {
                        "某单位"
                    },
                    name_en: "",
                    category_id: municipal.id,
                    contact_emails: "",
                },
            )
            .unwrap();
        }
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "office", Role::Admin, None);

        let first = office.get("/admin/departments?sort=code&dir=asc");
        assert_eq!(first.status, 200);
        assert!(first.body.contains("共 60 条"), "{backend:?}");
        assert!(!first.body.contains("<script>alert(1)</script>"));
        assert!(first.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        let jyj = first.body.find(">JYJ<").unwrap();
        let x00 = first.body.find(">X00<").unwrap();
        assert!(jyj < x00, "sorted by code");
        assert!(!first.body.contains(">X54<"), "second page not shown");
        let second = office.get("/admin/departments?sort=code&dir=asc&page=2");
        assert!(second.body.contains(">X54<") && second.body.contains("第 2 / 2 页"));

        let by_category = office.get("/admin/departments?sort=category&dir=asc");
        let (zyq, jyj) = (by_category.body.find(">ZYQ<"), by_category.body.find(">JYJ<"));
        assert!(
            zyq.unwrap() < jyj.unwrap(),
            "county (sort order 1) before municipal (2)"
        );
        let county = departments::category_by_code(&mut conn, "county")
            .unwrap()
            .unwrap();
        let filtered = office.get(&format!("/admin/departments?category={}", county.id));
        assert!(filtered.body.contains("共 2 条"), "{}", filtered.body);
        assert!(filtered.body.contains(">ZYQ<") && !filtered.body.contains(">JYJ<"));
        assert!(
            office
                .get("/admin/departments?active=0")
                .body
                .contains("没有符合条件的单位")
        );

        // A category with a script name is escaped too; a taken code is refused in place.
        let added = office.post_form(
            "/admin/departments/categories",
            &[
                ("csrf", &csrf),
                ("code", "zone"),
                ("name", "<b>开发区</b>"),
                ("name_en", "Zones"),
                ("sort_order", "3"),
            ],
        );
        assert_eq!(added.status, 303, "{}", added.body);
        let list = office.get("/admin/departments");
        assert!(list.body.contains("&lt;b&gt;开发区&lt;/b&gt;") && !list.body.contains("<b>开发区"));
        let again = office.post_form(
            "/admin/departments/categories",
            &[
                ("csrf", &csrf),
                ("code", "zone"),
                ("name", "又一个"),
                ("sort_order", "x"),
            ],
        );
        assert_eq!(again.status, 422);
        assert!(again.body.contains("代码 zone 已被使用") || again.body.contains("排序应为整数"));
        assert!(again.body.contains("value=\"又一个\""));
        assert_eq!(actions(&mut conn), ["category.create"]);
    }
}

const GOOD_CSV: &str = "\u{FEFF}code,name,name_en,category,contact_emails,active\r\n\
JYJ,市教育局,Education Bureau,municipal,\"a@jyj.example.cn;b@jyj.example.cn\",1\r\n\
WJW,市卫健委,,municipal,,1\r\n\
SWJ,市商务局,Commerce,municipal,sw@example.cn,是\r\n\
HKQ,航空港区,,county,,0\r\n";

#[test]
fn a_csv_import_creates_and_updates_in_one_go() {
    for backend in backends() {
        let (db, mut conn, _) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "office", Role::Assessor, None);

        let template = office.get("/admin/departments/template.csv");
        assert_eq!(template.status, 200);
        assert!(template.header("content-type").unwrap().starts_with("text/csv"));
        assert!(template.body.starts_with('\u{FEFF}'));
        assert!(
            template
                .body
                .contains("code,name,name_en,category,contact_emails,active")
        );

        let reply = office.post_multipart(
            "/admin/departments/import",
            &[("csrf", &csrf)],
            Some(("file", "单位.csv", GOOD_CSV.as_bytes())),
        );
        assert_eq!(reply.status, 200, "{backend:?}: {}", reply.body);
        assert!(reply.body.contains("导入完成"), "{}", reply.body);
        assert!(
            reply
                .body
                .contains("新建<span class=\"en\" lang=\"en\">created</span> 2")
        );
        assert!(
            reply
                .body
                .contains("更新<span class=\"en\" lang=\"en\">updated</span> 1")
        );
        assert!(
            reply
                .body
                .contains("无变化<span class=\"en\" lang=\"en\">unchanged</span> 1")
        );

        let jyj = departments::find_by_code(&mut conn, "JYJ").unwrap().unwrap();
        assert_eq!(jyj.name_en, "Education Bureau");
        assert_eq!(jyj.contact_emails, "a@jyj.example.cn\nb@jyj.example.cn");
        let hkq = departments::find_by_code(&mut conn, "HKQ").unwrap().unwrap();
        assert!(!hkq.active);
        assert!(
            departments::find_by_code(&mut conn, "SWJ")
                .unwrap()
                .unwrap()
                .active
        );
        let mut log = actions(&mut conn);
        log.sort();
        assert_eq!(
            log,
            [
                "department.create",
                "department.create",
                "department.import",
                "department.update"
            ]
        );
        let summary: Option<String> = audit_log::table
            .filter(audit_log::action.eq("department.import"))
            .select(audit_log::after_state)
            .first(&mut conn)
            .unwrap();
        let summary = summary.unwrap();
        assert!(
            summary.contains("\"created\":2") && summary.contains("\"updated\":1"),
            "{summary}"
        );

        // Columns left out keep what is stored; Chinese headings are understood.
        let partial = "代码,名称,类别\nJYJ,市教育局（更名）,municipal\n";
        let reply = office.post_multipart(
            "/admin/departments/import",
            &[("csrf", &csrf)],
            Some(("file", "partial.csv", partial.as_bytes())),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        let jyj = departments::find_by_code(&mut conn, "JYJ").unwrap().unwrap();
        assert_eq!(jyj.name, "市教育局（更名）");
        assert_eq!(jyj.contact_emails, "a@jyj.example.cn\nb@jyj.example.cn");
        assert_eq!(jyj.name_en, "Education Bureau");
    }
}

#[test]
fn a_csv_with_one_bad_row_imports_nothing_and_names_the_row() {
    for backend in backends() {
        let (db, mut conn, _) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "office", Role::Admin, None);
        let before = count(&mut conn);
        let file = "code,name,name_en,category,contact_emails,active\n\
JYJ,市教育局（新）,,municipal,,1\n\
NEW1,新单位,,municipal,,1\n\
NEW2,<script>x</script>,,nowhere,bad@,1\n";
        let reply = office.post_multipart(
            "/admin/departments/import",
            &[("csrf", &csrf)],
            Some(("file", "x.csv", file.as_bytes())),
        );
        assert_eq!(reply.status, 422, "{backend:?}: {}", reply.body);
        assert!(reply.body.contains("未导入任何数据"));
        assert!(reply.body.contains("<td class=\"num\">4</td>"), "{}", reply.body);
        assert!(reply.body.contains("没有代码为 nowhere 的类别"));
        assert!(reply.body.contains("bad@"));
        assert!(!reply.body.contains("<script>x"), "cells are escaped");
        assert_eq!(count(&mut conn), before, "nothing created");
        let jyj = departments::find_by_code(&mut conn, "JYJ").unwrap().unwrap();
        assert_eq!(jyj.name, "市教育局", "nothing updated");
        assert!(actions(&mut conn).is_empty(), "nothing audited");

        // A file saved in a legacy encoding and a missing file are explained, not a 500.
        let gbk = office.post_multipart(
            "/admin/departments/import",
            &[("csrf", &csrf)],
            Some((
                "file",
                "gbk.csv",
                b"code,name,category\nA,\xbd\xcc\xd3\xfd,county\n",
            )),
        );
        assert_eq!(gbk.status, 422);
        assert!(gbk.body.contains("UTF-8"));
        let none = office.post_multipart("/admin/departments/import", &[("csrf", &csrf)], None);
        assert_eq!(none.status, 422);
        assert!(none.body.contains("请选择要导入的 CSV 文件"));
    }
}

#[test]
fn department_and_operator_accounts_cannot_manage_departments() {
    let (db, _conn, _) = example_db(crate::helpers::Backend::Sqlite);
    let app = TestApp::spawn(&db);
    for (name, role, department) in [
        ("dept", Role::Department, Some("JYJ")),
        ("operator1", Role::Operator, None),
    ] {
        let (mut client, csrf) = signed_in_as(&app, &db, name, role, department);
        assert_eq!(client.get("/admin/departments").status, 403);
        let reply = client.post_form(
            "/admin/departments",
            &[("csrf", &csrf), ("code", "EVIL"), ("name", "x")],
        );
        assert_eq!(reply.status, 403);
    }
}
